/**
 * Which hooks reach each chain of a table, and the two checks that depend on
 * it: a jump must not close a loop that a built-in chain reaches, and a rule
 * must be legal at every hook its chain is reached from (the kernel's
 * mark_source_chains and check_hooks, redone by iptables-nft's kernel side).
 *
 * The bits are cached on the table between transactions. Invariants: closed
 * under jumps, a superset of the true reachability, and every rule legal at its
 * chain's bits. Removing rules keeps all three (the set only becomes inexact),
 * so the set is recomputed in full only when a check fails against a stale
 * superset. A new jump only adds reachability, so only the target's subgraph
 * is walked (recomputing the whole table per rule made loading a kube-proxy
 * table quadratic).
 */
import type { Legality } from './ext.js';
import { BUILTIN_CHAINS, type Chain, type ReachCache, type Rule } from './rule.js';
import type { Hook, TableName } from './types.js';

export const HOOK_BIT: Readonly<Record<Hook, number>> = { PREROUTING: 1, INPUT: 2, FORWARD: 4, OUTPUT: 8, POSTROUTING: 16 };

export function hookBits(hooks: readonly Hook[]): number {
  let bits = 0;
  for (const h of hooks) bits |= HOOK_BIT[h];
  return bits;
}

/** Whether every match and the target of `rule` allow every hook in `mask`. */
export function legalAtHooks(rule: Rule, mask: number): boolean {
  const ok = (l: Legality | undefined) => !(l?.hooks && mask & ~hookBits(l.hooks));
  for (const m of rule.matches) if (!ok(m.legal)) return false;
  return rule.target.kind !== 'ext' || ok(rule.target.ext.legal);
}

/** The table as the reachability checks see it: its chains, and where a rule's jump leads. */
export interface ChainGraph {
  readonly table: TableName;
  chain(name: string): Chain | undefined;
  chains(): Iterable<Chain>;
  /** The chain a jump or goto leads to; undefined for any other rule. */
  target(rule: Rule): Chain | undefined;
}

/** Exact hook bits per chain name; null when the jumps form a loop reachable from a built-in chain. */
export function computeReach(g: ChainGraph): Map<string, number> | null {
  const bits = new Map<string, number>();
  const onPath = new Set<Chain>();
  let loop = false;
  const visit = (c: Chain, bit: number): void => {
    if (loop) return;
    if (onPath.has(c)) {
      loop = true;
      return;
    }
    const had = bits.get(c.name) ?? 0;
    // Already explored from this hook without finding a loop.
    if (had & bit) return;
    bits.set(c.name, had | bit);
    onPath.add(c);
    for (const r of c.rules) {
      const to = g.target(r);
      if (to) visit(to, bit);
    }
    onPath.delete(c);
  };
  for (const hook of BUILTIN_CHAINS[g.table]) {
    const c = g.chain(hook);
    if (c) visit(c, HOOK_BIT[hook]);
    onPath.clear();
  }
  return loop ? null : bits;
}

/**
 * One transaction's view of the bits: the cache it started from (null: unknown)
 * and the changes it made, which `commit` writes into the cache.
 */
export class Reach {
  private readonly delta = new Map<string, number>();

  constructor(
    private readonly graph: ChainGraph,
    private cache: ReachCache | null,
  ) {}

  /** True when the bits are known and exact (no rule or chain removed since they were computed). */
  get exact(): boolean {
    return this.cache?.exact ?? false;
  }

  get known(): boolean {
    return this.cache !== null;
  }

  bitsOf(name: string): number {
    return this.delta.get(name) ?? this.cache?.bits.get(name) ?? 0;
  }

  /** A chain deleted: nothing reaches its name any more. */
  clear(name: string): void {
    if (this.bitsOf(name)) this.delta.set(name, 0);
  }

  /** Removing rules or chains leaves the bits a superset of the truth. */
  shrunk(): void {
    if (this.cache) this.cache.exact = false;
  }

  /** Drops the bits (they are recomputed when next needed): for changes the incremental update does not follow. */
  forget(): void {
    this.cache = null;
    this.delta.clear();
  }

  /** Replaces the bits by exact ones; false (bits unchanged) on a loop. */
  recompute(): boolean {
    const bits = computeReach(this.graph);
    if (!bits) return false;
    this.cache = { bits, exact: true };
    this.delta.clear();
    return true;
  }

  ensure(): void {
    if (!this.cache) this.recompute();
  }

  /**
   * Adds `rule` to chain `c` if the kernel would accept it there: `place` puts it in, `unplace` takes
   * it out again. Returns the errno of a refusal, after which the rule is out and the bits are as they
   * were. A refusal judged on stale (too wide) bits is judged again on exact ones: a rule illegal at
   * a hook, or a loop, counts only where a built-in chain still reaches it.
   */
  admit(c: Chain, rule: Rule, place: () => void, unplace: () => void): 'Too many links' | 'Invalid argument' | null {
    this.ensure();
    const failure = this.tryAdmit(c, rule, place, unplace);
    if (failure && this.known && !this.exact && this.recompute()) return this.tryAdmit(c, rule, place, unplace);
    return failure;
  }

  private tryAdmit(c: Chain, rule: Rule, place: () => void, unplace: () => void): 'Too many links' | 'Invalid argument' | null {
    const mask = this.bitsOf(c.name);
    if (!legalAtHooks(rule, mask)) return 'Invalid argument';
    place();
    const to = this.graph.target(rule);
    if (!to || mask === 0) return null;
    const failure = this.extend(c, to, mask);
    if (failure) unplace();
    return failure;
  }

  /**
   * After adding the edge from -> to (`from` reached with hook bits `mask`): refuses a loop the
   * edge makes reachable ('Too many links'), and rules the newly reaching hooks forbid
   * ('Invalid argument'). On failure the bits are left as they were.
   */
  private extend(from: Chain, to: Chain, mask: number): 'Too many links' | 'Invalid argument' | null {
    // 1: on the current path, 2: explored without finding a way back. Reaching `from` or the path again is a loop.
    const colour = new Map<Chain, number>();
    const loops = (c: Chain): boolean => {
      if (c.name === from.name) return true;
      const k = colour.get(c);
      if (k === 1) return true;
      if (k === 2) return false;
      colour.set(c, 1);
      for (const r of c.rules) {
        const next = this.graph.target(r);
        if (next && loops(next)) return true;
      }
      colour.set(c, 2);
      return false;
    };
    if (loops(to)) return 'Too many links';
    const undo: [string, number | undefined][] = [];
    const spread = (c: Chain, bits: number): boolean => {
      const had = this.bitsOf(c.name);
      const add = bits & ~had;
      if (add === 0) return true;
      undo.push([c.name, this.delta.get(c.name)]);
      this.delta.set(c.name, had | add);
      for (const r of c.rules) if (!legalAtHooks(r, had | add)) return false;
      for (const r of c.rules) {
        const next = this.graph.target(r);
        if (next && !spread(next, add)) return false;
      }
      return true;
    };
    if (spread(to, mask)) return null;
    for (let i = undo.length - 1; i >= 0; i--) {
      const [n, b] = undo[i];
      if (b === undefined) this.delta.delete(n);
      else this.delta.set(n, b);
    }
    return 'Invalid argument';
  }

  /** The whole-table check: no loop, and every rule legal at the hooks its chain is reached from. */
  validate(): boolean {
    if (!this.recompute()) return false;
    for (const c of this.graph.chains()) {
      const bits = this.bitsOf(c.name);
      if (bits === 0) continue;
      for (const r of c.rules) if (!legalAtHooks(r, bits)) return false;
    }
    return true;
  }

  /** The bits with this transaction's changes written in, for the table to keep; null when unknown. */
  commit(): ReachCache | null {
    if (this.cache) for (const [n, b] of this.delta) this.cache.bits.set(n, b);
    return this.cache;
  }
}
