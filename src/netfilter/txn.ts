/**
 * Changes to one table, checked as the kernel checks them and made visible all
 * at once by `commit`. This is what makes a restore batch atomic and what gives
 * commands the kernel's answers (hook legality over the chains reachable from
 * each built-in chain, loops, busy chains).
 *
 * Copy-on-write: a transaction copies only the chains it changes. At commit the
 * copies are written back into the live chain objects, so every jump that points
 * at them stays valid and one `iptables -I` into an 80,000-rule table costs the
 * size of one chain, not of the table. Which hooks reach each chain, and the
 * loop and hook checks that need it, are reach.ts's job.
 */
import type { TableName } from './types.js';
import {
  registerChain,
  BUILTIN_CHAINS,
  cloneTable,
  newChain,
  relinkJumps,
  type Chain,
  type ReachCache,
  type Rule,
  type Ruleset,
  type Table,
} from './rule.js';
import type { Legality } from './ext.js';
import { HOOK_BIT, Reach, type ChainGraph } from './reach.js';

/** How iptables reports a failure: parse errors (exit 2), chain-operation errors (exit 1), kernel refusals (exit 4). */
export interface OpError {
  kind: 'parse' | 'op' | 'kernel';
  message: string;
}

const opErr = (message: string): OpError => ({ kind: 'op', message });
const kernelErr = (message: string): OpError => ({ kind: 'kernel', message });

const isJump = (r: Rule): r is Rule & { target: { kind: 'jump' | 'goto'; chainName: string } } =>
  r.target.kind === 'jump' || r.target.kind === 'goto';

export class TableTxn {
  /** The live table, changed in place at commit; undefined when the transaction builds a new table object. */
  private readonly base: Table | undefined;
  /** Chains this transaction owns (copied, created, or all of them for a new table): name → chain, null once deleted. */
  private readonly overlay = new Map<string, Chain | null>();
  /** Private copy → the live chain it copies, to write it back into at commit. */
  private readonly origin = new Map<Chain, Chain>();
  /** Which hooks reach each chain, in this transaction's view. */
  private readonly reach: Reach;
  /** Rules whose jump this transaction pointed at a chain object; commit points them at the live ones. */
  private readonly linked: Rule[] = [];
  /** True once anything changed, so that a table that was only looked at is not created. */
  touched = false;
  /**
   * Batch mode for iptables-restore: hook legality and loops are not checked per
   * rule (that is quadratic in the size of the table) but once, by validate(),
   * before the block commits.
   */
  deferChecks = false;

  /**
   * `base` undefined: a new table with only built-in chains (a flushed restore
   * block). Otherwise changes go to `base` in place at commit when `inPlace`, or
   * to a fresh copy of it that commit installs (a restore batch that must leave
   * the live tables alone until its very end).
   */
  constructor(
    readonly name: TableName,
    base: Table | undefined,
    readonly existed: boolean,
    inPlace = false,
  ) {
    const graph: ChainGraph = { table: name, chain: (n) => this.chain(n), chains: () => this.chains(), target: (r) => this.target(r) };
    if (base && inPlace) {
      this.base = base;
      this.reach = new Reach(graph, base.reach ?? null);
      return;
    }
    this.base = undefined;
    const t = base ? cloneTable(base) : { name, chains: new Map(BUILTIN_CHAINS[name].map((h) => [h, newChain(h, true)])) };
    relinkJumps(t);
    for (const [n, c] of t.chains) this.overlay.set(n, c);
    let cache: ReachCache | null;
    if (base?.reach) cache = { bits: new Map(base.reach.bits), exact: base.reach.exact };
    else if (base) cache = null;
    else cache = { bits: new Map(BUILTIN_CHAINS[name].map((h) => [h, HOOK_BIT[h]])), exact: true };
    this.reach = new Reach(graph, cache);
  }

  static open(rs: Ruleset, name: TableName): TableTxn {
    const t = rs.table(name);
    return new TableTxn(name, t, t !== undefined, t !== undefined && rs.owns(t));
  }

  commit(rs: Ruleset): void {
    if (!this.touched && !this.existed) return;
    // The cache is this transaction's own, or (in place) the live table's, which committing may now update.
    const reach = this.reach.commit();
    if (!this.base) {
      const chains = new Map<string, Chain>();
      for (const [n, c] of this.overlay) if (c) chains.set(n, c);
      rs.commit(this.name, { name: this.name, chains, reach: reach ?? undefined });
      return;
    }
    const live = this.base.chains;
    for (const [n, c] of this.overlay) {
      if (c === null) {
        live.delete(n);
        continue;
      }
      const orig = this.origin.get(c);
      if (orig) Object.assign(orig, c);
      live.set(n, orig ?? c);
    }
    // Older rules point at live chains, which stay: a chain with jumps to it cannot have been deleted.
    for (const r of this.linked) if (isJump(r)) r.target.chain = live.get(r.target.chainName) ?? null;
    this.base.reach = reach ?? undefined;
  }

  chain(name: string): Chain | undefined {
    const own = this.overlay.get(name);
    if (own !== undefined) return own ?? undefined;
    return this.base?.chains.get(name);
  }

  /** The chain, copied into this transaction first if it is still the live one. */
  private own(name: string): Chain | undefined {
    const own = this.overlay.get(name);
    if (own !== undefined) return own ?? undefined;
    const live = this.base?.chains.get(name);
    if (!live) return undefined;
    const copy: Chain = { ...live, rules: live.rules.slice() };
    this.overlay.set(name, copy);
    this.origin.set(copy, live);
    return copy;
  }

  *chains(): Iterable<Chain> {
    for (const c of this.overlay.values()) if (c) yield c;
    if (this.base) for (const [n, c] of this.base.chains) if (!this.overlay.has(n)) yield c;
  }

  /**
   * Where a jump leads in this transaction's view. A rule's chain pointer can be
   * trusted while every chain is this transaction's own and none was deleted or
   * renamed (a restore block loading a table); otherwise it may point at a live
   * chain this transaction has copied, so the name decides.
   */
  target(r: Rule): Chain | undefined {
    if (!isJump(r)) return undefined;
    if (!this.base && !this.relinked) return r.target.chain ?? undefined;
    return this.chain(r.target.chainName);
  }

  /** Set once a chain was deleted or renamed: rule pointers may then name a chain that is gone. */
  private relinked = false;

  /** The kernel's per-rule checks that do not depend on reachability (table, protocol). */
  private staticCheck(rule: Rule): boolean {
    const ok = (l: Legality | undefined) =>
      !l || ((!l.tables || l.tables.includes(this.name)) && (!l.protos || (!rule.header.protoInv && l.protos.includes(rule.header.proto))));
    for (const m of rule.matches) if (!ok(m.legal)) return false;
    return rule.target.kind !== 'ext' || ok(rule.target.ext.legal);
  }

  /** Inserts `rule` at `index` (0-based) of `chainName`, as RULE_APPEND/RULE_INSERT/RULE_REPLACE would. */
  addRule(chainName: string, rule: Rule, index: number | 'end', what: 'RULE_APPEND' | 'RULE_INSERT' | 'RULE_REPLACE'): OpError | null {
    const c = this.own(chainName);
    if (!c) return opErr('No chain/target/match by that name');
    const at = index === 'end' ? c.rules.length : index;
    const fail = (errno: string) => kernelErr(`${what} failed (${errno}): rule in chain ${chainName}`);
    if (!this.staticCheck(rule)) return fail('Invalid argument');
    if (isJump(rule)) {
      rule.target.chain = this.chain(rule.target.chainName) ?? null;
      this.linked.push(rule);
    }
    const replaced = what === 'RULE_REPLACE' ? c.rules[at] : undefined;
    if (this.deferChecks) {
      c.rules.splice(at, replaced ? 1 : 0, rule);
      registerChain(c);
      this.touched = true;
      this.reach.forget();
      return null;
    }
    const failure = this.reach.admit(
      c,
      rule,
      () => {
        c.rules.splice(at, replaced ? 1 : 0, rule);
        if (replaced && isJump(replaced)) this.reach.shrunk();
      },
      () => c.rules.splice(at, 1, ...(replaced ? [replaced] : [])),
    );
    if (failure) return fail(failure);
    this.touched = true;
    registerChain(c);
    return null;
  }

  /** The checks deferChecks skipped, for the whole table at once: no loop, every rule legal at the hooks its chain is reached from. */
  validate(): boolean {
    return this.reach.validate();
  }

  deleteRuleAt(chainName: string, index: number): OpError | null {
    const c = this.chain(chainName);
    if (!c) return opErr('No chain/target/match by that name');
    if (index < 0 || index >= c.rules.length) return opErr('Index of deletion too big');
    const [gone] = this.own(chainName)!.rules.splice(index, 1);
    if (isJump(gone)) this.reach.shrunk();
    this.touched = true;
    return null;
  }

  /** Index of the first rule whose saved form equals `text`, or -1. */
  findRule(chainName: string, spec: string, specOf: (r: Rule) => string): number {
    const c = this.chain(chainName);
    if (!c) return -1;
    return c.rules.findIndex((r) => specOf(r) === spec);
  }

  newChain(name: string): OpError | null {
    if (this.chain(name)) return opErr('Chain already exists');
    this.overlay.set(name, newChain(name, false));
    this.touched = true;
    return null;
  }

  /** `:NAME` in a restore file: creates a user chain, or empties it if it exists. */
  declareChain(name: string): void {
    const c = this.chain(name);
    if (c && !c.builtin) {
      if (c.rules.length) this.own(name)!.rules = [];
      this.reach.shrunk();
    } else if (!c) this.overlay.set(name, newChain(name, false));
    this.touched = true;
  }

  references(c: Chain): number {
    let n = 0;
    for (const other of this.chains()) for (const r of other.rules) if (isJump(r) && r.target.chainName === c.name) n++;
    return n;
  }

  deleteChain(name: string): OpError | null {
    const c = this.chain(name);
    if (!c || c.builtin) return opErr('No chain/target/match by that name');
    if (c.rules.length > 0 || this.references(c) > 0) return kernelErr(`CHAIN_DEL failed (Device or resource busy): chain ${name}`);
    this.dropChain(name);
    return null;
  }

  private dropChain(name: string): void {
    this.relinked = true;
    this.overlay.set(name, null);
    this.reach.clear(name);
    this.touched = true;
  }

  /** `-X` without a name: every user chain, stopping at the first busy one. */
  deleteAllUserChains(): OpError | null {
    const users = [...this.chains()].filter((c) => !c.builtin).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const c of users)
      if (c.rules.length > 0 || this.references(c) > 0) return kernelErr(`CHAIN_DEL failed (Device or resource busy): chain ${c.name}`);
    for (const c of users) this.dropChain(c.name);
    return null;
  }

  flush(name: string | null): OpError | null {
    const names = name === null ? [...this.chains()].map((c) => c.name) : [name];
    if (name !== null && !this.chain(name)) return opErr('No chain/target/match by that name');
    for (const n of names) if (this.chain(n)!.rules.length) this.own(n)!.rules = [];
    this.reach.shrunk();
    return null;
  }

  zero(name: string | null, ruleNum: number | null): OpError | null {
    const names = name === null ? [...this.chains()].map((c) => c.name) : [name];
    if (name !== null && !this.chain(name)) return opErr('No chain/target/match by that name');
    for (const n of names) {
      const c = this.own(n)!;
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

  /** `-X` of an empty built-in chain with policy ACCEPT: iptables-nft deletes its base chain, made again when next named. */
  unregisterBuiltin(name: string): void {
    const own = this.own(name)!;
    own.registered = false;
    own.policyCounted = false;
    own.pkts = 0;
    own.bytes = 0;
    this.touched = true;
  }

  /** `-F CHAIN` naming a built-in chain iptables-nft has not made yet makes it (empty). */
  registerBuiltin(name: string): OpError | null {
    const own = this.own(name);
    if (!own) return opErr('No chain/target/match by that name');
    registerChain(own);
    this.touched = true;
    return null;
  }

  setPolicy(name: string, policy: string, counters: [number, number] | null): OpError | null {
    const c = this.chain(name);
    if (!c || !c.builtin) return opErr('Bad built-in chain name');
    if (policy !== 'ACCEPT' && policy !== 'DROP') return opErr('Bad policy name');
    const own = this.own(name)!;
    own.policy = policy;
    if (!own.registered) own.policyCounted = true;
    registerChain(own);
    if (counters) [own.pkts, own.bytes] = counters;
    this.touched = true;
    return null;
  }

  rename(oldName: string, newName: string): OpError | null {
    if (this.chain(newName)) return opErr('File exists');
    const c = this.chain(oldName);
    if (!c || c.builtin) return opErr('No chain/target/match by that name');
    const moved = this.own(oldName)!;
    this.relinked = true;
    this.overlay.set(oldName, null);
    moved.name = newName;
    this.overlay.set(newName, moved);
    for (const other of [...this.chains()]) {
      if (!other.rules.some((r) => isJump(r) && r.target.chainName === oldName)) continue;
      this.own(other.name)!.rules = other.rules.map((r) => {
        if (!isJump(r) || r.target.chainName !== oldName) return r;
        const renamed: Rule = { ...r, target: { ...r.target, chainName: newName, chain: moved }, specCache: undefined };
        this.linked.push(renamed);
        return renamed;
      });
    }
    // Bits are keyed by name: simplest to recompute them for this rare command.
    this.reach.forget();
    this.touched = true;
    return null;
  }
}
