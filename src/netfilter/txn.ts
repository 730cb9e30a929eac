/**
 * Changes to one table, made on a private copy and checked as the kernel checks
 * them; `commit` swaps the copy in. This is what makes a restore batch atomic and
 * what gives commands the kernel's answers (hook legality over the chains
 * reachable from each built-in chain, loops, busy chains).
 */
import type { Hook, TableName } from './types.js';
import { BUILTIN_CHAINS, cloneTable, newChain, relinkJumps, type Chain, type Rule, type Ruleset, type Table } from './rule.js';
import type { Legality } from './ext.js';

const HOOK_BIT: Record<Hook, number> = { PREROUTING: 1, INPUT: 2, FORWARD: 4, OUTPUT: 8, POSTROUTING: 16 };

/** How iptables reports a failure: parse errors (exit 2), chain-operation errors (exit 1), kernel refusals (exit 4). */
export interface OpError {
  kind: 'parse' | 'op' | 'kernel';
  message: string;
}

const opErr = (message: string): OpError => ({ kind: 'op', message });
const kernelErr = (message: string): OpError => ({ kind: 'kernel', message });

export class TableTxn {
  readonly table: Table;
  private reach: Map<Chain, number> | null = null;
  /** True once anything changed, so that a table that was only looked at is not created. */
  touched = false;
  /**
   * Batch mode for iptables-restore: hook legality and loops are not checked per
   * rule (that is quadratic in the size of the table) but once, by validate(),
   * before the block commits.
   */
  deferChecks = false;

  constructor(
    readonly name: TableName,
    base: Table | undefined,
    readonly existed: boolean,
  ) {
    this.table = base ? cloneTable(base) : { name, chains: new Map(BUILTIN_CHAINS[name].map((h) => [h, newChain(h, true)])) };
    relinkJumps(this.table);
  }

  static open(rs: Ruleset, name: TableName): TableTxn {
    const t = rs.table(name);
    return new TableTxn(name, t, t !== undefined);
  }

  commit(rs: Ruleset): void {
    if (this.touched || this.existed) rs.commit(this.name, this.table);
  }

  chain(name: string): Chain | undefined {
    return this.table.chains.get(name);
  }

  private dirty(): void {
    this.reach = null;
  }

  /** Hook bits each chain is reachable from; null when the jumps form a loop reachable from a built-in chain. */
  private computeReach(): Map<Chain, number> | null {
    const reach = new Map<Chain, number>();
    const onPath = new Set<Chain>();
    let loop = false;
    const visit = (c: Chain, bit: number): void => {
      if (loop) return;
      if (onPath.has(c)) {
        loop = true;
        return;
      }
      const had = reach.get(c) ?? 0;
      // Already explored from this hook without finding a loop.
      if (had & bit) return;
      reach.set(c, had | bit);
      onPath.add(c);
      for (const r of c.rules) if ((r.target.kind === 'jump' || r.target.kind === 'goto') && r.target.chain) visit(r.target.chain, bit);
      onPath.delete(c);
    };
    for (const hook of BUILTIN_CHAINS[this.name]) {
      const c = this.table.chains.get(hook);
      if (c) visit(c, HOOK_BIT[hook]);
      onPath.clear();
    }
    return loop ? null : reach;
  }

  private reachOf(c: Chain): number {
    this.reach ??= this.computeReach() ?? new Map();
    return this.reach.get(c) ?? 0;
  }

  /** The kernel's per-rule checks that do not depend on reachability (table, protocol). */
  private staticCheck(rule: Rule): boolean {
    for (const l of legalities(rule)) {
      if (l.tables && !l.tables.includes(this.name)) return false;
      if (l.protos && (rule.header.protoInv || !l.protos.includes(rule.header.proto))) return false;
    }
    return true;
  }

  private hookCheck(rule: Rule, mask: number): boolean {
    for (const l of legalities(rule)) {
      if (!l.hooks) continue;
      let allowed = 0;
      for (const h of l.hooks) allowed |= HOOK_BIT[h];
      if (mask & ~allowed) return false;
    }
    return true;
  }

  /** Inserts `rule` at `index` (0-based) of `chainName`, as RULE_APPEND/RULE_INSERT/RULE_REPLACE would. */
  addRule(chainName: string, rule: Rule, index: number | 'end', what: 'RULE_APPEND' | 'RULE_INSERT' | 'RULE_REPLACE'): OpError | null {
    const c = this.chain(chainName);
    if (!c) return opErr('No chain/target/match by that name');
    const at = index === 'end' ? c.rules.length : index;
    const fail = (errno: string) => kernelErr(`${what} failed (${errno}): rule in chain ${chainName}`);
    if (!this.staticCheck(rule)) return fail('Invalid argument');
    if (rule.target.kind === 'jump' || rule.target.kind === 'goto') rule.target.chain = this.chain(rule.target.chainName) ?? null;
    if (this.deferChecks) {
      c.rules.splice(at, what === 'RULE_REPLACE' ? 1 : 0, rule);
      c.registered = true;
      this.touched = true;
      this.reach = null;
      return null;
    }
    const mask = this.reachOf(c);
    const before = this.reach!;
    if (!this.hookCheck(rule, mask)) return fail('Invalid argument');
    c.rules.splice(at, what === 'RULE_REPLACE' ? 1 : 0, rule);
    this.touched = true;
    const wasRegistered = c.registered;
    c.registered = true;
    if ((rule.target.kind === 'jump' || rule.target.kind === 'goto') && mask !== 0 && what !== 'RULE_REPLACE') {
      // A new edge only adds reachability, so only the target's subgraph needs a look (recomputing
      // the whole table per rule made loading a kube-proxy table quadratic).
      if (rule.target.chain && !this.extendReach(c, rule.target.chain, mask)) {
        c.rules.splice(at, 1);
        c.registered = wasRegistered;
        return fail(this.lastFailure);
      }
    } else if ((rule.target.kind === 'jump' || rule.target.kind === 'goto') && mask !== 0) {
      const next = this.computeReach();
      if (next === null) {
        c.rules.splice(at, 1);
        c.registered = wasRegistered;
        this.reach = before;
        return fail('Too many links');
      }
      // Chains that became reachable from more hooks must now hold only rules legal there.
      for (const [chain, bits] of next) {
        if (bits === (before.get(chain) ?? 0)) continue;
        for (const r of chain.rules)
          if (!this.hookCheck(r, bits)) {
            c.rules.splice(at, 1);
            c.registered = wasRegistered;
            this.reach = before;
            return fail('Invalid argument');
          }
      }
      this.reach = next;
    } else if (what === 'RULE_REPLACE') this.dirty();
    return null;
  }

  private lastFailure = '';

  /**
   * After adding the edge from -> to (`from` reachable with hook bits `mask`): refuses a loop the
   * edge makes reachable, and rules the newly reaching hooks forbid. On failure the cached
   * reachability is left as it was.
   */
  private extendReach(from: Chain, to: Chain, mask: number): boolean {
    const reach = this.reach!;
    // 1: on the current path, 2: explored without finding a way back. Reaching `from` or the path again is a loop.
    const colour = new Map<Chain, number>();
    const loops = (c: Chain): boolean => {
      if (c === from) return true;
      const k = colour.get(c);
      if (k === 1) return true;
      if (k === 2) return false;
      colour.set(c, 1);
      for (const r of c.rules) if ((r.target.kind === 'jump' || r.target.kind === 'goto') && r.target.chain && loops(r.target.chain)) return true;
      colour.set(c, 2);
      return false;
    };
    if (loops(to)) {
      this.lastFailure = 'Too many links';
      return false;
    }
    const undo: [Chain, number][] = [];
    const spread = (c: Chain, bits: number): boolean => {
      const had = reach.get(c) ?? 0;
      const add = bits & ~had;
      if (add === 0) return true;
      undo.push([c, had]);
      reach.set(c, had | add);
      for (const r of c.rules) if (!this.hookCheck(r, had | add)) return false;
      for (const r of c.rules) if ((r.target.kind === 'jump' || r.target.kind === 'goto') && r.target.chain && !spread(r.target.chain, add)) return false;
      return true;
    };
    if (spread(to, mask)) return true;
    for (let i = undo.length - 1; i >= 0; i--) reach.set(undo[i][0], undo[i][1]);
    this.lastFailure = 'Invalid argument';
    return false;
  }

  /** The checks deferChecks skipped, for the whole table at once: no loop, every rule legal at the hooks its chain is reached from. */
  validate(): boolean {
    const reach = this.computeReach();
    if (reach === null) return false;
    this.reach = reach;
    for (const c of this.table.chains.values()) {
      const bits = reach.get(c) ?? 0;
      if (bits === 0) continue;
      for (const r of c.rules) if (!this.hookCheck(r, bits)) return false;
    }
    return true;
  }

  deleteRuleAt(chainName: string, index: number): OpError | null {
    const c = this.chain(chainName);
    if (!c) return opErr('No chain/target/match by that name');
    if (index < 0 || index >= c.rules.length) return opErr('Index of deletion too big');
    c.rules.splice(index, 1);
    this.touched = true;
    this.dirty();
    return null;
  }

  /** Index of the first rule whose saved form equals `text`, or -1. */
  findRule(chainName: string, spec: string, specOf: (r: Rule) => string): number {
    const c = this.chain(chainName);
    if (!c) return -1;
    return c.rules.findIndex((r) => specOf(r) === spec);
  }

  newChain(name: string): OpError | null {
    if (this.table.chains.has(name)) return opErr('Chain already exists');
    this.table.chains.set(name, newChain(name, false));
    this.touched = true;
    return null;
  }

  /** `:NAME` in a restore file: creates a user chain, or empties it if it exists. */
  declareChain(name: string): void {
    const c = this.table.chains.get(name);
    if (c && !c.builtin) c.rules = [];
    else if (!c) this.table.chains.set(name, newChain(name, false));
    this.touched = true;
    this.dirty();
  }

  references(c: Chain): number {
    let n = 0;
    for (const other of this.table.chains.values()) for (const r of other.rules) if ((r.target.kind === 'jump' || r.target.kind === 'goto') && r.target.chainName === c.name) n++;
    return n;
  }

  deleteChain(name: string): OpError | null {
    const c = this.chain(name);
    if (!c || c.builtin) return opErr('No chain/target/match by that name');
    if (c.rules.length > 0 || this.references(c) > 0) return kernelErr(`CHAIN_DEL failed (Device or resource busy): chain ${name}`);
    this.table.chains.delete(name);
    this.touched = true;
    this.dirty();
    return null;
  }

  /** `-X` without a name: every user chain, stopping at the first busy one. */
  deleteAllUserChains(): OpError | null {
    const users = [...this.table.chains.values()].filter((c) => !c.builtin).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const c of users) if (c.rules.length > 0 || this.references(c) > 0) return kernelErr(`CHAIN_DEL failed (Device or resource busy): chain ${c.name}`);
    for (const c of users) this.table.chains.delete(c.name);
    if (users.length) this.touched = true;
    this.dirty();
    return null;
  }

  flush(name: string | null): OpError | null {
    if (name === null) {
      for (const c of this.table.chains.values()) c.rules = [];
    } else {
      const c = this.chain(name);
      if (!c) return opErr('No chain/target/match by that name');
      c.rules = [];
    }
    this.dirty();
    return null;
  }

  zero(name: string | null, ruleNum: number | null): OpError | null {
    const chains = name === null ? [...this.table.chains.values()] : [this.chain(name)];
    if (chains.some((c) => c === undefined)) return opErr('No chain/target/match by that name');
    for (const c of chains as Chain[]) {
      if (ruleNum !== null) {
        const r = c.rules[ruleNum - 1];
        if (!r) return opErr('Bad rule (does a matching rule exist in that chain?)');
        c.rules[ruleNum - 1] = { ...r, pkts: 0, bytes: 0 };
        continue;
      }
      // Rules are shared with the live table until commit: replace, do not mutate.
      c.rules = c.rules.map((r) => ({ ...r, pkts: 0, bytes: 0 }));
      c.pkts = 0;
      c.bytes = 0;
    }
    return null;
  }

  setPolicy(name: string, policy: string, counters: [number, number] | null): OpError | null {
    const c = this.chain(name);
    if (!c || !c.builtin) return opErr('Bad built-in chain name');
    if (policy !== 'ACCEPT' && policy !== 'DROP') return opErr('Bad policy name');
    c.policy = policy;
    if (!c.registered) c.policyCounted = true;
    c.registered = true;
    if (counters) [c.pkts, c.bytes] = counters;
    this.touched = true;
    return null;
  }

  rename(oldName: string, newName: string): OpError | null {
    const c = this.chain(oldName);
    if (this.table.chains.has(newName)) return opErr('File exists');
    if (!c || c.builtin) return opErr('No chain/target/match by that name');
    this.table.chains.delete(oldName);
    c.name = newName;
    this.table.chains.set(newName, c);
    for (const other of this.table.chains.values())
      other.rules = other.rules.map((r) =>
        (r.target.kind === 'jump' || r.target.kind === 'goto') && r.target.chainName === oldName ? { ...r, target: { ...r.target, chainName: newName }, specCache: undefined } : r,
      );
    relinkJumps(this.table);
    this.touched = true;
    return null;
  }
}

function legalities(rule: Rule): Legality[] {
  const out: Legality[] = [];
  for (const m of rule.matches) if (m.legal) out.push(m.legal);
  if (rule.target.kind === 'ext' && rule.target.ext.legal) out.push(rule.target.ext.legal);
  return out;
}
