/**
 * The rule fuzzer's deliberate differences (README, "Deliberate differences", rule commands): a
 * disagreement they explain is counted apart, so that a run's summary shows what is left. Each
 * predicate recognises the difference by both sides' answers, not by its key, so it holds at any seed.
 */
import { splitShellWords } from '../../../src/core/shell.js';
import { tableOf, type Disagreement, type EpisodeAnswer } from './model.js';

const BUILTIN = new Set(['INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING']);

/** The first command renaming a built-in chain that the kernel did and nflab refused, and its table; null if none. */
function builtinRename(cmds: readonly string[], kernel: EpisodeAnswer, nflab: EpisodeAnswer): { at: number; table: string } | null {
  for (let i = 0; i < cmds.length; i++) {
    const s = splitShellWords(cmds[i]);
    if (!s.ok || kernel.cmds[i].x !== 0 || nflab.cmds[i].x === 0) continue;
    const { table, rest } = tableOf(s.words);
    const e = rest.findIndex((w) => w === '-E' || (w.length > 4 && '--rename-chain'.startsWith(w)));
    if (e >= 0 && BUILTIN.has(rest[e + 1] ?? '')) return { at: i, table };
  }
  return null;
}

/** Why a disagreement is a deliberate difference, or null. */
export function deliberate(d: Disagreement, cmds: readonly string[], kernel: EpisodeAnswer, nflab: EpisodeAnswer): string | null {
  // iptables-restore 1.8.9 crashes (SIGSEGV) on -R/-Z of a rule the block added; nflab refuses the block with a message.
  if ((d.what === 'restore exit' || d.what === 'restore stderr') && kernel.restore.x === 139 && /crashes on it/.test(nflab.restore.e))
    return 'restore crash';
  // A built-in chain renamed with -E: iptables-nft hides the base chain; nflab refuses. Everything after it follows.
  const rename = builtinRename(cmds, kernel, nflab);
  if (rename === null) return null;
  // The command itself, and the save hash after every later command (it covers the renamed chain).
  if (d.cmd !== null) return d.cmd === rename.at || (d.cmd > rename.at && d.what === 'save hash') ? 'built-in chain renamed' : null;
  const listed = /^iptables -t (\S+) /.exec(d.what);
  if (d.what === 'iptables-save -c' || listed?.[1] === rename.table) return 'built-in chain renamed';
  return null;
}
