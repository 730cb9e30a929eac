/**
 * The `nft` command inside a node: `nft [-a] [-c] -f -` with stdin, and one
 * command on the command line (`nft add rule ...`, `nft list ruleset`, ...).
 * Output and errors as nft prints them; a failed run changes nothing.
 */
import { formatNftError, runNft, type NftError } from './txn.js';
import type { NftNode } from './node-state.js';
import type { Ruleset as IptRuleset } from '../netfilter/rule.js';
import { printIptablesTables } from './iptables-nft.js';

export interface NftCommandOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
  changedRules?: boolean;
}

const usage = (msg: string): NftCommandOutput => ({ stdout: '', stderr: `Error: ${msg}\n`, exitCode: 1 });

/**
 * nft's error report: the message (after `FILE:L:C-C: ` for a file), the line, and carets under
 * the place; the caret line keeps the line's tabs so that the carets line up.
 */
function lineError(text: string, e: NftError, where: string | null): string {
  const lines = text.split('\n');
  // An error at the end of input that ends in a newline is on a line of its own; nft shows the last line of text there.
  const line = (e.line === lines.length && lines[e.line - 1] === '' && e.line > 1 ? lines[e.line - 2] : lines[e.line - 1]) ?? '';
  const width = Math.max(1, e.end - e.col);
  // One mark per column: `^` under the error, `~` under a related place, the line's tabs kept before them.
  const marks: string[] = [];
  const mark = (from: number, n: number, m: string) => {
    for (let c = from; c < from + n; c++) marks[c - 1] = m;
  };
  if (e.related) mark(e.related.col, Math.max(1, e.related.end - e.related.col), '~');
  mark(e.col, width, '^');
  const under = Array.from(marks, (m, i) => m ?? (line[i] === '\t' ? '\t' : ' ')).join('');
  const head = where ? formatNftError(where, e) : `Error: ${e.message}`;
  return `${head}\n${line}\n${under}\n`;
}

/** `ipt`: the node's iptables rules, whose tables `list ruleset` shows too, as nft shows iptables-nft's tables. */
export function runNftCommand(state: NftNode, args: string[], stdin: string | null, ipt?: IptRuleset): NftCommandOutput {
  let handles = false;
  let check = false;
  let file: string | null = null;
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (words.length === 0 && a.startsWith('-') && a.length > 1) {
      if (a === '-a' || a === '--handle') handles = true;
      else if (a === '-c' || a === '--check') check = true;
      else if (a === '-f' || a === '--file') {
        file = args[++i] ?? null;
        if (file === null) return usage('option requires an argument -- f');
      } else if (a === '-n' || a === '-s' || a === '-e' || a === '--echo' || a === '--stateless' || a === '--numeric') continue;
      else return usage(`nflab's nft does not support the option ${a}`);
    } else words.push(a);
  }
  let text: string;
  let where: string | null;
  if (file !== null) {
    if (file !== '-' && file !== '/dev/stdin') return usage(`Could not open file "${file}": nodes have no files; use nft -f - with stdin`);
    if (words.length) return usage('syntax error, unexpected command after -f');
    text = stdin ?? '';
    where = '/dev/stdin';
  } else {
    if (!words.length) return usage('no command given');
    // nft reads its command line as one line: the end of it is a newline, as in a file.
    text = words.join(' ') + '\n';
    where = null;
  }
  const before = state.version;
  const foreign = ipt ? (h: boolean) => printIptablesTables(ipt, { handles: h }) : undefined;
  const r = runNft(state.rs, text, {
    ...state.txnOpts(),
    check,
    handles,
    nowMs: state.nowMs(),
    onCommit: (c) => state.changed(c),
    foreign,
  });
  if (!r.ok) {
    const stderr = r.errors.map((e) => lineError(text, e, where)).join('');
    return { stdout: r.output ?? '', stderr, exitCode: 1 };
  }
  return { stdout: r.output, stderr: '', exitCode: 0, changedRules: state.version !== before };
}
