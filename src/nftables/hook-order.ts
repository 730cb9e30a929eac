/**
 * One hook's order of work when native nft base chains sit beside the tables
 * iptables-nft made: every entry runs in ascending priority. iptables' tables
 * keep their fixed priorities (raw -300, conntrack -200, mangle -150, nat
 * -100/100, filter 0, security 50); an nft chain at the same priority as an
 * iptables table runs first, since it was registered after it (the topology
 * loads iptables first) and the kernel puts the chain registered last first.
 * nat-type chains of both kinds run inside the one nat stage, in their own
 * priority order, until one binds the connection (nf_nat_inet_fn).
 */
import type { Hook } from '../netfilter/types.js';
import type { CompiledBase, CompiledRuleset } from './eval.js';

export type Stage = 'raw' | 'conntrack' | 'mangle' | 'nat' | 'filter' | 'security' | 'confirm';

export type OrderEntry = { kind: 'ipt'; stage: Stage } | { kind: 'nft'; chain: CompiledBase };

export interface HookOrder {
  entries: OrderEntry[];
  /** nat-type chains at this hook, with the iptables nat table's place among them (null). */
  nat: Array<CompiledBase | null>;
}

const PRIO: Record<Stage, number> = { raw: -300, conntrack: -200, mangle: -150, nat: 0, filter: 0, security: 50, confirm: Infinity };

function stagePrio(stage: Stage, hook: Hook): number {
  if (stage === 'nat') return hook === 'PREROUTING' || hook === 'OUTPUT' ? -100 : 100;
  return PRIO[stage];
}

const cache = new WeakMap<CompiledRuleset, Map<Hook, HookOrder>>();

export function hookOrder(prog: CompiledRuleset, hook: Hook, stages: readonly Stage[]): HookOrder {
  let perHook = cache.get(prog);
  if (!perHook) {
    perHook = new Map();
    cache.set(prog, perHook);
  }
  const hit = perHook.get(hook);
  if (hit) return hit;
  const chains = prog.byHook.get(hook) ?? [];
  const nft = chains.filter((c) => c.type !== 'nat');
  const entries: OrderEntry[] = [];
  let n = 0;
  for (const stage of stages) {
    const p = stagePrio(stage, hook);
    while (n < nft.length && nft[n].priority <= p) entries.push({ kind: 'nft', chain: nft[n++] });
    entries.push({ kind: 'ipt', stage });
  }
  while (n < nft.length) entries.push({ kind: 'nft', chain: nft[n++] });
  const natChains = chains.filter((c) => c.type === 'nat');
  const iptNat = stagePrio('nat', hook);
  const nat: Array<CompiledBase | null> = [];
  let placed = false;
  for (const c of natChains) {
    if (!placed && c.priority > iptNat) {
      nat.push(null);
      placed = true;
    }
    nat.push(c);
  }
  if (!placed) nat.push(null);
  const order = { entries, nat };
  perHook.set(hook, order);
  return order;
}
