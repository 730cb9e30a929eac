/**
 * The rule model: tables of named chains holding rules. Chains are objects and a
 * rule's jump points at its target chain object (resolved when a batch commits),
 * so the chain walk never looks a name up.
 */
import type { Hook, TableName } from './types.js';
import type { AddrMask } from './addr.js';
import type { MatchInstance, TargetInstance } from './ext.js';
import type { MatchFn } from './ext.js';

export const BUILTIN_CHAINS: Readonly<Record<TableName, readonly Hook[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** iptables-nft's own table order (its internal table array), which iptables-save follows. */
export const SAVE_TABLE_ORDER: readonly TableName[] = ['mangle', 'security', 'raw', 'filter', 'nat'];

/** Where the rule goes once it matched. */
export type RuleTarget =
  | { kind: 'none' }
  | { kind: 'verdict'; verdict: 'ACCEPT' | 'DROP' | 'RETURN' | 'QUEUE' }
  | { kind: 'jump' | 'goto'; chainName: string; chain: Chain | null }
  | { kind: 'ext'; ext: TargetInstance };

/** The part of a rule the base match (`-s -d -i -o -p -f`) looks at. */
export interface RuleHeader {
  src: AddrMask | null;
  srcInv: boolean;
  dst: AddrMask | null;
  dstInv: boolean;
  inIf: string | null;
  inInv: boolean;
  outIf: string | null;
  outInv: boolean;
  proto: number;
  protoInv: boolean;
  /** 0: no -f; 1: -f (non-first fragments only); 2: ! -f. */
  frag: 0 | 1 | 2;
}

export interface Rule {
  header: RuleHeader;
  matches: MatchInstance[];
  target: RuleTarget;
  /** Header and matches folded into one closure at build time. */
  test: MatchFn;
  pkts: number;
  bytes: number;
  /** iptables-save text after `-A CHAIN` (without counters); computed on first use. */
  specCache?: string;
}

export interface Chain {
  name: string;
  builtin: boolean;
  /**
   * For a built-in chain: whether iptables-nft has created its base chain yet.
   * It does so lazily, on a `:CHAIN` line, a rule added to it or a policy set;
   * until then the hook has no chain there, packets pass uncounted, and
   * iptables-save still prints it (with [0:0]). User chains always exist.
   */
  registered: boolean;
  /** When iptables-nft made it (a process-wide sequence): `nft list ruleset` lists a table's chains in that order. */
  madeAt?: number;
  /** Whether its policy has a counter: iptables-nft adds one when a `:CHAIN` line or `-P` creates the chain, not when a rule does. */
  policyCounted: boolean;
  /** Built-in chains only. */
  policy: 'ACCEPT' | 'DROP';
  pkts: number;
  bytes: number;
  rules: Rule[];
}

export interface Table {
  name: TableName;
  chains: Map<string, Chain>;
  /** Which hooks reach each chain, kept between transactions (see TableTxn); absent when unknown. */
  reach?: ReachCache;
}

/** Hook bits per chain name: closed under jumps, and exact unless rules were removed since it was computed. */
export interface ReachCache {
  bits: Map<string, number>;
  exact: boolean;
}

/** A header that matches every packet: no address, interface, protocol or fragment test. */
export function emptyHeader(): RuleHeader {
  return {
    src: null,
    srcInv: false,
    dst: null,
    dstInv: false,
    inIf: null,
    inInv: false,
    outIf: null,
    outInv: false,
    proto: 0,
    protoInv: false,
    frag: 0,
  };
}

let madeSeq = 0;

export function newChain(name: string, builtin: boolean): Chain {
  const c: Chain = { name, builtin, registered: !builtin, policyCounted: false, policy: 'ACCEPT', pkts: 0, bytes: 0, rules: [] };
  if (!builtin) c.madeAt = ++madeSeq;
  return c;
}

/**
 * A tick of the process-wide registration clock iptables-nft's chains are stamped with; native nft
 * base chains take theirs from it too, so that at equal priority the one registered last runs first.
 */
export function nextRegistration(): number {
  return ++madeSeq;
}

/** Marks a built-in chain as made by iptables-nft (lazily, on first use), remembering when. */
export function registerChain(c: Chain): void {
  if (!c.registered) c.madeAt = ++madeSeq;
  c.registered = true;
}

export function newTable(name: TableName): Table {
  const chains = new Map<string, Chain>();
  for (const hook of BUILTIN_CHAINS[name]) chains.set(hook, newChain(hook, true));
  return { name, chains };
}

/**
 * A copy that can change without touching `t`. Rule objects are copied shallowly
 * (their compiled tests and extension state are shared, counters carried over), so
 * relinking the copy's jumps never redirects the live table.
 */
export function cloneTable(t: Table): Table {
  const chains = new Map<string, Chain>();
  for (const [name, c] of t.chains)
    chains.set(name, {
      ...c,
      rules: c.rules.map((r) => (r.target.kind === 'jump' || r.target.kind === 'goto' ? { ...r, target: { ...r.target } } : { ...r })),
    });
  return { name: t.name, chains };
}

/** Points every jump at the chain object of this table. Call after the chain set changed. */
export function relinkJumps(t: Table): void {
  for (const c of t.chains.values())
    for (const r of c.rules)
      if (r.target.kind === 'jump' || r.target.kind === 'goto') r.target.chain = t.chains.get(r.target.chainName) ?? null;
}

/**
 * A namespace's iptables state. A table exists only once something created it, as
 * iptables-nft creates tables lazily (`iptables-save` prints only existing ones).
 */
export class Ruleset {
  readonly tables = new Map<TableName, Table>();
  /** Tables this ruleset made or committed: only those may be changed in place (a restore batch borrows others read-only). */
  private readonly own = new WeakSet<Table>();

  owns(t: Table): boolean {
    return this.own.has(t);
  }

  table(name: TableName): Table | undefined {
    return this.tables.get(name);
  }

  /** The table, created with its built-in chains if it did not exist. */
  ensure(name: TableName): Table {
    let t = this.tables.get(name);
    if (!t) {
      t = newTable(name);
      this.tables.set(name, t);
      this.own.add(t);
    }
    return t;
  }

  /** Replaces (or removes, with null) a table wholesale: the commit step of a batch. */
  commit(name: TableName, t: Table | null): void {
    if (t === null) this.tables.delete(name);
    else {
      relinkJumps(t);
      this.tables.set(name, t);
      this.own.add(t);
    }
  }
}
