/**
 * Turns `nft monitor trace` lines from several namespaces into nflab's trace
 * rule and policy steps (src/trace/steps.ts), in the order the packet met them.
 */
import type { Topology } from '../../src/topology/model.js';

export interface TraceStep {
  node: string;
  hook: string;
  table: string;
  chain: string;
  /** 1-based position in the chain, as `iptables -L --line-numbers` counts; null for a policy step. */
  rule: number | null;
  verdict: string;
  policy?: true;
  /** The -j target where it differs from the verdict (DNAT, LOG, ...). */
  target?: string;
  /** The rule as nft printed it (iptables-nft rules in nft syntax), for debugging. */
  nftRule?: string;
}

export interface NftTraceEvent {
  id: string;
  table: string;
  chain: string;
  kind: 'packet' | 'rule' | 'policy';
  verdict: string;
  handle?: number;
  ruleText?: string;
  target?: string;
  packet?: string;
}

export type RawTraceEvent = NftTraceEvent & { node: string; at: bigint };

const LINE = /^trace id (\S+) ip (\S+) (\S+) (.*)$/;
const RULE = /^rule (.*?)\s*# handle (\d+) \(verdict ([^)]*)\)\s*$/;

export function parseNftTrace(line: string): NftTraceEvent | null {
  const m = LINE.exec(line.trimEnd());
  if (m === null) return null;
  const [, id, table, chain, rest] = m;
  if (rest.startsWith('packet:')) return { id, table, chain, kind: 'packet', verdict: '', packet: rest.slice(8).trim() };
  if (rest.startsWith('policy ')) return { id, table, chain, kind: 'policy', verdict: verdictName(rest.slice(7).trim()) };
  const r = RULE.exec(rest);
  if (r === null) return null;
  const verdict = verdictName(r[3]);
  const target = targetOf(r[1]);
  const e: NftTraceEvent = { id, table, chain, kind: 'rule', verdict, handle: Number(r[2]), ruleText: r[1] };
  if (target !== undefined && target !== verdict) e.target = target;
  return e;
}

/** nft's verdict words in the spelling `xtables-monitor --trace` and nflab's traces use. */
export function verdictName(v: string): string {
  const [word, arg] = v.trim().split(/\s+/, 2);
  if (word === 'jump' || word === 'goto') return `${word.toUpperCase()}:${arg}`;
  return word.toUpperCase();
}

const TARGETS: Array<[RegExp, string]> = [
  [/\bdnat to\b/, 'DNAT'],
  [/\bsnat to\b/, 'SNAT'],
  [/\bmasquerade\b/, 'MASQUERADE'],
  [/\bredirect\b/, 'REDIRECT'],
  [/\breject\b/, 'REJECT'],
  [/\blog\b/, 'LOG'],
  [/\bmeta mark set\b/, 'MARK'],
  [/\bct mark set\b/, 'CONNMARK'],
];

function targetOf(rule: string): string | undefined {
  const xt = /\bxt target "?([A-Za-z0-9_]+)/.exec(rule);
  if (xt !== null) return xt[1];
  for (const [re, name] of TARGETS) if (re.test(rule)) return name;
  return undefined;
}

const BUILTIN: Record<string, string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/**
 * Each namespace's monitor reports only its own events, so the namespaces are
 * put in path order: the sender first, then repeatedly a namespace linked to the
 * previous one (ties and gaps broken by when their events arrived). Within a
 * namespace the kernel's order is kept; a user chain inherits the hook of the
 * built-in chain that led to it.
 */
export function orderNodeTraces(
  events: RawTraceEvent[],
  from: string,
  topo: Pick<Topology, 'links'>,
): Array<RawTraceEvent & { hook: string }> {
  const byNode = new Map<string, RawTraceEvent[]>();
  for (const e of events) {
    const list = byNode.get(e.node) ?? [];
    list.push(e);
    byNode.set(e.node, list);
  }
  const adjacent = (a: string, b: string) =>
    topo.links.some((l) => (l.a.node === a && l.b.node === b) || (l.a.node === b && l.b.node === a));
  const first = (n: string) => byNode.get(n)![0].at;
  const remaining = new Set(byNode.keys());
  const order: string[] = [];
  let cur: string | null = remaining.has(from) ? from : null;
  while (remaining.size > 0) {
    if (cur === null) {
      const candidates = [...remaining];
      const next = order.length === 0 ? candidates : candidates.filter((n) => adjacent(order[order.length - 1], n));
      const pool = next.length > 0 ? next : candidates;
      cur = pool.reduce((a, b) => (first(b) < first(a) ? b : a));
    }
    order.push(cur);
    remaining.delete(cur);
    cur = null;
  }
  const out: Array<RawTraceEvent & { hook: string }> = [];
  for (const node of order) {
    const lastHook = new Map<string, string>();
    for (const e of byNode.get(node)!) {
      const builtin = BUILTIN[e.table]?.includes(e.chain) ?? false;
      if (builtin) lastHook.set(e.id, e.chain);
      if (e.kind === 'packet') continue;
      out.push({ ...e, hook: builtin ? e.chain : (lastHook.get(e.id) ?? '?') });
    }
  }
  return out;
}

/**
 * Rule positions in a chain from `nft -a list chain` output: nft reports rule
 * handles, iptables counts positions, and each iptables rule is one nft rule, in order.
 */
export function handlePositions(nftListing: string): Map<number, number> {
  const map = new Map<number, number>();
  let pos = 0;
  for (const line of nftListing.split('\n')) {
    const m = /# handle (\d+)\s*$/.exec(line);
    if (m === null || /^\s*(chain|table) /.test(line)) continue;
    map.set(Number(m[1]), ++pos);
  }
  return map;
}
