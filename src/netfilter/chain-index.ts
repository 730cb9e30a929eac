/**
 * An index over long runs of rules that each require one exact value of the
 * packet — kube-proxy's KUBE-SERVICES (`-d VIP/32 ...`) and KUBE-NODEPORTS
 * (`-p tcp --dport N ...`) — so a packet tests only the rules in the run that
 * could match it, in their original order, instead of every rule. A rule not
 * among the candidates cannot match (it requires another value), so first-match
 * order, counters and traces are exactly those of the linear walk.
 */
import type { Skb } from './types.js';
import type { Chain, Rule } from './rule.js';

/** Shorter runs are walked linearly: the lookup would cost more than it saves. */
const MIN_RUN = 16;

type KeyKind = 'dst' | 'dport';

export interface Run {
  kind: KeyKind;
  /** Index just past the run's last rule. */
  end: number;
  /** Packet key → ascending rule indices in the run that require that key. */
  byKey: Map<number, number[]>;
}

export interface ChainIndex {
  rules: readonly Rule[];
  length: number;
  /** For every rule index: the run it belongs to, or undefined. */
  runOf: Array<Run | undefined>;
}

const NONE: readonly number[] = [];

/** The key a rule requires, or null when it does not require one exact value of this kind. */
function ruleKey(r: Rule, kind: KeyKind): number | null {
  const h = r.header;
  if (kind === 'dst') return h.dst && !h.dstInv && h.dst.mask === 0xffffffff ? h.dst.addr : null;
  if (h.protoInv || (h.proto !== 6 && h.proto !== 17)) return null;
  for (const m of r.matches) if (m.exactDport !== undefined) return h.proto * 65536 + m.exactDport;
  return null;
}

export function packetKey(skb: Skb, kind: KeyKind): number {
  if (kind === 'dst') return skb.pkt.dst;
  const p = skb.pkt;
  if (p.tcp) return 6 * 65536 + p.tcp.dport;
  if (p.udp) return 17 * 65536 + p.udp.dport;
  return -1;
}

function build(chain: Chain): ChainIndex {
  const rules = chain.rules;
  const runOf = new Array<Run | undefined>(rules.length);
  let i = 0;
  while (i < rules.length) {
    let best: { kind: KeyKind; end: number } | null = null;
    for (const kind of ['dst', 'dport'] as const) {
      let j = i;
      while (j < rules.length && ruleKey(rules[j], kind) !== null) j++;
      if (j - i >= MIN_RUN && (!best || j > best.end)) best = { kind, end: j };
    }
    if (!best) {
      i++;
      continue;
    }
    const run: Run = { kind: best.kind, end: best.end, byKey: new Map() };
    for (let k = i; k < best.end; k++) {
      const key = ruleKey(rules[k], best.kind)!;
      const list = run.byKey.get(key);
      if (list) list.push(k);
      else run.byKey.set(key, [k]);
      runOf[k] = run;
    }
    i = best.end;
  }
  return { rules, length: rules.length, runOf };
}

/** The index built for a chain, with the rules array it was built from (a chain gets a new array whenever it changes). */
interface Built {
  rules: readonly Rule[];
  length: number;
  ix: ChainIndex | null;
}

const indexes = new WeakMap<Chain, Built>();
let enabled = true;

/** Turns indexing off (every chain walked linearly), for comparisons in tests and benchmarks. */
export function setChainIndexing(on: boolean): void {
  enabled = on;
}

/** The chain's index (built on first use, again whenever its rules changed), or null when it has no run worth indexing. */
export function chainIndex(chain: Chain): ChainIndex | null {
  if (!enabled) return null;
  const rules = chain.rules;
  let b = indexes.get(chain);
  // A chain too short to index may grow later: the "nothing to index" answer is tied to its rules too.
  if (b === undefined || b.rules !== rules || b.length !== rules.length) {
    let ix: ChainIndex | null = null;
    if (rules.length >= MIN_RUN) {
      const built = build(chain);
      if (built.runOf.some((r) => r !== undefined)) ix = built;
    }
    b = { rules, length: rules.length, ix };
    indexes.set(chain, b);
  }
  return b.ix;
}

/**
 * The next index at or after `i` worth testing: `i` itself outside runs; inside
 * a run, the next candidate for this packet, or the run's end.
 */
export function nextCandidate(ix: ChainIndex, i: number, skb: Skb): number {
  while (i < ix.length) {
    const run = ix.runOf[i];
    if (!run) return i;
    const cands = run.byKey.get(packetKey(skb, run.kind)) ?? NONE;
    for (const c of cands) if (c >= i) return c;
    i = run.end;
  }
  return i;
}
