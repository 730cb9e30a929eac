/**
 * Shrinking: an episode on which nflab and the kernel disagree is cut down to the fewest
 * transactions, then the fewest commands or lines within them, that still disagree in the same
 * way. Candidates of one round are asked of the kernel in a single run; the first that still
 * disagrees is kept.
 */
import type { Episode, Txn } from './gen.js';
import { runKernel } from './kernel.js';
import { compareEpisode, type EpisodeAnswer } from './model.js';
import { runNflab } from './nflab.js';

function disagreeing(cands: Episode[], what: string): number {
  if (cands.length === 0) return -1;
  const k = runKernel(cands);
  const n = runNflab(cands);
  return cands.findIndex((_, i) => compareEpisode(i, k[i], n[i]).some((d) => d.what === what));
}

/** Smaller forms of one transaction: a line of its stdin dropped (blocks keep their braces balanced by dropping whole rules only). */
function simpler(t: Txn): Txn[] {
  if (t.stdin === undefined) return [];
  const lines = t.stdin.split('\n');
  const out: Txn[] = [];
  lines.forEach((l, i) => {
    if (l.trim() === '' || /[{}]/.test(l)) return;
    out.push({ cmd: t.cmd, stdin: [...lines.slice(0, i), ...lines.slice(i + 1)].join('\n') });
  });
  return out;
}

export interface Shrunk {
  txns: Txn[];
  kernel: EpisodeAnswer;
}

/** The smallest episode found that still disagrees as it first did (`what`); `budget` bounds the kernel runs. */
export function shrink(ep: Episode, what: string, budget = 40): Shrunk {
  let txns = [...ep.txns];
  let runs = 0;
  for (let changed = true; changed && runs < budget;) {
    changed = false;
    const cands = txns.map((_, i) => ({ txns: txns.filter((__, j) => j !== i) })).filter((c) => c.txns.length > 0);
    runs++;
    const hit = disagreeing(cands, what);
    if (hit >= 0) {
      txns = cands[hit].txns;
      changed = true;
    }
  }
  for (let i = 0; i < txns.length && runs < budget; i++) {
    for (let changed = true; changed && runs < budget;) {
      changed = false;
      const cands = simpler(txns[i]).map((t) => ({ txns: txns.map((x, j) => (j === i ? t : x)) }));
      runs++;
      const hit = disagreeing(cands, what);
      if (hit >= 0) {
        txns = cands[hit].txns;
        changed = true;
      }
    }
  }
  return { txns, kernel: runKernel([{ txns }])[0] };
}
