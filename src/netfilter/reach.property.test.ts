/**
 * The cached, incrementally updated reachability against the plain answer: after
 * random rule additions and removals on a small nat table, every addition is
 * refused exactly when a fresh whole-table check would refuse the table with it,
 * the cached bits stay a superset of the exact ones (equal while marked exact),
 * and a refusal leaves the bits as they were.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import type { MatchInstance } from './ext.js';
import { computeReach, Reach, type ChainGraph } from './reach.js';
import { BUILTIN_CHAINS, emptyHeader, newChain, type Chain, type Rule } from './rule.js';
import type { Hook } from './types.js';

const USER = ['A', 'B', 'C', 'D', 'E'];
const HOOKS = BUILTIN_CHAINS.nat;

const header = emptyHeader();

/** A match legal only at some hooks, as DNAT's are (PREROUTING, OUTPUT). */
function onlyAt(hooks: Hook[]): MatchInstance {
  return { name: 'only', save: () => '', list: () => '', legal: { hooks }, test: () => true };
}

function rule(target: Rule['target'], matches: MatchInstance[] = []): Rule {
  return { header, matches, target, test: () => true, pkts: 0, bytes: 0 };
}

function graphOf(chains: Map<string, Chain>): ChainGraph {
  return {
    table: 'nat',
    chain: (n) => chains.get(n),
    chains: () => chains.values(),
    target: (r) => (r.target.kind === 'jump' || r.target.kind === 'goto' ? chains.get(r.target.chainName) : undefined),
  };
}

/** The whole-table answer, from nothing cached: no reachable loop and every rule legal where it is reached. */
function accepts(g: ChainGraph): boolean {
  return new Reach(g, null).validate();
}

function run(seed: number, steps: number): void {
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)];
  const chains = new Map<string, Chain>([
    ...HOOKS.map((h) => [h, newChain(h, true)] as const),
    ...USER.map((u) => [u, newChain(u, false)] as const),
  ]);
  const g = graphOf(chains);
  const reach = new Reach(g, { bits: new Map(HOOKS.map((h) => [h, computeReach(g)!.get(h)!])), exact: true });
  for (let step = 0; step < steps; step++) {
    const c = pick([...chains.values()]);
    if (c.rules.length && rng.int(0, 3) === 0) {
      c.rules.splice(rng.int(0, c.rules.length - 1), 1);
      reach.shrunk();
    } else {
      const r =
        rng.int(0, 2) === 0
          ? rule({ kind: 'verdict', verdict: 'ACCEPT' }, [onlyAt(pick([['PREROUTING', 'OUTPUT'], ['INPUT', 'POSTROUTING'], ['OUTPUT']]))])
          : rule({ kind: pick(['jump', 'goto'] as const), chainName: pick(USER), chain: null });
      const at = rng.int(0, c.rules.length);
      c.rules.splice(at, 0, r);
      const expected = accepts(g);
      c.rules.splice(at, 1);
      const before = new Map([...chains.keys()].map((n) => [n, reach.bitsOf(n)]));
      const failure = reach.admit(
        c,
        r,
        () => c.rules.splice(at, 0, r),
        () => c.rules.splice(at, 1),
      );
      expect(failure === null, `seed ${seed} step ${step}: ${c.name} gets ${JSON.stringify(r.target)} (${failure})`).toBe(expected);
      expect(c.rules.includes(r)).toBe(expected);
      // A refused rule adds no reachability (a retry on exact bits may only have narrowed them).
      if (failure) for (const [n, b] of before) expect(b | reach.bitsOf(n), `seed ${seed} step ${step}: ${n} grew`).toBe(b);
    }
    const exact = computeReach(g);
    expect(exact, `seed ${seed} step ${step}: the table has a reachable loop`).not.toBeNull();
    for (const n of chains.keys()) {
      const want = exact!.get(n) ?? 0;
      const have = reach.bitsOf(n);
      expect(have & want, `seed ${seed} step ${step}: ${n} lost hooks`).toBe(want);
      if (reach.exact) expect(have, `seed ${seed} step ${step}: ${n} marked exact`).toBe(want);
    }
  }
}

describe('reachability cache', () => {
  it('refuses exactly what a fresh check refuses, and stays a superset of the truth', () => {
    for (let seed = 1; seed <= 40; seed++) run(seed, 120);
  });

  it('finds a loop through a goto and a jump, and accepts the same edges where no built-in chain reaches them', () => {
    const chains = new Map<string, Chain>([
      ...HOOKS.map((h) => [h, newChain(h, true)] as const),
      ...USER.map((u) => [u, newChain(u, false)] as const),
    ]);
    const g = graphOf(chains);
    const reach = new Reach(g, null);
    const add = (from: string, to: string, kind: 'jump' | 'goto' = 'jump') => {
      const c = chains.get(from)!;
      const r = rule({ kind, chainName: to, chain: null });
      return reach.admit(
        c,
        r,
        () => c.rules.push(r),
        () => c.rules.pop(),
      );
    };
    expect(add('A', 'B')).toBeNull();
    expect(add('B', 'A', 'goto')).toBeNull(); // A and B are not reached from a hook: no loop the kernel sees
    expect(add('OUTPUT', 'A')).toBe('Too many links');
    expect(chains.get('OUTPUT')!.rules).toHaveLength(0);
    expect(reach.bitsOf('A')).toBe(0);
  });
});
