/**
 * What the rule fuzzer observes of one episode, on either side, and how two observations are
 * compared. The same type holds the kernel's recorded answers.
 */
import { createHash } from 'node:crypto';
import { splitShellWords } from '../../../src/core/shell.js';

/** One command's answer: exit code, stderr, stdout, and a hash of `iptables-save -c` right after it. */
export interface CmdAnswer {
  x: number;
  e: string;
  o: string;
  h: string;
}

export interface EpisodeAnswer {
  cmds: CmdAnswer[];
  /** `iptables-save -c` at the end of the episode (comment lines removed). */
  save: string;
  /** Per table the episode named: `iptables -t T -S` and `iptables -t T -L -n -v --line-numbers`, stdout then stderr. */
  lists: Record<string, { S: string; L: string }>;
  /** The accepted commands as one iptables-restore file, loaded into an empty ruleset. */
  restore: { x: number; e: string; save: string };
}

export const TABLES_IN_ORDER = ['filter', 'nat', 'mangle', 'raw', 'security'] as const;

/** `iptables-save` text without its `#` lines (the date in them differs on every run). */
export function stripComments(save: string): string {
  return save
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
}

export function hashSave(save: string): string {
  return createHash('sha1').update(stripComments(save)).digest('hex').slice(0, 12);
}

/** The tables a command line names with `-t`, `--table`, `--table=` or `-tNAME`, in order. */
export function tableOf(words: readonly string[]): { table: string; rest: string[] } {
  const w = words[1];
  if (w === '-t' || w === '--table') return { table: words[2] ?? '', rest: words.slice(3) };
  if (w?.startsWith('--table=')) return { table: w.slice(8), rest: words.slice(2) };
  if (w?.startsWith('-t') && w.length > 2 && !w.startsWith('--')) return { table: w.slice(2), rest: words.slice(2) };
  return { table: 'filter', rest: words.slice(1) };
}

export function listedTables(cmds: readonly string[]): string[] {
  const seen = new Set<string>(['filter']);
  for (const c of cmds) {
    const s = splitShellWords(c);
    if (s.ok) seen.add(tableOf(s.words).table);
  }
  return TABLES_IN_ORDER.filter((t) => seen.has(t));
}

/** A restore-file argument: bare when plain, else double-quoted as iptables-restore reads it. */
function restoreWord(w: string): string {
  if (w.length > 0 && /^[A-Za-z0-9_.:/,=+@%!-]+$/.test(w)) return w;
  return `"${w.replace(/(["\\])/g, '\\$1')}"`;
}

const LISTING = new Set(['-L', '--list', '-S', '--list-rules', '-C', '--check']);

/**
 * The commands the kernel accepted, as one iptables-restore file: one block per table, in the
 * order of first use, each command in its place within its table.
 */
export function restoreFile(cmds: readonly string[], exits: readonly number[]): string {
  const blocks = new Map<string, string[]>();
  cmds.forEach((c, i) => {
    if (exits[i] !== 0) return;
    const s = splitShellWords(c);
    if (!s.ok) return;
    const { table, rest } = tableOf(s.words);
    if (rest.some((w) => LISTING.has(w))) return;
    if (!blocks.has(table)) blocks.set(table, []);
    blocks.get(table)!.push(rest.map(restoreWord).join(' '));
  });
  let out = '';
  for (const [t, lines] of blocks) out += `*${t}\n${lines.map((l) => l + '\n').join('')}COMMIT\n`;
  return out;
}

export interface Disagreement {
  episode: number;
  /** The command's index in its episode, or null for the end-of-episode listings and the restore. */
  cmd: number | null;
  what: string;
  kernel: string;
  nflab: string;
}

/** Every place where two observations of the same episode differ. */
export function compareEpisode(i: number, k: EpisodeAnswer, n: EpisodeAnswer): Disagreement[] {
  const out: Disagreement[] = [];
  const d = (cmd: number | null, what: string, kv: string, nv: string) => {
    if (kv !== nv) out.push({ episode: i, cmd, what, kernel: kv, nflab: nv });
  };
  k.cmds.forEach((kc, j) => {
    const nc = n.cmds[j];
    if (!nc) return d(j, 'missing', 'answer', '');
    d(j, 'exit', String(kc.x), String(nc.x));
    d(j, 'stderr', kc.e, nc.e);
    d(j, 'stdout', kc.o, nc.o);
    d(j, 'save hash', kc.h, nc.h);
  });
  d(null, 'iptables-save -c', k.save, n.save);
  for (const t of Object.keys(k.lists)) {
    d(null, `iptables -t ${t} -S`, k.lists[t].S, n.lists[t]?.S ?? '');
    d(null, `iptables -t ${t} -L -n -v --line-numbers`, k.lists[t].L, n.lists[t]?.L ?? '');
  }
  d(null, 'restore exit', String(k.restore.x), String(n.restore.x));
  d(null, 'restore stderr', k.restore.e, n.restore.e);
  d(null, 'restore save', k.restore.save, n.restore.save);
  return out;
}

/** A short, line-level description of a disagreement for test output. */
export function describe(d: Disagreement, cmds: readonly string[]): string {
  const where = d.cmd === null ? `end of episode ${d.episode}` : `episode ${d.episode} command ${d.cmd}: ${cmds[d.cmd]}`;
  const kl = d.kernel.split('\n');
  const nl = d.nflab.split('\n');
  const diff: string[] = [];
  for (let i = 0; i < Math.max(kl.length, nl.length) && diff.length < 12; i++)
    if (kl[i] !== nl[i]) diff.push(`  kernel: ${kl[i] ?? '(none)'}\n  nflab:  ${nl[i] ?? '(none)'}`);
  return `${where}\n  ${d.what} differs\n${diff.join('\n')}`;
}
