/**
 * Shrinking: an episode on which nflab and the kernel disagree is cut down to the fewest commands,
 * and then the fewest words, that still disagree. Candidates of one round are asked of the kernel
 * in a single run; the first that still disagrees is kept.
 */
import { splitShellWords } from '../../../src/core/shell.js';
import { type Episode, shellWord } from './gen.js';
import { runKernel } from './kernel.js';
import { runNflab } from './nflab.js';
import { compareEpisode, type EpisodeAnswer } from './model.js';

/** The first candidate that still disagrees in the same way (`what`: exit, stderr, a listing, ...), or -1. */
function disagreeing(cands: Episode[], what: string): number {
  if (cands.length === 0) return -1;
  const k = runKernel(cands);
  const n = runNflab(
    cands,
    k.map((a) => a.cmds.map((c) => c.x)),
  );
  return cands.findIndex((_, i) => compareEpisode(i, k[i], n[i]).some((d) => d.what === what));
}

function words(cmd: string): string[] {
  const s = splitShellWords(cmd);
  return s.ok ? s.words : [cmd];
}

/** Word-level candidates for one command: each word dropped, and each option with its value; the command word and its table stay. */
function simpler(cmd: string): string[] {
  const w = words(cmd);
  const out: string[] = [];
  const keep = w[1] === '-t' || w[1] === '--table' ? 4 : 2;
  for (let i = keep; i < w.length; i++) {
    out.push([...w.slice(0, i), ...w.slice(i + 2)].map(shellWord).join(' '));
    out.push([...w.slice(0, i), ...w.slice(i + 1)].map(shellWord).join(' '));
  }
  return out.filter((c) => c !== cmd);
}

export interface Shrunk {
  cmds: string[];
  kernel: EpisodeAnswer;
}

/** The smallest episode found that still disagrees as it first did (`what`); `budget` bounds the kernel runs. */
export function shrink(ep: Episode, what: string, budget = 60): Shrunk {
  let cmds = [...ep.cmds];
  let runs = 0;
  // Drop commands while some drop keeps a disagreement.
  for (let changed = true; changed && runs < budget;) {
    changed = false;
    const cands = cmds.map((_, i) => ({ cmds: cmds.filter((__, j) => j !== i) })).filter((c) => c.cmds.length > 0);
    runs++;
    const hit = disagreeing(cands, what);
    if (hit >= 0) {
      cmds = cands[hit].cmds;
      changed = true;
    }
  }
  // Then simplify the words of each command.
  for (let i = 0; i < cmds.length && runs < budget; i++) {
    for (let changed = true; changed && runs < budget;) {
      changed = false;
      const cands = simpler(cmds[i]).map((c) => ({ cmds: cmds.map((x, j) => (j === i ? c : x)) }));
      runs++;
      const hit = disagreeing(cands, what);
      if (hit >= 0) {
        cmds = cands[hit].cmds;
        changed = true;
      }
    }
  }
  return { cmds, kernel: runKernel([{ cmds }])[0] };
}
