/**
 * The batch and nft's cache as one transaction sees them: what it changed, what nft has read,
 * and the errors of nft and of the kernel that it tells apart.
 */
import { type Chain, type Elem, elemId, type Family, type Loc, type NamedSet, type Ruleset, type Table } from '../ast.js';
import type { Cmd } from '../parse/cmd.js';

export interface ApplyOpts {
  /** `nft -c`: check only, change nothing. */
  check?: boolean;
  /** `nft -a`: listings show handles. */
  handles?: boolean;
  nowMs?: number;
  /** `list ruleset`: the tables iptables-nft made, as nft lists them, printed before the native ones. */
  foreign?: (handles: boolean) => string;
  /** Called after a commit, with what changed (for recompiling only that). */
  onCommit?: (changes: NftChanges) => void;
  /** The namespace's interface names, which nft asks for `iif|oif NAME`; unset, any name is taken. */
  ifaces?: ReadonlySet<string>;
}

/**
 * Elements a transaction added to (present) or removed from one set, by key identity, as they
 * stand at the end of it; or null when the set must be read again whole.
 */
export type SetDelta = Map<string, { elem: Elem; present: boolean }> | null;

/**
 * What a committed transaction touched, so the packet path recompiles only that: a
 * one-Service partial sync on a 10,000-Service ruleset changes a handful of chains
 * and three map elements, not the 31,000 chains around them.
 */
export interface NftChanges {
  /** Tables came or went, or a base chain came, went or changed: the hook lists are built again. */
  hooks: boolean;
  /** Chains whose rules changed, or that were deleted, by table. */
  chains: Map<Table, Set<string>>;
  /** Sets whose elements changed, by table. */
  sets: Map<Table, Map<string, SetDelta>>;
}

function newChanges(): NftChanges {
  return { hooks: false, chains: new Map(), sets: new Map() };
}

/**
 * What one transaction knows besides the ruleset: what nft's cache holds for it and what it has
 * changed so far. One per `applyCmds`, handed down rather than kept in module state, so nothing of
 * one transaction outlives it.
 */
export interface Txn {
  /** The interfaces of the transaction's namespace (`ApplyOpts.ifaces`). */
  ifaces: ReadonlySet<string> | undefined;
  /**
   * Whether nft loads rules into its cache for this transaction: it does when an `add` or `insert`
   * places a rule by handle, position or index (nft 1.0.6). Then it finds a rule's missing table or
   * chain itself, while it evaluates; otherwise only the kernel does, when the batch is sent, and an
   * error nft finds anywhere in the input stops the batch first (measured with `nft -c -f`).
   */
  ruleCache: boolean;
  /**
   * Rules the transaction removed, by chain: the kernel still has them until the commit, and refuses
   * a second removal without naming the handle (at the whole command).
   */
  removed: WeakMap<Chain, Set<number>>;
  /**
   * nft 1.0.6 reads only what a batch's trailing list commands name (its cache filter), when no other
   * command comes after them: `list chain|set|map T NAME` (null: it reads what the batch needs).
   */
  listFilter: { t: Table | undefined; name: string } | null;
  /** Whether nft has a table in its cache: all, unless a trailing list command filtered what it read. */
  cachedTable: (t: Table) => boolean;
  /** Sets and chains the transaction made (nft has them in its cache whatever it read). */
  newSets: WeakSet<NamedSet>;
  newChains: WeakSet<Chain>;
  /** What the transaction changed so far (`ApplyOpts.onCommit`). */
  changes: NftChanges;
}

/** A transaction before its first command; `applyCmds` sets what nft's cache filter reads from the batch. */
export function newTxn(ifaces: ReadonlySet<string> | undefined): Txn {
  return {
    ifaces,
    ruleCache: false,
    removed: new WeakMap(),
    listFilter: null,
    cachedTable: () => true,
    newSets: new WeakSet(),
    newChains: new WeakSet(),
    changes: newChanges(),
  };
}

/**
 * A chain's rule list grows by push and keeps V8's spare capacity (16 slots for a
 * two-rule chain); copied once at commit it holds only its rules. With the statement
 * lists trimmed the same way, 11 of the 59 MiB of the 10,000-Service ruleset.
 */
export function trimChains(ch: NftChanges): void {
  for (const [t, names] of ch.chains)
    for (const n of names) {
      const c = t.chainByName.get(n);
      if (c && c.rules.length) c.rules = c.rules.slice();
    }
}

export function chainChanged(tx: Txn, t: Table, ch: Chain): void {
  if (ch.base) tx.changes.hooks = true;
  let m = tx.changes.chains.get(t);
  if (!m) tx.changes.chains.set(t, (m = new Set()));
  m.add(ch.name);
}

/** `elems` null: the whole set changed (created, flushed, deleted). */
export function setChanged(tx: Txn, t: Table, name: string, elems: Elem[] | null, present: boolean): void {
  let m = tx.changes.sets.get(t);
  if (!m) tx.changes.sets.set(t, (m = new Map<string, SetDelta>()));
  let d = m.get(name);
  if (d === null) return;
  if (elems === null) {
    m.set(name, null);
    return;
  }
  if (!d) m.set(name, (d = new Map()));
  for (const elem of elems) d.set(elemId(elem.key), { elem, present });
}

/** Which of nft's explanations of a kernel's "No such file or directory" applies: by the command's object. */
type EnoentKind = 'table' | 'chain' | 'rule' | 'set';

export class TxnError extends Error {
  /** A kernel's ENOENT that nft explains after the batch, from its cache as the whole transaction left it. */
  enoent?: { kind: EnoentKind; c: Cmd };
  /** The kernel's validation of a base chain's hooks, which it reports only when nothing else in the batch failed. */
  validation?: boolean;
  constructor(
    readonly loc: Loc,
    message: string,
    /** The kernel's refusal (nft reports it after its own errors), not one nft finds itself. */
    readonly kernel = message.startsWith('Could not process rule'),
  ) {
    super(message);
  }
}

/**
 * Marks the kernel's ENOENT refusals of `c` at one of its attributes (not at the whole command) for
 * nft's explanation (`explainEnoent`).
 */
export function enoentOf<T>(kind: EnoentKind, c: Cmd, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TxnError && e.kernel && e.message === NOENT && e.loc !== c.loc) e.enoent = { kind, c };
    throw e;
  }
}

export const NOENT = 'Could not process rule: No such file or directory';

/** A refusal of the kernel's validation of a base chain's hooks (see `TxnError.validation`). */
export function invalid(loc: Loc): TxnError {
  return Object.assign(new TxnError(loc, 'Could not process rule: Operation not supported'), { validation: true });
}

export function findTable(rs: Ruleset, family: Family, name: string): Table | undefined {
  return rs.tables.find((t) => t.family === family && t.name === name);
}

export function goneRule(tx: Txn, ch: Chain, handle: number): void {
  let s = tx.removed.get(ch);
  if (!s) tx.removed.set(ch, (s = new Set()));
  s.add(handle);
}

/** A refusal that is the kernel's rather than nft's own (see `Txn.ruleCache`). */
export function asKernel<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    // nft's own lookups say "No such file or directory"; the kernel's, without a suggestion, "Could not process rule: ...".
    if (e instanceof TxnError && !e.kernel) throw new TxnError(e.loc, e.message === 'No such file or directory' ? NOENT : e.message, true);
    throw e;
  }
}
