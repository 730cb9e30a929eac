/**
 * One `nft -f` file or command line as one transaction on a ruleset: all of it or
 * none of it. Changes go straight into the live ruleset with an undo log, so a
 * one-Service partial sync on a 10,000-Service ruleset costs what it changes; a
 * failure unwinds the log. Handles are assigned as the kernel assigns them: one
 * per-ruleset counter for tables, one per-table counter for chains, sets,
 * anonymous sets and rules, in the order nft sends the objects.
 */
import type { Ruleset } from './ast.js';
import { NftSyntaxError, type Related } from './lexer.js';
import type { Cmd } from './parse/cmd.js';
import { parseRule } from './parse/rule.js';
import { parseNft } from './parser.js';
import { type ApplyOpts, findTable, newTxn, trimChains, type Txn, TxnError } from './txn/cache.js';
import { applyOne } from './txn/commands.js';
import { explainEnoent } from './txn/suggest.js';

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
function parseRules(tx: Txn, cmds: Cmd[]): NftSyntaxError | null {
  for (const c of cmds) {
    if (c.obj !== 'rule' || c.op === 'delete' || c.op === 'list' || c.op === 'flush' || !c.toks.length) continue;
    try {
      c.parsed = parseRule(c.toks, c.family ?? 'ip', tx.ifaces);
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

export function applyCmds(rs: Ruleset, cmds: Cmd[], opts: ApplyOpts = {}): NftResult {
  const tx = newTxn(opts.ifaces);
  // nft reads the kernel's tables into its cache only for commands that need them (nft 1.0.6's cache flags).
  const cached = cmds.some(
    (c) => !((c.op === 'flush' && (c.obj === 'table' || c.obj === 'chain')) || (c.obj === 'table' && c.op !== 'delete')),
  );
  const before = new Set(rs.tables);
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
  tx.listFilter = filterCmd && filterCmd.obj !== 'table' ? { t: filterTable, name: filterCmd.name } : null;
  tx.cachedTable = filterCmd ? (t) => t === filterTable || !before.has(t) : () => true;
  const syntax = parseRules(tx, cmds);
  if (syntax)
    return {
      ok: false,
      errors: [{ line: syntax.line, col: syntax.col, end: syntax.end, message: syntax.message, related: syntax.related }],
    };
  tx.ruleCache = cmds.some((c) => c.obj === 'rule' && (c.op === 'add' || c.op === 'insert') && (!!c.handle || c.index !== null));
  const undo: Array<() => void> = [];
  let output = '';
  let current: Cmd | null = null;
  // The kernel's refusal of one command; nft still evaluates the rest, and an error it finds itself wins.
  let refused: { e: unknown; at: Cmd } | null = null;
  try {
    for (const c of cmds) {
      current = c;
      try {
        output += applyOne(tx, rs, c, undo, opts);
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
            (ch) => chainsCached || tx.newChains.has(ch),
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
  trimChains(tx.changes);
  if (undo.length) opts.onCommit?.(tx.changes);
  return { ok: true, output };
}
