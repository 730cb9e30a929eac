/**
 * One hook's order of work when native nft base chains sit beside the tables
 * iptables-nft made: every entry runs in ascending priority. iptables' tables
 * keep their fixed priorities (raw -300, conntrack -200, mangle -150, nat
 * -100/100, filter 0, security 50). At equal priority the chain registered
 * last runs first (nf_hook_entries_grow inserts before its equals), whichever
 * kind it is: an iptables built-in chain is registered when iptables-nft first
 * makes it (a `:CHAIN` line, a rule, a policy), so one an exec step makes after
 * the topology's nft chains runs before them (measured: fuzz seed 3, nft-3-5).
 * nat-type chains of both kinds run inside the one nat stage, in their own
 * priority order, until one binds the connection (nf_nat_inet_fn).
 */
import type { Hook, TableName } from '../netfilter/types.js';
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

/** When iptables-nft registered a built-in chain; 0 while it has not. */
export interface ChainRegistry {
  chainMadeAt(table: TableName, chain: string): number;
}

interface Cached {
  order: HookOrder;
  /** The registration stamps of the iptables chains at this hook the order was built with. */
  stamps: number[];
}

const cache = new WeakMap<CompiledRuleset, Map<Hook, Cached>>();

function stampsOf(ipt: ChainRegistry, hook: Hook, stages: readonly Stage[], into: number[]): number[] {
  let i = 0;
  for (const stage of stages) if (stage !== 'conntrack' && stage !== 'confirm') into[i++] = ipt.chainMadeAt(stage, hook);
  into.length = i;
  return into;
}

const scratch: number[] = [];

export function hookOrder(prog: CompiledRuleset, hook: Hook, stages: readonly Stage[], ipt: ChainRegistry): HookOrder {
  let perHook = cache.get(prog);
  if (!perHook) {
    perHook = new Map();
    cache.set(prog, perHook);
  }
  const stamps = stampsOf(ipt, hook, stages, scratch);
  const hit = perHook.get(hook);
  if (hit && hit.stamps.length === stamps.length && hit.stamps.every((v, i) => v === stamps[i])) return hit.order;
  const madeAt = (stage: Stage): number => (stage === 'conntrack' || stage === 'confirm' ? 0 : ipt.chainMadeAt(stage, hook));
  // An nft chain goes before an iptables stage of lower priority, or of equal priority registered earlier.
  const before = (c: CompiledBase, stage: Stage): boolean => {
    const p = stagePrio(stage, hook);
    return c.priority < p || (c.priority === p && c.regSeq > madeAt(stage));
  };
  const chains = prog.byHook.get(hook) ?? [];
  const nft = chains.filter((c) => c.type !== 'nat');
  const entries: OrderEntry[] = [];
  let n = 0;
  for (const stage of stages) {
    while (n < nft.length && before(nft[n], stage)) entries.push({ kind: 'nft', chain: nft[n++] });
    entries.push({ kind: 'ipt', stage });
  }
  while (n < nft.length) entries.push({ kind: 'nft', chain: nft[n++] });
  const nat: Array<CompiledBase | null> = [];
  let placed = false;
  for (const c of chains.filter((x) => x.type === 'nat')) {
    if (!placed && !before(c, 'nat')) {
      nat.push(null);
      placed = true;
    }
    nat.push(c);
  }
  if (!placed) nat.push(null);
  const order = { entries, nat };
  perHook.set(hook, { order, stamps: stamps.slice() });
  return order;
}
