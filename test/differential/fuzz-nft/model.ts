/**
 * What the nft fuzzer observes of one transaction, on either side, and how two observations are
 * compared. The same type holds the kernel's recorded answers.
 */
import type { Disagreement } from '../fuzz-rules/model.js';
import type { Txn } from './gen.js';

export type { Disagreement };

/** One transaction's answer: exit code, stderr, stdout, then `nft list ruleset` and `nft -a list ruleset` after it. */
export interface TxnAnswer {
  x: number;
  e: string;
  o: string;
  l: string;
  a: string;
}

export interface EpisodeAnswer {
  txns: TxnAnswer[];
}

/**
 * An element's `expires` counts down in the kernel while the script runs (and on virtual time in
 * nflab): the remaining time is not compared, its presence is.
 */
export function normalise(listing: string): string {
  return listing.replace(/ expires [0-9hmsd]+/g, ' expires …');
}

/**
 * The first error of a report. nft reports every failing command of a batch; nflab stops at the
 * first (a deliberate difference, docs/nftables.md), so the first is what is compared.
 */
export function firstError(stderr: string): string {
  const lines = stderr.split('\n');
  const starts = lines.flatMap((l, i) => (/^(\S+:\d+:\d+-\d+: )?Error: /.test(l) ? [i] : []));
  if (starts.length < 2) return stderr;
  return lines.slice(0, starts[1]).join('\n').replace(/\n*$/, '\n');
}

/**
 * nft 1.0.6 aborts (exit 134, `BUG: unhandled op 2` and a failed assertion in `interval_set_eval`)
 * on a `replace rule` with an anonymous interval set (of several elements, one a range or prefix):
 * a bug of that version (later ones treat the replace as an add there). nflab answers what nft means to do instead, a deliberate difference
 * (README): such a transaction's own answer is not compared.
 */
export function nftAborted(t: TxnAnswer): boolean {
  return t.x === 134 && /^BUG: unhandled op /m.test(t.e) && /Assertion `0' failed/.test(t.e);
}

/**
 * Every place where two observations of the same episode differ (`bothKernel`: a recording against
 * a live kernel run). After a transaction on which nft aborted, the episode is compared on only
 * while the two rulesets still list the same (nflab may have applied what nft never sent).
 */
export function compareEpisode(i: number, k: EpisodeAnswer, n: EpisodeAnswer, bothKernel = false): Disagreement[] {
  const out: Disagreement[] = [];
  const d = (cmd: number, what: string, kv: string, nv: string) => {
    if (kv !== nv) out.push({ episode: i, cmd, what, kernel: kv, nflab: nv });
  };
  for (const [j, kt] of k.txns.entries()) {
    const nt = n.txns[j];
    if (!nt) {
      d(j, 'missing', 'answer', '');
      continue;
    }
    if (!bothKernel && nftAborted(kt)) {
      if (normalise(kt.a) !== normalise(nt.a)) break;
      continue;
    }
    d(j, 'exit', String(kt.x), String(nt.x));
    d(j, 'stderr', bothKernel ? kt.e : firstError(kt.e), nt.e);
    d(j, 'stdout', normalise(kt.o), normalise(nt.o));
    d(j, 'list', normalise(kt.l), normalise(nt.l));
    d(j, 'list -a', normalise(kt.a), normalise(nt.a));
  }
  return out;
}

/** How a transaction reads in a report: its command line, and its stdin if any. */
export function txnText(t: Txn): string {
  return t.stdin === undefined ? t.cmd : `${t.cmd} <<EOF\n${t.stdin}EOF`;
}
