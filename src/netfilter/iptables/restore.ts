/**
 * iptables-restore. Each `*table ... COMMIT` block is applied atomically, as
 * iptables-nft does: a failing block changes nothing, blocks committed before it
 * stay (option `atomic: 'batch'` makes the whole input all-or-nothing instead).
 */
import type { Diagnostic } from '../../core/diagnostic.js';
import { TABLES, type TableName } from '../types.js';
import { Ruleset, type Rule } from '../rule.js';
import { TableTxn, type OpError } from '../txn.js';
import { checkChainName, parseCommand, type ParseEnv, type ParsedCommand } from './parse.js';
import { tokenize } from './tokenize.js';
import { applyCommand, type RestoreCache } from './apply.js';

export const IPTABLES_VERSION = 'v1.8.9 (nf_tables)';

export interface LookupOptions {
  resolveUser?: (name: string) => number | undefined;
  resolveGroup?: (name: string) => number | undefined;
  ipsets?: Iterable<string>;
  nfacct?: Iterable<string>;
}

export interface RestoreOptions extends LookupOptions {
  noflush?: boolean;
  /** Load `[p:b]` counters (iptables-restore -c). */
  counters?: boolean;
  /** Added to line numbers in diagnostics, for rules embedded in a YAML file. */
  lineOffset?: number;
  file?: string;
  atomic?: 'commit' | 'batch';
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RestoreResult extends CommandResult {
  ok: boolean;
  diagnostics: Diagnostic[];
}

/** Per-ruleset state that extensions share across rules (recent lists, hashlimit buckets). */
const SHARED = new WeakMap<Ruleset, Map<string, unknown>>();
export function sharedState(rs: Ruleset): Map<string, unknown> {
  let m = SHARED.get(rs);
  if (!m) SHARED.set(rs, (m = new Map<string, unknown>()));
  return m;
}

export function makeParseEnv(rs: Ruleset, opts: LookupOptions, chainExists: ParseEnv['chainExists']): ParseEnv {
  const ipsets = new Set(opts.ipsets ?? []);
  const nfacct = new Set(opts.nfacct ?? []);
  return {
    resolveUser: opts.resolveUser ?? (() => undefined),
    resolveGroup: opts.resolveGroup ?? (() => undefined),
    ipsetExists: (n) => ipsets.has(n),
    nfacctExists: (n) => nfacct.has(n),
    shared: sharedState(rs),
    chainExists,
  };
}

function formatError(kind: OpError['kind'], message: string, line: number): string {
  if (kind === 'parse')
    return `iptables-restore ${IPTABLES_VERSION}: ${message}\nError occurred at line: ${line}\nTry \`iptables-restore -h' or 'iptables-restore --help' for more information.\n`;
  if (kind === 'op') return `iptables-restore: line ${line} failed${message ? `: ${message}.` : ''}\n`;
  return `iptables-restore ${IPTABLES_VERSION}: \nline ${line}: ${message}\n`;
}

const EXIT: Record<OpError['kind'], number> = { parse: 2, op: 1, kernel: 4 };

export function runIptablesRestore(rs: Ruleset, text: string, opts: RestoreOptions = {}): RestoreResult {
  const batch = opts.atomic === 'batch';
  // In batch mode blocks commit into a scratch copy that replaces the real tables only at the end.
  const work = batch ? new Ruleset() : rs;
  if (batch) for (const [n, t] of rs.tables) work.tables.set(n, t);
  let txn: TableTxn | null = null;
  const named = (table: TableName, name: string): string | undefined =>
    (txn !== null && txn.name === table ? txn.chain(name) : work.table(table)?.chains.get(name))?.name;
  const env = makeParseEnv(rs, opts, (table, name) => named(table, name) !== undefined);
  const cache: RestoreCache = {
    policyOf(chain) {
      const live = txn === null ? undefined : work.table(txn.name)?.chains.get(chain);
      return live?.builtin && live.registered ? live.policy : 'ACCEPT';
    },
    added(chain, r) {
      return txn !== null && !(work.table(txn.name)?.chains.get(chain)?.rules.includes(r) ?? false);
    },
  };
  env.chainNamed = named;

  // Warnings iptables printed while reading lines, in order; a block read again adds none twice.
  let warnings = '';
  let warnedTo = 0;
  const failure = (kind: OpError['kind'], message: string, line: number): RestoreResult => {
    const stderr = warnings + formatError(kind, message, line);
    return {
      ok: false,
      stdout: '',
      stderr,
      exitCode: EXIT[kind],
      diagnostics: [
        {
          file: opts.file,
          line: line + (opts.lineOffset ?? 0),
          col: 1,
          message: `iptables-restore: line ${line} failed${message ? `: ${message}` : ''}`,
        },
      ],
    };
  };

  // Blocks are checked as a whole at COMMIT; only a block that fails those checks is
  // replayed rule by rule (`precise`), to name the line the kernel would have refused.
  // Lines are cut from the text one at a time (a table's worth of line strings held in an array
  // would survive into the old generation for nothing). Line n starts at offset pos.
  let blockStart = -1;
  let blockStartPos = 0;
  let precise = false;
  let lastChain = '';
  let commitFail: { message: string; line: number } | null = null;
  // Each bare -Z's replacements of rules this block added with counters, which the kernel refuses
  // at COMMIT: the chains they are in, in order; a later -F CHAIN takes that chain's out of the batch.
  let zeroed: { line: number; chains: string[] }[] = [];
  // A line iptables-restore 1.8.9 crashes on when it commits the block (see crashesAt).
  let crash: { message: string; line: number } | null = null;
  const argvBuf: string[] = [];
  let n = 0;
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    let line = text.slice(pos, nl);
    const lineStart = pos;
    pos = nl + 1;
    n++;
    // trim() copies the line; only lines that start or end in whitespace (or are empty) need it.
    const first = line.charCodeAt(0);
    const last = line.charCodeAt(line.length - 1);
    if (!(first > 32 && first < 127 && last > 32 && last < 127)) line = line.trim();
    const c0 = line.charCodeAt(0);
    if (line === '' || c0 === 35 /* # */) continue;
    if (c0 === 42 /* * */) {
      const name = line.slice(1).trim();
      if (txn) return failure('parse', `iptables-restore: line ${n} table name '${name}' invalid`, n);
      if (!(TABLES as readonly string[]).includes(name))
        return failure('parse', `iptables-restore: line ${n} table name '${name}' invalid`, n);
      txn = TableTxn.open(work, name as TableName);
      if (!opts.noflush) txn = flushed(txn);
      txn.deferChecks = !precise;
      commitFail = null;
      zeroed = [];
      crash = null;
      blockStart = n;
      blockStartPos = lineStart;
      continue;
    }
    if (line === 'COMMIT') {
      if (!txn) return failure('op', '', n);
      if (crash) return failure('op', crash.message, crash.line);
      const z = zeroed.find((x) => x.chains.length > 0);
      const zeroFail = z ? { message: `RULE_REPLACE failed (Invalid argument): rule in chain ${z.chains[0]}`, line: z.line } : null;
      const fail = commitFail && (!zeroFail || commitFail.line < zeroFail.line) ? commitFail : zeroFail;
      if (fail) return failure('kernel', fail.message, fail.line);
      keptChains(txn);
      if (txn.deferChecks && !txn.validate()) {
        txn = null;
        precise = true;
        n = blockStart - 1;
        pos = blockStartPos;
        continue;
      }
      txn.commit(work);
      txn = null;
      precise = false;
      continue;
    }
    if (!txn) return failure('op', '', n);
    if (c0 === 58 /* : */) {
      const parts = chainLineParts(line);
      const [chain, policy, countText] = parts;
      if (!chain || !policy) return failure('parse', `iptables-restore: line ${n} no chain name`, n);
      let counters: [number, number] | null = null;
      if (opts.counters) {
        const m = countText ? /^\[(\d+):(\d+)\]$/.exec(countText) : null;
        if (!m) return failure('parse', `invalid policy counters for chain '${chain}'`, n);
        counters = [Number(m[1]), Number(m[2])];
      }
      const builtin = txn.chain(chain)?.builtin === true;
      if (builtin) {
        const e = txn.setPolicy(chain, policy, counters);
        if (e) return failure(e.kind, e.message, n);
      } else {
        const bad = checkChainName(chain);
        if (bad) return failure('parse', bad, n);
        txn.declareChain(chain);
      }
      continue;
    }
    let counters: [number, number] | null = null;
    const cm = c0 === 91 /* [ */ ? /^\[(\d+):(\d+)\]\s*/.exec(line) : null;
    if (cm) {
      counters = [Number(cm[1]), Number(cm[2])];
      line = line.slice(cm[0].length);
    }
    // One argument array for all lines: parseCommand reads it and keeps none of it.
    const argv = tokenize(line, argvBuf);
    if (typeof argv === 'string') return failure('parse', argv, n);
    // Runs of rules go to one chain: handing the transaction the same name string each time
    // lets its chain lookups compare pointers (and reuse the string's hash).
    if (argv.length > 1 && argv[1] === lastChain) argv[1] = lastChain;
    else if (argv.length > 1) lastChain = argv[1];
    const cmd = parseCommand(argv, env, txn.name);
    const w = 'message' in cmd ? cmd.warnings : cmd.warnings;
    if (w && n > warnedTo) {
      warnings += w;
      warnedTo = n;
    }
    if ('message' in cmd) return failure('parse', cmd.message, n);
    if (cmd.table !== txn.name) cmd.table = txn.name;
    if (cmd.rule && counters && opts.counters) [cmd.rule.pkts, cmd.rule.bytes] = counters;
    // iptables-nft-restore flushes the chains the kernel had when the batch began; a block that
    // started from an empty table has none, so a bare -F there leaves the block's rules alone.
    if (cmd.op === 'F' && cmd.chain === null && !opts.noflush) continue;
    // The kernel renames only chains it already has, not one this file made nor a built-in chain:
    // iptables-restore keeps the old name for the lines that follow, and the commit fails.
    const renamed = cmd.op === 'E' ? txn.chain(cmd.chain!) : undefined;
    if (renamed && (renamed.builtin || !rs.table(txn.name)?.chains.has(cmd.chain!))) {
      commitFail ??= { message: `CHAIN_RENAME failed (No such file or directory): chain ${cmd.arg!}`, line: n };
      continue;
    }
    // Zeroing a rule this file added with counters makes the kernel refuse the rule's replacement.
    if (cmd.op === 'Z' && cmd.num === null) zeroed.push({ line: n, chains: countedChains(txn, cmd.chain) });
    if (cmd.op === 'F' && cmd.chain !== null) for (const z of zeroed) z.chains = z.chains.filter((c) => c !== cmd.chain);
    if (cmd.op === 'Z' && cmd.num !== null && cmd.chain !== null) {
      const zero = zeroOneRule(txn, work, cmd.chain, cmd.num, opts.noflush === true);
      if (zero !== null) return failure('op', zero, n);
    }
    crash ??= crashesAt(txn, work, cmd, n);
    if (cmd.op === 'Z' && cmd.num === null) zeroPolicies(txn, cache, cmd.chain);
    const res = applyCommand(txn, cmd, { restore: cache, elsewhere: () => rulesOutside(work, txn!.name) });
    // The crash comes while the batch is built, before the kernel could refuse anything.
    if (res.error && !(crash && res.error.kind === 'kernel')) return failure(res.error.kind, res.error.message, n);
  }
  if (txn) return { ...failure('op', 'COMMIT expected', n + 1), stderr: `${warnings}iptables-restore: COMMIT expected at line ${n + 1}\n` };
  // In the order the tables were made (nft lists iptables-nft's tables so).
  if (batch)
    for (const name of work.tables.keys()) {
      const t = work.table(name);
      if (t && t !== rs.table(name)) rs.commit(name, t);
    }
  return { ok: true, stdout: '', stderr: warnings, exitCode: 0, diagnostics: [] };
}

/** The rules of every table but one (the kernel checks some matches against the whole namespace). */
export function* rulesOutside(rs: Ruleset, table: TableName): Iterable<Rule> {
  for (const [name, t] of rs.tables) if (name !== table && t) for (const c of t.chains.values()) yield* c.rules;
}

/** `:NAME POLICY [p:b]` split at whitespace, as `.slice(1).trim().split(/\s+/)`; the regex only for unusual spacing. */
function chainLineParts(line: string): string[] {
  let plain = line.length > 1;
  for (let i = 1; i < line.length && plain; i++) {
    const c = line.charCodeAt(i);
    plain = (c > 32 && c < 127) || (c === 32 && i > 1 && i < line.length - 1 && line.charCodeAt(i - 1) !== 32);
  }
  return plain ? line.slice(1).split(' ') : line.slice(1).trim().split(/\s+/);
}

/** The chains `-Z` zeroes (one, or all in order) that hold a rule with counters. */
function countedChains(txn: TableTxn, chain: string | null): string[] {
  const chains = chain === null ? [...txn.chains()] : [txn.chain(chain)].filter((c) => c !== undefined);
  return chains.filter((c) => c.rules.some((r) => r.pkts !== 0 || r.bytes !== 0)).map((c) => c.name);
}

/**
 * `-Z CHAIN N` in a restore file, apart from the crash (crashesAt). A chain the block does not
 * have, or a rule N that existed only before the file flushed the table, fails the line without
 * a reason (the flushed cache leaves errno 0); otherwise (no rule N) it does nothing. Null to go on.
 */
function zeroOneRule(txn: TableTxn, rs: Ruleset, chain: string, num: number, noflush: boolean): string | null {
  const c = txn.chain(chain);
  if (!noflush && (c === undefined || (c.builtin && !c.registered))) return '';
  if (addedByFile(txn, rs, chain, num)) return null;
  const before = rs.table(txn.name)?.chains.get(chain);
  return !noflush && before && num <= before.rules.length ? '' : null;
}

/**
 * iptables-restore 1.8.9 replaces rule N for `-R CHAIN N` and `-Z CHAIN N` by freeing the rule
 * object it found, which the batch still holds when the rule is one this block added, replaced or
 * zeroed: building the batch at COMMIT then crashes (SIGSEGV, exit 139; blocks committed before
 * stay). An error the tool finds in a later line of the block comes first. nflab refuses the block
 * at COMMIT with a message naming the line (a deliberate difference: no crash to imitate).
 */
function crashesAt(txn: TableTxn, rs: Ruleset, cmd: ParsedCommand, line: number): { message: string; line: number } | null {
  if ((cmd.op !== 'R' && cmd.op !== 'Z') || cmd.num === null || cmd.chain === null) return null;
  if (!addedByFile(txn, rs, cmd.chain, cmd.num)) return null;
  const what = cmd.op === 'R' ? 'replacing' : 'zeroing';
  return { message: `${what} a rule this block added (-${cmd.op} CHAIN N) is refused: iptables-restore 1.8.9 crashes on it`, line };
}

/** Whether rule N of the chain is one this restore file added (not one the table had before it). */
function addedByFile(txn: TableTxn, rs: Ruleset, chain: string, num: number): boolean {
  const r = txn.chain(chain)?.rules[num - 1];
  return r !== undefined && !(rs.table(txn.name)?.chains.get(chain)?.rules.includes(r) ?? false);
}

/**
 * `-Z` in a restore block sends each built-in chain it zeroes back to the kernel from the cache,
 * with the policy the cache holds (see RestoreCache): a `-P` earlier in the block is undone.
 */
function zeroPolicies(txn: TableTxn, cache: RestoreCache, chain: string | null): void {
  const chains = chain === null ? [...txn.chains()] : [txn.chain(chain)].filter((c) => c !== undefined);
  for (const c of chains)
    if (c.builtin && c.registered && c.policy !== cache.policyOf(c.name)) txn.setPolicy(c.name, cache.policyOf(c.name), null);
}

/** Built-in chains a `-X` dropped from the cache but the kernel kept (they hold rules) are there after COMMIT. */
function keptChains(txn: TableTxn): void {
  for (const c of [...txn.chains()]) if (c.builtin && !c.registered && c.rules.length > 0) txn.registerBuiltin(c.name);
}

/** Without --noflush a block starts from an empty table (its built-in chains, default policies). */
function flushed(txn: TableTxn): TableTxn {
  return new TableTxn(txn.name, undefined, txn.existed);
}
