/** `iptables ...` and `iptables-save`: the commands, with the kernel's text, stderr and exit codes. */
import { newTable, type Chain, type Rule, type Ruleset, type Table } from '../rule.js';
import { listAddrMask } from '../addr.js';
import { TableTxn } from '../txn.js';
import { parseCommand, type ParsedCommand } from './parse.js';
import { applyCommand } from './apply.js';
import { IPTABLES_VERSION, makeParseEnv, rulesOutside, type CommandResult, type LookupOptions } from './restore.js';
import { orderedChains, ruleMatchText, ruleTargetText } from './save.js';

const TRY = "Try `iptables -h' or 'iptables --help' for more information.\n";

export function runIptables(rs: Ruleset, argv: readonly string[], opts: LookupOptions = {}): CommandResult {
  const env = makeParseEnv(rs, opts, (table, name) => rs.table(table)?.chains.has(name) === true);
  const cmd = parseCommand(argv, env);
  // Warnings come first on stderr: iptables prints them while it reads the options.
  const warned = (r: CommandResult): CommandResult => {
    const w = 'message' in cmd ? (cmd.warnings ?? '') : cmd.warnings;
    return w === '' ? r : { ...r, stderr: w + r.stderr };
  };
  if ('message' in cmd)
    return warned(
      cmd.exit !== undefined
        ? { stdout: '', stderr: `iptables ${IPTABLES_VERSION}: ${cmd.message}\n`, exitCode: cmd.exit }
        : // A word that is no option at all is reported without the version prefix.
          {
            stdout: '',
            stderr: `${cmd.message.startsWith('Bad argument') ? '' : `iptables ${IPTABLES_VERSION}: `}${cmd.message}\n${TRY}`,
            exitCode: 2,
          },
    );
  return warned(run(rs, cmd));
}

function run(rs: Ruleset, cmd: ParsedCommand): CommandResult {
  if (cmd.op === 'L' || cmd.op === 'S') return list(rs, cmd);
  const txn = TableTxn.open(rs, cmd.table);
  const res = applyCommand(txn, cmd, { elsewhere: () => rulesOutside(rs, cmd.table) });
  if (res.error) {
    const e = res.error;
    if (e.kind === 'parse') return { stdout: '', stderr: `iptables ${IPTABLES_VERSION}: ${e.message}\n${TRY}`, exitCode: 2 };
    if (e.kind === 'kernel') return { stdout: '', stderr: `iptables ${IPTABLES_VERSION}:  ${e.message}\n`, exitCode: 4 };
    const dmesg = e.message === 'Bad policy name' ? " Run `dmesg' for more information." : '';
    return { stdout: '', stderr: `iptables: ${e.message}.${dmesg}\n`, exitCode: 1 };
  }
  txn.commit(rs);
  return { stdout: '', stderr: '', exitCode: 0 };
}

/** `iptables -L -v` counts: exact with -x, else K/M/G/T with iptables' rounding. */
function num(n: number, exact: boolean, width: number): string {
  if (exact) return String(n).padStart(width);
  if (n <= 99999) return String(n).padStart(width);
  for (const unit of ['K', 'M', 'G', 'T']) {
    n = Math.floor((n + 500) / 1000);
    if (n <= 9999 || unit === 'T') return (String(n) + unit).padStart(width);
  }
  return String(n);
}

function shortNum(n: number, exact: boolean): string {
  return num(n, exact, 0);
}

/** How many jumps and gotos lead to each chain, counted in one pass (per chain it was quadratic: 15 s at 40,000 rules). */
export function referenceCounts(t: Table): Map<string, number> {
  const refs = new Map<string, number>();
  for (const c of t.chains.values())
    for (const r of c.rules)
      if (r.target.kind === 'jump' || r.target.kind === 'goto') refs.set(r.target.chainName, (refs.get(r.target.chainName) ?? 0) + 1);
  return refs;
}

function targetName(r: Rule): string {
  const t = r.target;
  return t.kind === 'none' ? '' : t.kind === 'verdict' ? t.verdict : t.kind === 'ext' ? (t.ext.listName ?? t.ext.name) : t.chainName;
}

/** What `-L` prints depends on these options only. */
export type ListOptions = Pick<ParsedCommand, 'verbose' | 'exact' | 'lineNumbers'>;

export function listRow(r: Rule, n: number, cmd: ListOptions): string {
  const h = r.header;
  let s = '';
  if (cmd.lineNumbers) s += `${String(n).padEnd(4)} `;
  if (cmd.verbose) s += `${num(r.pkts, cmd.exact, cmd.exact ? 8 : 5)} ${num(r.bytes, cmd.exact, cmd.exact ? 8 : 5)} `;
  s += `${targetName(r).padEnd(9)} `;
  s += (h.protoInv ? '!' : ' ') + String(h.proto).padEnd(5);
  s += (h.frag === 2 ? '!' : '-') + (h.frag !== 0 ? 'f' : '-') + ' ';
  if (cmd.verbose) {
    s += ` ${((h.inInv ? '!' : '') + (h.inIf ?? '*')).padEnd(6)}`;
    s += ` ${((h.outInv ? '!' : '') + (h.outIf ?? '*')).padEnd(6)} `;
  }
  s += (h.srcInv ? '!' : ' ') + listAddrMask(h.src).padEnd(19) + ' ';
  s += (h.dstInv ? '!' : ' ') + listAddrMask(h.dst).padEnd(19) + ' ';
  if (r.target.kind === 'goto') s += '[goto] ';
  for (const m of r.matches) s += ` ${m.list()}`;
  if (r.target.kind === 'ext') {
    const t = r.target.ext.list();
    if (t) s += ` ${t}`;
  }
  return s;
}

/** A chain's two heading lines: `Chain NAME (policy ...)` or `(N references)`, and the column titles. */
export function chainHeader(c: Chain, refs: ReadonlyMap<string, number>, cmd: ListOptions): [string, string] {
  const title = c.builtin
    ? `Chain ${c.name} (policy ${c.policy}${cmd.verbose ? ` ${shortNum(c.pkts, cmd.exact)} packets, ${shortNum(c.bytes, cmd.exact)} bytes` : ''})`
    : `Chain ${c.name} (${refs.get(c.name) ?? 0} references)`;
  let head = cmd.lineNumbers ? 'num  ' : '';
  if (cmd.verbose) head += cmd.exact ? '    pkts      bytes ' : ' pkts bytes ';
  head += 'target     prot opt ';
  if (cmd.verbose) head += 'in     out     ';
  head += 'source               destination         ';
  return [title, head];
}

function listChain(c: Chain, refs: ReadonlyMap<string, number>, cmd: ParsedCommand, only: number | null): string[] {
  const lines: string[] = only === null ? chainHeader(c, refs, cmd) : [];
  c.rules.forEach((r, i) => {
    if (only === null || only === i + 1) lines.push(listRow(r, i + 1, cmd));
  });
  return lines;
}

function list(rs: Ruleset, cmd: ParsedCommand): CommandResult {
  // Listing never creates a table; an absent one lists as its empty built-in chains.
  const t = rs.table(cmd.table) ?? newTable(cmd.table);
  let chains = orderedChains(t);
  if (cmd.chain !== null) {
    const c = t.chains.get(cmd.chain);
    if (!c) {
      if (cmd.op === 'S') return { stdout: '', stderr: 'iptables: No chain/target/match by that name.\n', exitCode: 1 };
      return {
        stdout: '',
        stderr: `iptables ${IPTABLES_VERSION}: chain \`${cmd.chain}' in table \`${cmd.table}' is incompatible, use 'nft' tool.\n`,
        exitCode: 1,
      };
    }
    chains = [c];
  }
  if (cmd.op === 'L') {
    const refs = referenceCounts(t);
    const blocks = chains.map((c) => listChain(c, refs, cmd, cmd.num).join('\n'));
    // `-L CHAIN N` with no rule N prints nothing at all, not an empty line.
    if (cmd.num !== null && blocks.every((b) => b === '')) return { stdout: '', stderr: '', exitCode: 0 };
    return { stdout: blocks.join('\n\n') + '\n', stderr: '', exitCode: 0 };
  }
  const lines: string[] = [];
  const counts = (p: number, b: number) => (cmd.verbose ? ` -c ${p} ${b}` : '');
  if (cmd.num === null)
    for (const c of chains) lines.push(c.builtin ? `-P ${c.name} ${c.policy}${counts(c.pkts, c.bytes)}` : `-N ${c.name}`);
  for (const c of chains)
    c.rules.forEach((r, i) => {
      if (cmd.num === null || cmd.num === i + 1)
        lines.push(`-A ${c.name}${ruleMatchText(r)}${counts(r.pkts, r.bytes)}${ruleTargetText(r)}`);
    });
  return { stdout: lines.length ? lines.join('\n') + '\n' : '', stderr: '', exitCode: 0 };
}
