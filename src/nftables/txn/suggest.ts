/** Lookups in nft's cache, and the nearest name nft suggests (`did you mean`) when one is missing. */
import type { Chain, Family, Loc, NamedSet, Ruleset, Table } from '../ast.js';
import { NftSyntaxError } from '../lexer.js';
import { findTable, NOENT, type Txn, TxnError } from './cache.js';
import { anonSetOf } from './refs.js';

/**
 * The table a command names, as nft's evaluation looks it up in its cache (the tables as the
 * transaction has made them so far): missing, nft suggests the nearest name of any family
 * (`suggest` false: none, as for a list command).
 */
export function needTable(tx: Txn, rs: Ruleset, family: Family, name: string, loc: Loc, suggest = true): Table {
  const t = findTable(rs, family, name);
  if (t) return t;
  const best = suggest ? fuzzyTable({ ...rs, tables: rs.tables.filter(tx.cachedTable) }, name) : null;
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
export function explainEnoent(
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
export function needChain(rs: Ruleset, t: Table, name: string, loc: Loc, lookup = false, suggest = true): Chain {
  const c = t.chainByName.get(name);
  if (!c) {
    const near = suggest ? fuzzyChain(rs, name) : null;
    if (near !== null) throw new TxnError(loc, `No such file or directory; ${chainHint(near)}`, !lookup);
    throw new TxnError(loc, lookup ? 'No such file or directory' : NOENT);
  }
  return c;
}

/** A set nft's evaluation needs: missing, nft suggests the nearest set or map of any table. */
export function needSet(tx: Txn, rs: Ruleset, t: Table, name: string, loc: Loc): NamedSet {
  // A batch that ends in `list set|map T S` has nft read only that set of the kernel's (and those it makes).
  const seen = (x: NamedSet, tt: Table) => !tx.listFilter || tx.newSets.has(x) || (tx.listFilter.t === tt && tx.listFilter.name === x.name);
  const found = t.setByName.get(name);
  const s = found && seen(found, t) ? found : undefined;
  if (!s) {
    const near = fuzzySet(rs, name, seen);
    throw new TxnError(loc, `No such file or directory${near ? `; ${setHint(near)}` : ''}`);
  }
  return s;
}
