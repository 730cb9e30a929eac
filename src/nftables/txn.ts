/**
 * One `nft -f` file or command line as one transaction on a ruleset: all of it or
 * none of it. Changes go straight into the live ruleset with an undo log, so a
 * one-Service partial sync on a 10,000-Service ruleset costs what it changes; a
 * failure unwinds the log. Handles are assigned as the kernel assigns them: one
 * per-ruleset counter for tables, one per-table counter for chains, sets,
 * anonymous sets and rules, in the order nft sends the objects.
 */
import {
  elemId,
  type AnonSet,
  type Chain,
  type Elem,
  type Expr,
  type Family,
  type Loc,
  type NamedSet,
  type NatSpec,
  type NftHook,
  type Rule,
  type Ruleset,
  type Stmt,
  type Table,
} from './ast.js';
import { NftSyntaxError, type Related, type Tok } from './lexer.js';
import { parseNft } from './parser.js';
import type { Cmd, KernelChecks } from './parse/cmd.js';
import { parseElements, parseRule } from './parse/rule.js';
import { exprTypes } from './parse/values.js';
import { printChain, printRuleset, printTable, printSet, sortElems } from './print.js';
import { describe } from './types.js';
import { internElem, internStmts } from './intern.js';
import { nextRegistration } from '../netfilter/rule.js';

export interface NftError {
  line: number;
  col: number;
  end: number;
  message: string;
  /** A place on the same line that nft underlines with `~`. */
  related?: Related;
}

/**
 * A refused transaction's `output` is what its list commands printed: nft lists before it sends the
 * batch, so the kernel's refusal comes after it (an error nft finds itself stops it before any).
 */
export type NftResult = { ok: true; output: string } | { ok: false; errors: NftError[]; output?: string };

/** An error as nft prints it: `FILE:LINE:COL-LASTCOL: Error: MESSAGE`. */
export function formatNftError(file: string, e: NftError): string {
  return `${file}:${e.line}:${e.col}-${Math.max(e.col, e.end - 1)}: Error: ${e.message}`;
}

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

let changes: NftChanges = newChanges();

function newChanges(): NftChanges {
  return { hooks: false, chains: new Map(), sets: new Map() };
}

/**
 * A chain's rule list grows by push and keeps V8's spare capacity (16 slots for a
 * two-rule chain); copied once at commit it holds only its rules. With the statement
 * lists trimmed the same way, 11 of the 59 MiB of the 10,000-Service ruleset.
 */
function trimChains(ch: NftChanges): void {
  for (const [t, names] of ch.chains)
    for (const n of names) {
      const c = t.chainByName.get(n);
      if (c && c.rules.length) c.rules = c.rules.slice();
    }
}

function chainChanged(t: Table, ch: Chain): void {
  if (ch.base) changes.hooks = true;
  let m = changes.chains.get(t);
  if (!m) changes.chains.set(t, (m = new Set()));
  m.add(ch.name);
}

/** `elems` null: the whole set changed (created, flushed, deleted). */
function setChanged(t: Table, name: string, elems: Elem[] | null, present: boolean): void {
  let m = changes.sets.get(t);
  if (!m) changes.sets.set(t, (m = new Map<string, SetDelta>()));
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

class TxnError extends Error {
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
function enoentOf<T>(kind: EnoentKind, c: Cmd, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TxnError && e.kernel && e.message === NOENT && e.loc !== c.loc) e.enoent = { kind, c };
    throw e;
  }
}

const NOENT = 'Could not process rule: No such file or directory';

/** Parses and applies `text`; on any error nothing changes. */
export function runNft(rs: Ruleset, text: string, opts: ApplyOpts = {}): NftResult {
  let cmds: Cmd[];
  try {
    cmds = parseNft(text);
  } catch (e) {
    if (e instanceof NftSyntaxError)
      return { ok: false, errors: [{ line: e.line, col: e.col, end: e.end, message: e.message, related: e.related }] };
    throw e;
  }
  return applyCmds(rs, cmds, opts);
}

/**
 * nft reads the whole input before it evaluates any of it: a syntax error inside a rule anywhere
 * is reported before any other error. Rules are parsed here once, in order; a rule that fails
 * for another reason (a value nft cannot parse) fails when its command is applied.
 */
function parseRules(cmds: Cmd[]): NftSyntaxError | null {
  for (const c of cmds) {
    if (c.obj !== 'rule' || c.op === 'delete' || c.op === 'list' || c.op === 'flush' || !c.toks.length) continue;
    try {
      c.parsed = parseRule(c.toks, c.family ?? 'ip', ifaces);
    } catch (e) {
      if (!(e instanceof NftSyntaxError)) throw e;
      // nft's parser resolves variables as it reads: an unknown one is found with the syntax errors.
      if (e.message.startsWith('syntax error') || e.message.startsWith('unknown identifier')) return e;
      c.parsed = e;
    }
  }
  return null;
}

const isKernelSide = (e: unknown): boolean => e instanceof TxnError && e.kernel;
const isValidation = (e: unknown): boolean => e instanceof TxnError && !!e.validation;

/** A refusal of the kernel's validation of a base chain's hooks (see `TxnError.validation`). */
function invalid(loc: Loc): TxnError {
  return Object.assign(new TxnError(loc, 'Could not process rule: Operation not supported'), { validation: true });
}

export function applyCmds(rs: Ruleset, cmds: Cmd[], opts: ApplyOpts = {}): NftResult {
  ifaces = opts.ifaces;
  removed = new WeakMap();
  // nft reads the kernel's tables into its cache only for commands that need them (nft 1.0.6's cache flags).
  const cached = cmds.some(
    (c) => !((c.op === 'flush' && (c.obj === 'table' || c.obj === 'chain')) || (c.obj === 'table' && c.op !== 'delete')),
  );
  const before = new Set(rs.tables);
  newSets = new WeakSet();
  newChains = new WeakSet();
  // Chains too only for some (a rule's command reads them itself when the kernel refuses it).
  const chainsCached = cmds.some(
    (c) =>
      (c.obj === 'rule' && c.op !== 'flush') ||
      c.op === 'delete' ||
      c.op === 'list' ||
      (c.obj === 'element' && c.op !== 'flush') ||
      c.at.end === c.loc,
  );
  const lastOther = cmds.reduce((i, c, j) => (c.op === 'list' ? i : j), -1);
  const filterCmd = cmds
    .slice(lastOther + 1)
    .findLast((c) => c.op === 'list' && (c.obj === 'chain' || c.obj === 'set' || c.obj === 'table'));
  const filterTable = filterCmd ? findTable(rs, filterCmd.family ?? 'ip', filterCmd.table) : undefined;
  listFilter = filterCmd && filterCmd.obj !== 'table' ? { t: filterTable, name: filterCmd.name } : null;
  cachedTable = filterCmd ? (t) => t === filterTable || !before.has(t) : () => true;
  const syntax = parseRules(cmds);
  if (syntax)
    return {
      ok: false,
      errors: [{ line: syntax.line, col: syntax.col, end: syntax.end, message: syntax.message, related: syntax.related }],
    };
  ruleCache = cmds.some((c) => c.obj === 'rule' && (c.op === 'add' || c.op === 'insert') && (!!c.handle || c.index !== null));
  changes = newChanges();
  const undo: Array<() => void> = [];
  let output = '';
  let current: Cmd | null = null;
  // The kernel's refusal of one command; nft still evaluates the rest, and an error it finds itself wins.
  let refused: { e: unknown; at: Cmd } | null = null;
  try {
    for (const c of cmds) {
      current = c;
      try {
        output += applyOne(rs, c, undo, opts);
      } catch (e) {
        if (!isKernelSide(e)) throw e;
        // The kernel validates the hooks of a base chain's rules last: any other refusal in the batch comes instead.
        if (!refused || (isValidation(refused.e) && !isValidation(e))) refused = { e, at: c };
      }
    }
    if (refused) {
      current = refused.at;
      throw refused.e;
    }
  } catch (e) {
    // The kernel aborts a batch it refused but keeps its handle counters moving (measured:
    // after a refused `add rule; add chain; add rule ... jump nowhere` the next rule's handle
    // is 3 higher). Errors nft finds itself never reach the kernel and consume nothing.
    const kernelSide = isKernelSide(e) && refused !== null && e === refused.e;
    const counters = kernelSide ? new Map(rs.tables.map((t) => [t, t.nextHandle])) : null;
    const tableCounter = rs.nextTableHandle;
    // nft explains the kernel's refusal from its cache: as the transaction left it, or, for a rule
    // when a list command in the batch made nft read the ruleset again, as the kernel still has it.
    const again = kernelSide && e instanceof TxnError && e.enoent?.kind === 'rule' && cmds.some((x) => x.op === 'list');
    let report =
      kernelSide && !again
        ? explainEnoent(
            rs,
            e,
            (t) => cached || !before.has(t),
            (ch) => chainsCached || newChains.has(ch),
          )
        : e;
    for (let i = undo.length - 1; i >= 0; i--) undo[i]();
    if (again) report = explainEnoent(rs, e);
    if (counters) {
      for (const [t, n] of counters) if (rs.tables.includes(t)) t.nextHandle = n;
      rs.nextTableHandle = tableCounter;
      // Only a rule the kernel refused for what it contains spent its handle; a missing chain, table or position did not.
      const loc = e instanceof TxnError ? e.loc : null;
      const spent = current !== null && loc !== null && ![current.at.table, current.at.name, current.at.handle, current.loc].includes(loc);
      const failing = current && current.obj === 'rule' && current.op !== 'replace' && spent ? current : null;
      const t = failing ? rs.tables.find((x) => x.family === (failing.family ?? 'ip') && x.name === failing.table) : undefined;
      if (t) t.nextHandle++;
    }
    if (report instanceof TxnError)
      return { ok: false, errors: [{ ...report.loc, message: report.message }], ...(kernelSide && output ? { output } : {}) };
    if (e instanceof NftSyntaxError)
      return { ok: false, errors: [{ line: e.line, col: e.col, end: e.end, message: e.message, related: e.related }] };
    throw e;
  }
  if (opts.check) {
    // nft -c sends the batch and the kernel aborts it after allocating its handles (measured: a checked
    // rule, chain, set or table each spends one; a rule with an anonymous set spends two), as it does
    // for a refused batch.
    const counters = new Map(rs.tables.map((t) => [t, t.nextHandle]));
    const tableCounter = rs.nextTableHandle;
    for (let i = undo.length - 1; i >= 0; i--) undo[i]();
    for (const [t, n] of counters) if (rs.tables.includes(t)) t.nextHandle = n;
    rs.nextTableHandle = tableCounter;
    return { ok: true, output: '' };
  }
  trimChains(changes);
  const done = changes;
  changes = newChanges();
  if (undo.length) opts.onCommit?.(done);
  return { ok: true, output };
}

function findTable(rs: Ruleset, family: Family, name: string): Table | undefined {
  return rs.tables.find((t) => t.family === family && t.name === name);
}

/**
 * Whether nft loads rules into its cache for this transaction: it does when an `add` or `insert`
 * places a rule by handle, position or index (nft 1.0.6). Then it finds a rule's missing table or
 * chain itself, while it evaluates; otherwise only the kernel does, when the batch is sent, and an
 * error nft finds anywhere in the input stops the batch first (measured with `nft -c -f`).
 */
let ruleCache = false;

/**
 * Rules the transaction removed, by chain: the kernel still has them until the commit, and refuses
 * a second removal without naming the handle (at the whole command).
 */
let removed = new WeakMap<Chain, Set<number>>();

function goneRule(ch: Chain, handle: number): void {
  let s = removed.get(ch);
  if (!s) removed.set(ch, (s = new Set()));
  s.add(handle);
}

/**
 * nft 1.0.6 reads only what a batch's trailing list commands name (its cache filter), when no other
 * command comes after them: `list chain|set|map T NAME` (null: it reads what the batch needs).
 */
let listFilter: { t: Table | undefined; name: string } | null = null;
/** Whether nft has a table in its cache: all, unless a trailing list command filtered what it read. */
let cachedTable: (t: Table) => boolean = () => true;

/** Sets and chains the transaction made (nft has them in its cache whatever it read). */
let newSets = new WeakSet<NamedSet>();
let newChains = new WeakSet<Chain>();

/** The interfaces of the transaction's namespace (`ApplyOpts.ifaces`). */
let ifaces: ReadonlySet<string> | undefined;

/** A refusal that is the kernel's rather than nft's own (see `ruleCache`). */
function asKernel<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    // nft's own lookups say "No such file or directory"; the kernel's, without a suggestion, "Could not process rule: ...".
    if (e instanceof TxnError && !e.kernel) throw new TxnError(e.loc, e.message === 'No such file or directory' ? NOENT : e.message, true);
    throw e;
  }
}

/**
 * The table a command names, as nft's evaluation looks it up in its cache (the tables as the
 * transaction has made them so far): missing, nft suggests the nearest name of any family
 * (`suggest` false: none, as for a list command).
 */
function needTable(rs: Ruleset, family: Family, name: string, loc: Loc, suggest = true): Table {
  const t = findTable(rs, family, name);
  if (t) return t;
  const best = suggest ? fuzzyTable({ ...rs, tables: rs.tables.filter(cachedTable) }, name) : null;
  if (best) throw new TxnError(loc, `No such file or directory; did you mean table ‘${best.name}’ in family ${best.family}?`);
  throw new TxnError(loc, 'No such file or directory');
}

/**
 * nft's distance between two names, as nft 1.0.6 computes it (measured against its suggestions):
 * an edit distance with transpositions taken over the names without their first letter and with
 * their terminator, in a table whose rows overlap by one cell. It is not symmetric.
 */
function misspelling(a: string, b: string): number {
  const la = a.length;
  const lb = b.length;
  const A = a + '\0';
  const B = b + '\0';
  const d = new Array<number>((la + 1) * (lb + 1) + 1).fill(0);
  const at = (i: number, j: number) => i * lb + j;
  for (let i = 0; i <= la; i++) d[at(i, 0)] = i;
  for (let j = 0; j <= lb; j++) d[at(0, j)] = j;
  for (let i = 1; i <= la; i++)
    for (let j = 1; j <= lb; j++) {
      const sub = A[i] === B[j] ? 0 : 1;
      let v = Math.min(d[at(i - 1, j)] + 1, d[at(i, j - 1)] + 1, d[at(i - 1, j - 1)] + sub);
      if (i > 1 && j > 1 && A[i] === B[j - 1] && A[i - 1] === B[j]) v = Math.min(v, d[at(i - 2, j - 2)] + sub);
      d[at(i, j)] = v;
    }
  return d[at(la, lb)];
}

/**
 * nft's distance from an existing name `a` to the one asked for, or Infinity where it would not
 * suggest it: beyond a threshold that grows with the names' length, and always when both names are
 * one letter long (so a one-letter name never suggests even itself).
 */
function nearness(a: string, b: string): number {
  const max = Math.max(a.length, b.length);
  const min = Math.min(a.length, b.length);
  if (max <= 1) return Infinity;
  const threshold = max - min <= 1 ? Math.max(Math.ceil(max / 3), 1) : Math.ceil((max + 2) / 3);
  const d = misspelling(a, b);
  return d <= threshold ? d : Infinity;
}

/** The first nearest of `items` to `name` in nft's cache order (a later one must be strictly nearer). */
function fuzzy<T>(name: string, items: Iterable<T>, nameOf: (x: T) => string): T | null {
  let best: T | null = null;
  let bestD = Infinity;
  for (const x of items) {
    const d = nearness(nameOf(x), name);
    if (d < bestD) {
      best = x;
      bestD = d;
    }
  }
  return best;
}

function fuzzyTable(rs: Ruleset, name: string): Table | null {
  return fuzzy(name, rs.tables, (t) => t.name);
}

/** nft searches every table of every family for a chain or set name to suggest. */
function fuzzyChain(rs: Ruleset, name: string, seen: (ch: Chain) => boolean = () => true): { t: Table; name: string } | null {
  return fuzzy(
    name,
    rs.tables.flatMap((t) => t.chains.filter(seen).map((ch) => ({ t, name: ch.name }))),
    (x) => x.name,
  );
}

function fuzzySet(rs: Ruleset, name: string, seen: (s: NamedSet, t: Table) => boolean = () => true): { t: Table; s: NamedSet } | null {
  return fuzzy(
    name,
    rs.tables.flatMap((t) => t.sets.filter((s) => seen(s, t)).map((s) => ({ t, s }))),
    (x) => x.s.name,
  );
}

const chainHint = (x: { t: Table; name: string }) => `did you mean chain ‘${x.name}’ in table ${x.t.family} ‘${x.t.name}’?`;
const setHint = (x: { t: Table; s: NamedSet }) =>
  `did you mean ${x.s.isMap ? 'map' : 'set'} ‘${x.s.name}’ in table ${x.t.family} ‘${x.t.name}’?`;

/**
 * nft's explanation of the kernel's "No such file or directory" at one of a command's attributes
 * (nft 1.0.6, after the batch, from its cache as the whole transaction left it): the chain or set
 * of any table nearest to the command's own chain or set; when the command's table is not in the
 * cache and that nearest one's table is another, that table instead, at the command's table. A rule
 * gets no suggestion of its own chain (so none for a jump target in a chain that exists, unless the
 * chain's name is one letter long); without a near name the refusal stays plain.
 */
function explainEnoent(
  all: Ruleset,
  e: unknown,
  seen: (t: Table) => boolean = () => true,
  seenChain: (ch: Chain) => boolean = () => true,
): unknown {
  if (!(e instanceof TxnError) || !e.enoent) return e;
  const { kind, c } = e.enoent;
  const fam = c.family ?? 'ip';
  // The tables nft has in its cache: those it read (if the batch needed any) and those the batch made.
  const rs: Ruleset = { ...all, tables: all.tables.filter(seen) };
  if (kind === 'table') {
    const t = fuzzyTable(rs, c.table);
    return t ? new TxnError(e.loc, `No such file or directory; did you mean table ‘${t.name}’ in family ${t.family}?`, true) : e;
  }
  // A rule's anonymous sets go to the kernel before it and are refused first, at the table, plainly.
  if (
    kind === 'rule' &&
    e.loc === c.at.table &&
    c.parsed &&
    !(c.parsed instanceof NftSyntaxError) &&
    c.parsed.stmts.some((s) => anonSetOf(s))
  )
    return e;
  const near = kind === 'set' ? fuzzySet(rs, c.name) : fuzzyChain(rs, c.name, kind === 'rule' ? undefined : seenChain);
  if (!near) return e;
  if (!findTable(rs, fam, c.table) && (near.t.name !== c.table || near.t.family !== fam))
    return new TxnError(c.at.table, `No such file or directory; did you mean table ‘${near.t.name}’ in family ${near.t.family}?`, true);
  if ('s' in near) return new TxnError(e.loc, `No such file or directory; ${setHint(near)}`, true);
  if (kind === 'rule' && near.name === c.name) return e;
  return new TxnError(e.loc, `No such file or directory; ${chainHint(near)}`, true);
}

/**
 * A chain a command names. `lookup`: nft's evaluation needs it in its cache (list, flush, a rule
 * placed by its cache), so a missing one is nft's own error, with the nearest chain of any table;
 * otherwise (`suggest` false) the kernel refuses it, and nft explains that afterwards (`explainEnoent`).
 */
function needChain(rs: Ruleset, t: Table, name: string, loc: Loc, lookup = false, suggest = true): Chain {
  const c = t.chainByName.get(name);
  if (!c) {
    const near = suggest ? fuzzyChain(rs, name) : null;
    if (near !== null) throw new TxnError(loc, `No such file or directory; ${chainHint(near)}`, !lookup);
    throw new TxnError(loc, lookup ? 'No such file or directory' : NOENT);
  }
  return c;
}

/** A set nft's evaluation needs: missing, nft suggests the nearest set or map of any table. */
function needSet(rs: Ruleset, t: Table, name: string, loc: Loc): NamedSet {
  // A batch that ends in `list set|map T S` has nft read only that set of the kernel's (and those it makes).
  const seen = (x: NamedSet, tt: Table) => !listFilter || newSets.has(x) || (listFilter.t === tt && listFilter.name === x.name);
  const found = t.setByName.get(name);
  const s = found && seen(found, t) ? found : undefined;
  if (!s) {
    const near = fuzzySet(rs, name, seen);
    throw new TxnError(loc, `No such file or directory${near ? `; ${setHint(near)}` : ''}`);
  }
  return s;
}

/** Where a command names its object, for errors about it. */
function nameLoc(c: Cmd, toks?: Tok[]): Loc {
  if (toks && toks.length) return { line: toks[0].line, col: toks[0].col, end: toks[0].end };
  return c.loc;
}

/**
 * What the kernel lets `add chain` change on a chain that exists (Linux 6.18): a base chain's policy,
 * nothing of its hook. A regular chain takes no policy (refused where `policy` stands) and cannot
 * become a base chain, nor a base chain change its type (refused at the chain's name); a base chain
 * on another hook or priority is refused at the whole command (a block's chain name).
 */
function checkChainUpdate(existing: Chain, c: Cmd): void {
  const spec = c.chainSpec;
  if (!spec) return;
  if (!existing.base) {
    if (spec.policy && spec.policyLoc) throw new TxnError(spec.policyLoc, 'Could not process rule: Operation not supported');
    if (spec.base) throw new TxnError(c.at.name, 'Could not process rule: File exists');
    return;
  }
  const b = spec.base;
  if (!b) return;
  if (b.type !== existing.base.type) throw new TxnError(c.at.name, 'Could not process rule: File exists');
  if (b.hook !== existing.base.hook || b.priority !== existing.base.priority)
    throw new TxnError(c.at.end !== c.loc ? c.at.whole : c.at.name, 'Could not process rule: Operation not supported');
}

const INET_HOOKS: readonly NftHook[] = ['prerouting', 'input', 'forward', 'output', 'postrouting'];
/** The hooks nft 1.0.6 lets each family name; it refuses others itself, at the hook. */
const FAMILY_HOOKS: Record<Family, readonly NftHook[]> = {
  ip: INET_HOOKS,
  ip6: INET_HOOKS,
  inet: [...INET_HOOKS, 'ingress'],
  arp: ['input', 'forward', 'output'],
  bridge: INET_HOOKS,
  netdev: ['ingress', 'egress'],
};
/** The hooks the kernel (6.18) registers each chain type on; it refuses others at the whole command. */
const TYPE_HOOKS: Record<string, readonly NftHook[]> = { nat: ['prerouting', 'input', 'output', 'postrouting'], route: ['output'] };

/**
 * A new base chain as nft and the kernel check it: the family's hooks (nft), the chain type in the
 * family (the kernel has nat and route types for ip, ip6 and inet only, and refuses others at the
 * type's name; in a table block nft then finds the chain itself in its cache and offers it as the
 * suggestion), and the type's hooks (the kernel, at the whole command or a block chain's name).
 */
function checkNewBaseChain(fam: Family, table: string, c: Cmd, b: NonNullable<NonNullable<Cmd['chainSpec']>['base']>): void {
  if (!FAMILY_HOOKS[fam].includes(b.hook)) throw new TxnError(b.hookLoc, `The ${fam} family does not support this hook`);
  const block = c.at.end === c.loc;
  if (b.type !== 'filter' && fam !== 'ip' && fam !== 'ip6' && fam !== 'inet')
    throw new TxnError(
      b.typeLoc,
      block ? `No such file or directory; did you mean chain ‘${c.name}’ in table ${fam} ‘${table}’?` : NOENT,
      true,
    );
  const hooks = TYPE_HOOKS[b.type];
  if ((hooks && !hooks.includes(b.hook)) || (fam === 'arp' && b.hook === 'forward'))
    throw new TxnError(block ? c.at.name : c.at.whole, 'Could not process rule: Operation not supported');
}

function applyOne(rs: Ruleset, c: Cmd, undo: Array<() => void>, opts: ApplyOpts): string {
  switch (c.obj) {
    case 'ruleset':
      if (c.op === 'list') {
        const foreign = opts.foreign && (c.family === null || c.family === 'ip') ? opts.foreign(!!opts.handles) : '';
        return foreign + printRuleset(rs, { handles: !!opts.handles, nowMs: opts.nowMs }, c.family);
      }
      {
        const before = rs.tables.slice();
        rs.tables = rs.tables.filter((t) => c.family !== null && t.family !== c.family);
        changes.hooks = true;
        undo.push(() => (rs.tables = before));
      }
      return '';
    case 'tables':
      return rs.tables
        .filter((t) => c.family === null || t.family === c.family)
        .map((t) => `table ${t.family} ${t.name}\n`)
        .join('');
    case 'table':
      return tableCmd(rs, c, undo, opts);
    case 'chain':
      return chainCmd(rs, c, undo, opts);
    case 'set':
      return setCmd(rs, c, undo, opts);
    case 'rule':
      return ruleCmd(rs, c, undo);
    case 'element':
      return elementCmd(rs, c, undo);
  }
}

function tableCmd(rs: Ruleset, c: Cmd, undo: Array<() => void>, opts: ApplyOpts): string {
  const fam = c.family ?? 'ip';
  const existing = findTable(rs, fam, c.table);
  if (c.op === 'list')
    return printTable(existing ?? needTable(rs, fam, c.table, c.at.table), { handles: !!opts.handles, nowMs: opts.nowMs });
  if (c.op === 'flush') {
    const t = enoentOf('table', c, () => asKernel(() => needTable(rs, fam, c.table, c.at.table, false)));
    for (const ch of t.chains) flushChain(t, ch, undo);
    return '';
  }
  if (c.op === 'delete') {
    const t = asKernel(() => needTable(rs, fam, c.table, c.at.table));
    const i = rs.tables.indexOf(t);
    rs.tables.splice(i, 1);
    changes.hooks = true;
    undo.push(() => rs.tables.splice(i, 0, t));
    return '';
  }
  if (existing) {
    if (c.op === 'create') throw new TxnError(c.at.table, 'Could not process rule: File exists');
    // The kernel keeps an existing table's comment (measured): only flags change.
    if (c.flags.length) {
      const { flags } = existing;
      existing.flags = c.flags;
      undo.push(() => Object.assign(existing, { flags }));
    }
    return '';
  }
  const t: Table = {
    family: fam,
    name: c.table,
    handle: rs.nextTableHandle++,
    comment: c.comment,
    flags: c.flags,
    chains: [],
    sets: [],
    chainByName: new Map(),
    setByName: new Map(),
    nextHandle: 1,
  };
  rs.tables.push(t);
  changes.hooks = true;
  undo.push(() => {
    rs.tables.splice(rs.tables.indexOf(t), 1);
    rs.nextTableHandle--;
  });
  return '';
}

function flushChain(t: Table, ch: Chain, undo: Array<() => void>): void {
  if (!ch.rules.length) return;
  chainChanged(t, ch);
  bumpRefs(t, ch.rules.flatMap(targetsOfRule), -1, undo);
  for (const r of ch.rules) goneRule(ch, r.handle);
  const rules = ch.rules;
  ch.rules = [];
  undo.push(() => (ch.rules = rules));
}

/**
 * How many rules and verdict-map elements jump or go to each chain, kept as they change, so
 * deleting a chain from a 30,000-chain table need not scan every rule to know it is unused.
 */
const refCounts = new WeakMap<Table, Map<string, number>>();

function refsOf(t: Table): Map<string, number> {
  let m = refCounts.get(t);
  if (!m) {
    m = new Map();
    refCounts.set(t, m);
  }
  return m;
}

function targetsOfElems(elems: Iterable<Elem>, out: string[]): string[] {
  for (const e of elems) if (e.data && !Array.isArray(e.data) && e.data.chain !== undefined) out.push(e.data.chain);
  return out;
}

function targetsOfRule(r: Rule): string[] {
  const out: string[] = [];
  for (const s of r.stmts) {
    if (s.k === 'verdict' && s.verdict.chain !== undefined) out.push(s.verdict.chain);
    if (s.k === 'vmap' && s.map.k === 'set') targetsOfElems(s.map.set.elems, out);
  }
  return out;
}

/** Adds `delta` to each target's count, and undoes it if the transaction fails. */
function bumpRefs(t: Table, targets: string[], delta: number, undo: Array<() => void>): void {
  if (!targets.length) return;
  const m = refsOf(t);
  for (const c of targets) m.set(c, (m.get(c) ?? 0) + delta);
  undo.push(() => {
    for (const c of targets) m.set(c, (m.get(c) ?? 0) - delta);
  });
}

/** Chains stay in handle order (created with rising handles, put back where they were on undo), so a bisection finds one. */
function lowerBound(cs: readonly Chain[], handle: number): number {
  let a = 0;
  let b = cs.length - 1;
  while (a <= b) {
    const m = (a + b) >> 1;
    if (cs[m].handle < handle) a = m + 1;
    else b = m - 1;
  }
  return a;
}

function chainIndex(t: Table, ch: Chain): number {
  const i = lowerBound(t.chains, ch.handle);
  return t.chains[i] === ch ? i : t.chains.indexOf(ch);
}

function chainByHandle(t: Table, handle: number): Chain | undefined {
  const c = t.chains[lowerBound(t.chains, handle)];
  return c?.handle === handle ? c : t.chains.find((x) => x.handle === handle);
}

function isReferenced(t: Table, name: string): boolean {
  return (refsOf(t).get(name) ?? 0) > 0;
}

function chainCmd(rs: Ruleset, c: Cmd, undo: Array<() => void>, opts: ApplyOpts): string {
  const fam = c.family ?? 'ip';
  // nft needs a chain's table only to add or list the chain; flushing and deleting are the kernel's to refuse,
  // and nft explains the refusal afterwards from what its cache holds (`explainEnoent`).
  const lookup =
    c.op === 'flush' || c.op === 'delete' ? <T>(f: () => T) => enoentOf('chain', c, () => asKernel(f)) : <T>(f: () => T) => f();
  const t = lookup(() => needTable(rs, fam, c.table, c.at.table, c.op === 'add' || c.op === 'create' || c.op === 'list'));
  if (c.op === 'list')
    return `table ${t.family} ${t.name} {\n${printChain(needChain(rs, t, c.name, c.at.name, true, !listFilter), t.family, { handles: !!opts.handles })}}\n`;
  if (c.op === 'flush') {
    flushChain(
      t,
      lookup(() => needChain(rs, t, c.name, c.at.name, false, false)),
      undo,
    );
    return '';
  }
  if (c.op === 'delete') {
    const ch = c.handle !== null ? chainByHandle(t, c.handle) : lookup(() => needChain(rs, t, c.name, c.at.name, false, false));
    if (!ch) throw new TxnError(c.loc, NOENT);
    // A chain with rules is deleted with them (kernel 6.18); only a chain something jumps to is busy.
    if (isReferenced(t, ch.name)) throw new TxnError(c.at.name, 'Could not process rule: Device or resource busy');
    bumpRefs(t, ch.rules.flatMap(targetsOfRule), -1, undo);
    const i = chainIndex(t, ch);
    t.chains.splice(i, 1);
    chainChanged(t, ch);
    t.chainByName.delete(ch.name);
    undo.push(() => {
      t.chains.splice(i, 0, ch);
      t.chainByName.set(ch.name, ch);
    });
    return '';
  }
  // nft evaluates the hook and priority of every chain it is given, new or not, before the kernel sees it.
  const given = c.chainSpec?.base;
  if (given?.priorityError) {
    if (!FAMILY_HOOKS[fam].includes(given.hook)) throw new TxnError(given.hookLoc, `The ${fam} family does not support this hook`);
    throw new TxnError(given.priorityError, 'invalid priority expression value in this context.');
  }
  const existing = t.chainByName.get(c.name);
  if (existing) {
    if (c.op === 'create') throw new TxnError(c.at.name, 'Could not process rule: File exists');
    checkChainUpdate(existing, c);
    if (c.chainSpec?.policy && existing.base) {
      const before = existing.base.policy;
      existing.base.policy = c.chainSpec.policy;
      chainChanged(t, existing);
      undo.push(() => (existing.base!.policy = before));
    }
    return '';
  }
  const b = c.chainSpec?.base;
  if (b) checkNewBaseChain(fam, c.table, c, b);
  const ch: Chain = {
    name: c.name,
    handle: t.nextHandle++,
    base: b ? { type: b.type, hook: b.hook, priority: b.priority, policy: c.chainSpec?.policy ?? 'accept', device: b.device } : null,
    comment: c.chainSpec?.comment ?? null,
    rules: [],
    regSeq: b ? nextRegistration() : 0,
  };
  t.chains.push(ch);
  newChains.add(ch);
  t.chainByName.set(ch.name, ch);
  chainChanged(t, ch);
  undo.push(() => {
    t.chains.splice(t.chains.lastIndexOf(ch), 1);
    t.chainByName.delete(ch.name);
    t.nextHandle--;
  });
  return '';
}

function setCmd(rs: Ruleset, c: Cmd, undo: Array<() => void>, opts: ApplyOpts): string {
  const fam = c.family ?? 'ip';
  // nft suggests no table for a list command.
  const t =
    c.op === 'delete'
      ? enoentOf('set', c, () => asKernel(() => needTable(rs, fam, c.table, c.at.table, false)))
      : needTable(rs, fam, c.table, c.at.table);
  if (c.op === 'list' || c.op === 'flush') {
    // A map named as a set (or a set as a map) is not found, and nft suggests nothing.
    const found = needSet(rs, t, c.name, c.at.name);
    if (found.isMap !== !!c.asMap) throw new TxnError(c.at.name, 'No such file or directory');
  }
  if (c.op === 'list')
    return `table ${t.family} ${t.name} {\n${printSet(needSet(rs, t, c.name, c.at.name), { handles: !!opts.handles, nowMs: opts.nowMs })}}\n`;
  if (c.op === 'flush') {
    const s = needSet(rs, t, c.name, c.at.name);
    const elems = s.elems;
    bumpRefs(t, targetsOfElems(elems.values(), []), -1, undo);
    s.elems = new Map();
    setChanged(t, s.name, null, false);
    undo.push(() => (s.elems = elems));
    return '';
  }
  if (c.op === 'delete') {
    const s = c.handle !== null ? t.sets.find((x) => x.handle === c.handle) : t.sets.find((x) => x.name === c.name);
    if (!s && c.handle === null) throw Object.assign(new TxnError(c.at.name, NOENT), { enoent: { kind: 'set' as const, c } });
    if (!s) throw new TxnError(c.loc, NOENT);
    if (setReferenced(t, s.name)) throw new TxnError(c.at.name, 'Could not process rule: Device or resource busy');
    const i = t.sets.indexOf(s);
    bumpRefs(t, targetsOfElems(s.elems.values(), []), -1, undo);
    t.sets.splice(i, 1);
    t.setByName.delete(s.name);
    setChanged(t, s.name, null, false);
    undo.push(() => {
      t.sets.splice(i, 0, s);
      t.setByName.set(s.name, s);
    });
    return '';
  }
  const existing = t.setByName.get(c.name);
  const spec = c.setSpec!;
  let s: NamedSet;
  if (existing) {
    if (c.op === 'create') throw new TxnError(c.at.name, 'Could not process rule: File exists');
    // The kernel keeps a set's type and flags (a timeout implies its flag); size and comment may differ (measured).
    const flagsOf = (f: readonly string[], timeout: number | null) =>
      [...new Set([...f, ...(timeout ? ['timeout'] : [])])].sort().join(',');
    if (
      existing.isMap !== spec.isMap ||
      existing.keyTypes.join('.') !== spec.keyTypes.join('.') ||
      existing.dataType !== spec.dataType ||
      flagsOf(existing.flags, existing.timeoutMs) !== flagsOf(spec.flags, spec.timeoutMs)
    )
      throw new TxnError(c.at.name, 'Could not process rule: File exists');
    s = existing;
  } else {
    // Flag combinations the kernel has no set backend for; it points at a command's whole text, or a block's set name.
    const f = spec.flags;
    if ((f.includes('interval') && f.includes('dynamic')) || (f.includes('timeout') && f.includes('constant')))
      throw new TxnError(c.at.end !== c.loc ? c.at.whole : c.loc, 'Could not process rule: Operation not supported');
    s = {
      name: c.name,
      handle: t.nextHandle++,
      isMap: spec.isMap,
      keyTypes: spec.keyTypes,
      dataType: spec.dataType,
      flags: spec.flags,
      timeoutMs: spec.timeoutMs,
      size: spec.size,
      comment: spec.comment,
      policy: spec.policy,
      counter: spec.counter,
      ...(spec.typeofKey ? { typeofKey: spec.typeofKey } : {}),
      ...(spec.typeofData ? { typeofData: spec.typeofData } : {}),
      elems: new Map(),
    };
    t.sets.push(s);
    t.setByName.set(s.name, s);
    newSets.add(s);
    setChanged(t, s.name, null, false);
    const made = s;
    undo.push(() => {
      t.sets.splice(t.sets.lastIndexOf(made), 1);
      t.setByName.delete(made.name);
      t.nextHandle--;
    });
  }
  if (spec.elems) addElements(rs, t, s, spec.elems, false, undo);
  return '';
}

function setReferenced(t: Table, name: string): boolean {
  for (const ch of t.chains)
    for (const r of ch.rules)
      for (const s of r.stmts) {
        if ((s.k === 'match' || s.k === 'vmap') && (s.k === 'match' ? s.right : s.map).k === 'ref') {
          const rhs = s.k === 'match' ? s.right : s.map;
          if (rhs.k === 'ref' && rhs.name === name) return true;
        }
        if (s.k === 'setupd' && s.set === name) return true;
      }
  return false;
}

function addElements(rs: Ruleset, t: Table, s: NamedSet, toks: Tok[], create: boolean, undo: Array<() => void>): void {
  const interval = s.flags.includes('interval');
  const locs: Loc[] = [];
  const elems = parseElements(toks, s.keyTypes, s.dataType, interval, false, locs, ifaces);
  const added: string[] = [];
  const map = s.elems;
  undo.push(() => {
    for (const id of added) map.delete(id);
  });
  // nft sends an interval set's elements in key order: the kernel refuses the first of those.
  const index = new Map(elems.map((e, i) => [e, i]));
  const order = interval && s.keyTypes.length === 1 ? sortElems(elems, true) : elems;
  for (const e of order) {
    const i = index.get(e)!;
    if (e.key.hi !== null && !interval)
      throw new TxnError(
        locOfToks(toks),
        `You must add 'flags interval' to your set declaration if you want to add ${e.key.plen !== undefined ? 'prefix' : 'range'} elements`,
      );
    if (e.data && !Array.isArray(e.data) && e.data.chain !== undefined) needChain(rs, t, e.data.chain, locOfToks(toks), false, false);
    // A map element without its data reaches the kernel, which refuses it.
    if (s.dataType !== null && e.data === null) throw new TxnError(locs[i] ?? locOfToks(toks), 'Could not process rule: Invalid argument');
    if (s.timeoutMs !== null && e.timeoutMs === undefined) e.timeoutMs = s.timeoutMs;
    const id = elemId(e.key);
    const old = map.get(id);
    if (old) {
      // A map element already there with other data is refused even by `add` (the kernel compares the data).
      // The kernel names the element it refused.
      if (create || !sameData(old.data, e.data)) throw new TxnError(locs[i] ?? locOfToks(toks), 'Could not process rule: File exists');
      // An interval set keeps the later of two equal elements (its comment, its timeout); a hashed set the first.
      if (interval) {
        map.set(id, e);
        undo.push(() => map.set(id, old));
      }
      continue;
    }
    internElem(rs, e);
    map.set(id, e);
    added.push(id);
  }
  const fresh = added.map((id) => map.get(id)!);
  if (fresh.length) setChanged(t, s.name, fresh, true);
  bumpRefs(t, targetsOfElems(fresh, []), 1, undo);
}

function sameData(a: Elem['data'], b: Elem['data']): boolean {
  if (a === null || b === null) return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => v.n === b[i].n && v.s === b[i].s);
  }
  return a.v === b.v && a.chain === b.chain;
}

function locOfToks(toks: Tok[]): Loc {
  const t = toks[1] ?? toks[0];
  return { line: t.line, col: t.col, end: t.end };
}

function elementCmd(rs: Ruleset, c: Cmd, undo: Array<() => void>): string {
  const fam = c.family ?? 'ip';
  const t = needTable(rs, fam, c.table, c.at.table);
  const s = needSet(rs, t, c.name, c.at.name);
  if (c.op === 'delete') {
    const interval = s.flags.includes('interval');
    const locs: Loc[] = [];
    const elems = parseElements(c.toks, s.keyTypes, s.dataType, interval, true, locs, ifaces);
    const map = s.elems;
    const removed: Array<[string, (typeof elems)[number]]> = [];
    undo.push(() => {
      for (const [id, e] of removed) map.set(id, e);
    });
    for (const [k, e] of elems.entries()) {
      const id = elemId(e.key);
      const old = map.get(id);
      // nft checks an interval set's elements against its cache itself; a hashed set's are the kernel's to find.
      if (!old) throw new TxnError(locs[k] ?? locOfToks(c.toks), interval ? 'element does not exist' : NOENT);
      map.delete(id);
      removed.push([id, old]);
    }
    setChanged(
      t,
      s.name,
      removed.map(([, e]) => e),
      false,
    );
    bumpRefs(
      t,
      targetsOfElems(
        removed.map(([, e]) => e),
        [],
      ),
      -1,
      undo,
    );
    return '';
  }
  addElements(rs, t, s, c.toks, c.op === 'create', undo);
  return '';
}

function ruleCmd(rs: Ruleset, c: Cmd, undo: Array<() => void>): string {
  const fam = c.family ?? 'ip';
  if (c.op === 'delete') return enoentOf('rule', c, () => deleteRule(rs, c, fam, undo));
  return enoentOf('rule', c, () => addRule(rs, c, fam, undo));
}

function deleteRule(rs: Ruleset, c: Cmd, fam: Family, undo: Array<() => void>): string {
  const t = asKernel(() => needTable(rs, fam, c.table, c.at.table, false));
  const ch = asKernel(() => needChain(rs, t, c.name, c.at.name, false, false));
  // Handle 0 is no handle to the kernel: it deletes every rule of the chain (Linux 6.18).
  if (c.handle === 0) {
    flushChain(t, ch, undo);
    return '';
  }
  const i = ch.rules.findIndex((r) => r.handle === c.handle);
  if (i < 0 && c.handle !== null && removed.get(ch)?.has(c.handle))
    // nft points at the command and the character after it (its `;` or newline).
    throw new TxnError(c.loc.line === c.at.end.line ? { line: c.loc.line, col: c.loc.col, end: c.at.end.end + 1 } : c.loc, NOENT);
  if (i < 0) throw new TxnError(c.at.handle, NOENT);
  goneRule(ch, c.handle!);
  const before = ch.rules;
  bumpRefs(t, targetsOfRule(ch.rules[i]), -1, undo);
  ch.rules = ch.rules.slice(0, i).concat(ch.rules.slice(i + 1));
  chainChanged(t, ch);
  undo.push(() => (ch.rules = before));
  return '';
}

function addRule(rs: Ruleset, c: Cmd, fam: Family, undo: Array<() => void>): string {
  // nft evaluates a rule's statements before it looks its chain up.
  const parsed = c.parsed ?? parseRule(c.toks, fam, ifaces);
  if (parsed instanceof NftSyntaxError) throw parsed;
  const lookup = ruleCache ? <T>(f: () => T) => f() : asKernel;
  // A named set's table is nft's to find, as it reads the reference.
  const ownTable = ruleCache || parsed.stmts.some(refersToSet);
  const t = (ownTable ? (f: () => Table) => f() : lookup)(() => needTable(rs, fam, c.table, c.at.table, ownTable));
  // The kernel's refusal of the chain comes after everything nft checks itself.
  let missing: TxnError | null = null;
  let found: Chain | null = null;
  try {
    found = lookup(() => needChain(rs, t, c.name, c.at.name, ruleCache, ruleCache));
  } catch (e) {
    if (!(e instanceof TxnError) || !e.kernel) throw e;
    missing = e;
  }
  const refused = checkRefs(rs, t, parsed.stmts, nameLoc(c, c.toks), undo);
  if (missing) throw missing;
  const ch = found!;
  // nft places the rule by its cache before the kernel sees the rule; the kernel checks its place first too.
  let at = ch.rules.length;
  // `handle 0` or `position 0` places an added rule nowhere in particular: it is appended or inserted first.
  if (c.handle !== null && (c.handle !== 0 || c.op === 'replace')) {
    const i = ch.rules.findIndex((r) => r.handle === c.handle);
    // nft places an added rule by its cache; a replaced one is the kernel's to find.
    if (i < 0) throw new TxnError(c.at.handle, NOENT, c.op === 'replace');
    at = c.op === 'insert' ? i : i + 1;
  } else if (c.index !== null) {
    if (c.index >= ch.rules.length) throw new TxnError(c.at.handle, NOENT, false);
    at = c.op === 'insert' ? c.index : c.index + 1;
  } else if (c.op === 'insert') at = 0;
  if (refused) throw refused;
  if (parsed.kernel) kernelChecks(parsed.kernel, ch, ruleSpan(c));
  // An exact-length copy: the parser's array grew by push and has spare slots.
  const stmts = parsed.stmts.slice();
  internStmts(rs, stmts);
  const startHandle = t.nextHandle;
  for (const s of stmts) {
    const anon = anonSetOf(s);
    if (anon) anon.set.handle = t.nextHandle++;
  }
  // A replaced rule keeps its handle (measured: `replace rule ... handle 4` lists as handle 4).
  const rule: Rule = { handle: c.op === 'replace' ? c.handle! : t.nextHandle++, stmts, comment: parsed.comment };
  const before = ch.rules;
  // Appending pushes in place (a full sync appends tens of thousands of rules); the undo pops it.
  const pushed = c.op !== 'replace' && at === ch.rules.length;
  if (c.op === 'replace') bumpRefs(t, targetsOfRule(ch.rules[at - 1]), -1, undo);
  bumpRefs(t, targetsOfRule(rule), 1, undo);
  if (c.op === 'replace') ch.rules = ch.rules.slice(0, at - 1).concat([rule], ch.rules.slice(at));
  else if (pushed) ch.rules.push(rule);
  else ch.rules = ch.rules.slice(0, at).concat([rule], ch.rules.slice(at));
  chainChanged(t, ch);
  undo.push(() => {
    if (pushed) before.pop();
    ch.rules = before;
    t.nextHandle = startHandle;
  });
  return '';
}

/** Whether a statement names a set or map (`@NAME`). */
function refersToSet(s: Stmt): boolean {
  const m = mapOfStmt(s);
  if (m && m.map.k === 'ref') return true;
  const rhs = s.k === 'match' ? s.right : s.k === 'vmap' ? s.map : null;
  return (rhs !== null && rhs.k === 'ref') || s.k === 'setupd';
}

/** The anonymous set or map a statement carries, if any. */
function anonSetOf(s: Stmt): { k: 'set'; set: AnonSet } | null {
  const x = s.k === 'match' ? s.right : s.k === 'vmap' ? s.map : (mapOfStmt(s)?.map ?? null);
  return x && x.k === 'set' ? x : null;
}

/** The map lookup a statement's value comes from (`meta mark set ip saddr map @m`, `dnat to ip daddr map { ... }`). */
function mapOfStmt(s: Stmt): Extract<Expr, { k: 'map' }> | null {
  const e = s.k === 'metaset' || s.k === 'ctset' ? s.value : s.k === 'nat' ? (s.nat.map ?? null) : null;
  return e && e.k === 'map' ? e : null;
}

/** The hooks of a nat chain the kernel (6.18) takes each NAT statement on. */
const NAT_HOOKS: Record<NatSpec['type'], readonly NftHook[]> = {
  masquerade: ['postrouting'],
  snat: ['postrouting', 'input'],
  dnat: ['prerouting', 'output'],
  redirect: ['prerouting', 'output'],
};

const INBOUND: readonly NftHook[] = ['prerouting', 'input', 'forward'];
const OUTBOUND: readonly NftHook[] = ['output', 'postrouting', 'forward'];

/**
 * What the kernel (6.18) refuses of a rule for its chain, or outright: a `fib` that looks up an
 * output interface, or the input interface, only where there is an input interface (and `oif` as
 * a key only where there is an output one); a `numgen` modulo 0. Regular chains are checked when a
 * base chain jumps to them, which nflab does not model.
 */
function kernelChecks(k: KernelChecks, ch: Chain, rule: Loc): void {
  const hook = ch.base?.hook;
  if (hook)
    for (const f of k.fib) {
      const hooks = f.result !== 'type' || f.flags.includes('iif') ? INBOUND : f.flags.includes('oif') ? OUTBOUND : null;
      // The kernel's validation names no expression: nft points at the whole rule.
      if (hooks && !hooks.includes(hook)) throw invalid(rule);
    }
  if (k.reject && hook === 'postrouting') throw invalid(rule);
  if (hook && k.nat) for (const n of k.nat) if (ch.base!.type !== 'nat' || !NAT_HOOKS[n].includes(hook)) throw invalid(rule);
  if (k.refusal) throw new TxnError(k.refusal.loc, k.refusal.message);
}

/** A rule's place: a command's whole text, or a block rule's words. */
function ruleSpan(c: Cmd): Loc {
  if (c.at.end !== c.loc) return c.at.whole;
  const first = c.toks[0];
  const last = c.toks.length > 1 ? c.toks[c.toks.length - 2] : first;
  return { line: first.line, col: first.col, end: last.line === first.line ? last.end : first.end };
}

/** The kernel jumps only to regular chains. */
function notBase(ch: Chain, loc: Loc): void {
  if (ch.base) throw new TxnError(loc, 'Could not process rule: Operation not supported');
}

/**
 * A rule's references, in statement order: its named sets and maps, nft's to find; its jump
 * targets, the kernel's. The kernel's first refusal is returned rather than thrown, as nft goes on
 * evaluating (and placing) the rule before the kernel sees it.
 */
function checkRefs(rs: Ruleset, t: Table, stmts: Stmt[], loc: Loc, undo: Array<() => void>): TxnError | null {
  let refused: TxnError | null = null;
  const kernel = (f: () => void) => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof TxnError) || !e.kernel) throw e;
      refused ??= e;
    }
  };
  for (const s of stmts) {
    const m = mapOfStmt(s);
    if (m && m.map.k === 'ref') {
      const set = needSet(rs, t, m.map.name, m.map.loc ?? loc);
      if (set.dataType === null || set.dataType === 'verdict') throw new TxnError(m.map.loc ?? loc, 'Expression is not a map');
      if (set.dataType !== m.type)
        throw new TxnError(
          m.map.loc ?? loc,
          `datatype mismatch: expected ${describe(m.type)}, expression has type ${describe(set.dataType)}`,
        );
    }
    if (s.k === 'verdict' && s.verdict.chain !== undefined) {
      const where = s.verdict.loc ?? loc;
      const target = s.verdict.chain;
      kernel(() => notBase(needChain(rs, t, target, where, false, false), where));
    }
    const rhs = s.k === 'match' ? s.right : s.k === 'vmap' ? s.map : null;
    if (rhs && rhs.k === 'ref') {
      const set = needSet(rs, t, rhs.name, rhs.loc ?? loc);
      const want = exprTypes(s.k === 'match' ? s.left : (s as Extract<Stmt, { k: 'vmap' }>).key);
      if (want.join('.') !== set.keyTypes.join('.'))
        throw new TxnError(
          rhs.loc ?? loc,
          `datatype mismatch, expected ${want.map(describe).join(' . ')}, expression has type ${set.keyTypes.map(describe).join(' . ')}`,
        );
      if (s.k === 'vmap' && set.dataType !== 'verdict') throw new TxnError(loc, `Expression is not a verdict map`);
    }
    if (rhs && rhs.k === 'set')
      for (const e of rhs.set.elems) {
        const target = e.data && !Array.isArray(e.data) ? e.data.chain : undefined;
        if (target !== undefined) kernel(() => notBase(needChain(rs, t, target, loc, false, false), loc));
      }
    if (s.k === 'setupd') {
      const set = needSet(rs, t, s.set, loc);
      // nft gives a set that rules update its default size when it has none.
      if (set.size === null) {
        set.size = 65535;
        undo.push(() => (set.size = null));
      }
    }
  }
  return refused;
}
