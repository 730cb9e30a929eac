/**
 * The rule fuzzer's deliberate differences (README, "Deliberate differences", rule commands): a
 * disagreement they explain is counted apart, so that a run's summary shows what is left. Each
 * predicate recognises the difference by both sides' answers, not by its key, so it holds at any seed.
 */
import { splitShellWords } from '../../../src/core/shell.js';
import { tableOf, type CmdAnswer, type Disagreement, type EpisodeAnswer } from './model.js';

const BUILTIN = new Set(['INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING']);

const VERBS: Record<string, string> = {
  append: 'A',
  insert: 'I',
  replace: 'R',
  delete: 'D',
  check: 'C',
  'new-chain': 'N',
  'rename-chain': 'E',
  'delete-chain': 'X',
  policy: 'P',
  flush: 'F',
  zero: 'Z',
  list: 'L',
  'list-rules': 'S',
};

/** A command's table, verb (as its short letter) and the word after it (the chain, when it names one). */
function verbOf(cmd: string): { table: string; verb: string; chain: string | null } | null {
  const s = splitShellWords(cmd);
  if (!s.ok) return null;
  const { table, rest } = tableOf(s.words);
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i];
    let verb: string | undefined;
    if (/^-[AIRDCNEXPFZLS]$/.test(w)) verb = w[1];
    else if (w.startsWith('--') && w.length > 2) {
      const name = w.slice(2);
      const hits = Object.keys(VERBS).filter((v) => v.startsWith(name));
      verb = VERBS[name] ?? (hits.length === 1 ? VERBS[hits[0]] : undefined);
    }
    if (verb === undefined) continue;
    const next = rest[i + 1];
    return { table, verb, chain: next !== undefined && !next.startsWith('-') ? next : null };
  }
  return null;
}

/** The first command renaming a built-in chain that the kernel did and nflab refused: where, its table, both names. */
function builtinRename(
  cmds: readonly string[],
  kernel: EpisodeAnswer,
  nflab: EpisodeAnswer,
): { at: number; table: string; from: string; to: string } | null {
  for (let i = 0; i < cmds.length; i++) {
    if (kernel.cmds[i].x !== 0 || nflab.cmds[i].x === 0) continue;
    const s = splitShellWords(cmds[i]);
    if (!s.ok) continue;
    const { table, rest } = tableOf(s.words);
    const e = rest.findIndex((w) => w === '-E' || (w.length > 4 && '--rename-chain'.startsWith(w)));
    if (e >= 0 && BUILTIN.has(rest[e + 1] ?? '')) return { at: i, table, from: rest[e + 1], to: rest[e + 2] ?? '' };
  }
  return null;
}

/** What the kernel answers about a built-in chain whose base chain was renamed away: an empty chain it has not made. */
const EMPTY_CHAIN =
  /^iptables: (Bad rule \(does a matching rule exist in that chain\?\)|No chain\/target\/match by that name|Index of (insertion|deletion|replacement) too big)\.\n$/;

/**
 * Whether a later command's disagreement is what the hidden chain explains, by the kernel's answer:
 * the new name names a chain iptables cannot use (every command on it fails: `-N` with
 * CHAIN_USER_ADD, listings as incompatible, the rest find no chain); the old name is an empty
 * built-in chain (no rule to find, delete, replace or zero; listings show none); a listing of the
 * whole table starts with the incompatible-base-chains line.
 */
function renameConsequence(cmd: string, k: CmdAnswer, what: string, rename: { table: string; from: string; to: string }): boolean {
  const v = verbOf(cmd);
  if (v === null || v.table !== rename.table) return false;
  if (v.chain === rename.to) return k.x !== 0;
  if (v.chain === rename.from)
    return (k.x !== 0 && EMPTY_CHAIN.test(k.e)) || (k.x === 0 && what === 'stdout' && (v.verb === 'L' || v.verb === 'S'));
  return (
    v.chain === null &&
    (v.verb === 'L' || v.verb === 'S') &&
    k.x === 0 &&
    k.o.startsWith(`# Table \`${rename.table}' contains incompatible base-chains`)
  );
}

/** Why a disagreement is a deliberate difference, or null. */
export function deliberate(d: Disagreement, cmds: readonly string[], kernel: EpisodeAnswer, nflab: EpisodeAnswer): string | null {
  // iptables-restore 1.8.9 crashes (SIGSEGV) on -R/-Z of a rule the block added; nflab refuses the block with a message.
  if ((d.what === 'restore exit' || d.what === 'restore stderr') && kernel.restore.x === 139 && /crashes on it/.test(nflab.restore.e))
    return 'restore crash';
  // A built-in chain renamed with -E: iptables-nft hides the base chain; nflab refuses. Everything after it follows.
  const rename = builtinRename(cmds, kernel, nflab);
  if (rename === null) return null;
  // The command itself, the save hash after every later command (it covers the renamed chain), and
  // later commands naming either name, or listing the table, answered as the hidden chain explains.
  if (d.cmd !== null) {
    if (d.cmd === rename.at || (d.cmd > rename.at && d.what === 'save hash')) return 'built-in chain renamed';
    return d.cmd > rename.at && renameConsequence(cmds[d.cmd], kernel.cmds[d.cmd], d.what, rename) ? 'built-in chain renamed' : null;
  }
  const listed = /^iptables -t (\S+) /.exec(d.what);
  if (d.what === 'iptables-save -c' || listed?.[1] === rename.table) return 'built-in chain renamed';
  return null;
}
