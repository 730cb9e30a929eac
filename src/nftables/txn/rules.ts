/** Rule commands: add, insert, replace and delete a rule, and flush a chain's rules. */
import type { Chain, Family, Loc, Rule, Ruleset, Table } from '../ast.js';
import { internStmts } from '../intern.js';
import { NftSyntaxError, type Tok } from '../lexer.js';
import type { Cmd } from '../parse/cmd.js';
import { parseRule } from '../parse/rule.js';
import { asKernel, chainChanged, enoentOf, goneRule, NOENT, type Txn, TxnError } from './cache.js';
import { checkRefs, kernelChecks, ruleSpan } from './kernel-checks.js';
import { anonSetOf, bumpRefs, refersToSet, targetsOfRule } from './refs.js';
import { needChain, needTable } from './suggest.js';

/** Where a command names its object, for errors about it. */
function nameLoc(c: Cmd, toks?: Tok[]): Loc {
  if (toks && toks.length) return { line: toks[0].line, col: toks[0].col, end: toks[0].end };
  return c.loc;
}

export function flushChain(tx: Txn, t: Table, ch: Chain, undo: Array<() => void>): void {
  if (!ch.rules.length) return;
  chainChanged(tx, t, ch);
  bumpRefs(t, ch.rules.flatMap(targetsOfRule), -1, undo);
  for (const r of ch.rules) goneRule(tx, ch, r.handle);
  const rules = ch.rules;
  ch.rules = [];
  undo.push(() => (ch.rules = rules));
}

export function ruleCmd(tx: Txn, rs: Ruleset, c: Cmd, undo: Array<() => void>): string {
  const fam = c.family ?? 'ip';
  if (c.op === 'delete') return enoentOf('rule', c, () => deleteRule(tx, rs, c, fam, undo));
  return enoentOf('rule', c, () => addRule(tx, rs, c, fam, undo));
}

function deleteRule(tx: Txn, rs: Ruleset, c: Cmd, fam: Family, undo: Array<() => void>): string {
  const t = asKernel(() => needTable(tx, rs, fam, c.table, c.at.table, false));
  const ch = asKernel(() => needChain(rs, t, c.name, c.at.name, false, false));
  // Handle 0 is no handle to the kernel: it deletes every rule of the chain (Linux 6.18).
  if (c.handle === 0) {
    flushChain(tx, t, ch, undo);
    return '';
  }
  const i = ch.rules.findIndex((r) => r.handle === c.handle);
  if (i < 0 && c.handle !== null && tx.removed.get(ch)?.has(c.handle))
    // nft points at the command and the character after it (its `;` or newline).
    throw new TxnError(c.loc.line === c.at.end.line ? { line: c.loc.line, col: c.loc.col, end: c.at.end.end + 1 } : c.loc, NOENT);
  if (i < 0) throw new TxnError(c.at.handle, NOENT);
  goneRule(tx, ch, c.handle!);
  const before = ch.rules;
  bumpRefs(t, targetsOfRule(ch.rules[i]), -1, undo);
  ch.rules = ch.rules.slice(0, i).concat(ch.rules.slice(i + 1));
  chainChanged(tx, t, ch);
  undo.push(() => (ch.rules = before));
  return '';
}

function addRule(tx: Txn, rs: Ruleset, c: Cmd, fam: Family, undo: Array<() => void>): string {
  // nft evaluates a rule's statements before it looks its chain up.
  const parsed = c.parsed ?? parseRule(c.toks, fam, tx.ifaces);
  if (parsed instanceof NftSyntaxError) throw parsed;
  const lookup = tx.ruleCache ? <T>(f: () => T) => f() : asKernel;
  // A named set's table is nft's to find, as it reads the reference.
  const ownTable = tx.ruleCache || parsed.stmts.some(refersToSet);
  const t = (ownTable ? (f: () => Table) => f() : lookup)(() => needTable(tx, rs, fam, c.table, c.at.table, ownTable));
  // The kernel's refusal of the chain comes after everything nft checks itself.
  let missing: TxnError | null = null;
  let found: Chain | null = null;
  try {
    found = lookup(() => needChain(rs, t, c.name, c.at.name, tx.ruleCache, tx.ruleCache));
  } catch (e) {
    if (!(e instanceof TxnError) || !e.kernel) throw e;
    missing = e;
  }
  const refused = checkRefs(tx, rs, t, parsed.stmts, nameLoc(c, c.toks), undo);
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
  chainChanged(tx, t, ch);
  undo.push(() => {
    if (pushed) before.pop();
    ch.rules = before;
    t.nextHandle = startHandle;
  });
  return '';
}
