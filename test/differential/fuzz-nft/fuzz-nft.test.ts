/**
 * The nft fuzzer: generated nft transactions through nflab's command layer, compared with the
 * kernel's answers (exit code, stderr, stdout, and both listings after every transaction).
 * Without root the CI seed's recorded answers stand in for the kernel; with root the kernel is
 * asked again and must still answer as recorded.
 *
 * Environment: NFLAB_FUZZ_NFT_SEED, NFLAB_FUZZ_NFT_BUDGET (default: the CI seed and budget),
 * NFLAB_FUZZ_NFT_RECORD=1 (write the recording and the cases' kernel answers),
 * NFLAB_FUZZ_NFT_SHRINK=N (shrink up to N disagreeing episodes into cases/),
 * NFLAB_FUZZ_NFT_LIVE=0 (never ask the kernel). `node test/differential/fuzz-nft/run.mjs --help`
 * sets these.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describe as say } from '../fuzz-rules/model.js';
import { generate, type Episode } from './gen.js';
import { kernelUnavailable, kernelVersion, runKernel } from './kernel.js';
import { compareEpisode, txnText, type Disagreement, type EpisodeAnswer } from './model.js';
import { runNflab } from './nflab.js';
import { HERE, readCases, readRecording, writeCase, writeRecording } from './recording.js';
import { shrink } from './shrink.js';

export const CI_SEED = 1;
export const CI_BUDGET = 600;

const env = process.env;
const seed = Number(env.NFLAB_FUZZ_NFT_SEED ?? env.NFLAB_FUZZ_SEED ?? CI_SEED);
const budget = Number(env.NFLAB_FUZZ_NFT_BUDGET ?? CI_BUDGET);
const recordMode = env.NFLAB_FUZZ_NFT_RECORD === '1';
const shrinkCount = Number(env.NFLAB_FUZZ_NFT_SHRINK ?? 0);
const noKernel = env.NFLAB_FUZZ_NFT_LIVE === '0' ? 'NFLAB_FUZZ_NFT_LIVE=0' : kernelUnavailable();

/** Disagreements at the CI seed that are known and not fixed yet, by key; the list may only shrink. */
const KNOWN = JSON.parse(readFileSync(join(HERE, 'known.json'), 'utf8')) as Record<string, string[]>;
const knownKey = `seed-${seed}-n${budget}`;
const keyOf = (d: Disagreement) => `e${d.episode}.t${d.cmd}.${d.what}`;
const texts = (ep: Episode) => ep.txns.map(txnText);

function compareAll(eps: readonly Episode[], kernel: readonly EpisodeAnswer[]): { all: Disagreement[]; text: (d: Disagreement) => string } {
  const nflab = runNflab(eps);
  const all = eps.flatMap((_, i) => compareEpisode(i, kernel[i], nflab[i]));
  return { all, text: (d) => say(d, texts(eps[d.episode])) };
}

function summary(eps: readonly Episode[], kernel: readonly EpisodeAnswer[], dis: readonly Disagreement[]): string {
  const txns = eps.reduce((s, e) => s + e.txns.length, 0);
  const accepted = kernel.reduce((s, a) => s + a.txns.filter((t) => t.x === 0).length, 0);
  const bad = new Set(dis.map((d) => `${d.episode}.${d.cmd}`)).size;
  return `seed ${seed}, ${txns} transactions in ${eps.length} episodes, kernel accepted ${accepted}; disagreeing: ${bad} transactions, ${new Set(dis.map((d) => d.episode)).size} episodes`;
}

/** Fails on a disagreement that is not known, and on a known one that no longer happens (so that the list shrinks). */
function judge(dis: readonly Disagreement[], text: (d: Disagreement) => string, known: readonly string[]): void {
  if (env.NFLAB_FUZZ_NFT_REPORT) writeFileSync(env.NFLAB_FUZZ_NFT_REPORT, dis.map((d) => `[${keyOf(d)}] ${text(d)}`).join('\n\n') + '\n');
  const keys = new Set(dis.map(keyOf));
  const fresh = dis.filter((d) => !known.includes(keyOf(d)));
  const gone = known.filter((k) => !keys.has(k));
  const msg = [
    ...fresh.slice(0, 20).map((d) => `[${keyOf(d)}] ${text(d)}`),
    ...(fresh.length > 20 ? [`... and ${fresh.length - 20} more`] : []),
    ...(gone.length ? [`fixed, remove from known.json: ${gone.join(' ')}`] : []),
  ];
  expect(msg.join('\n\n')).toBe('');
}

describe('nft fuzzer', () => {
  it('is deterministic, and the kernel refuses a good part of what it draws', () => {
    expect(generate(7, 200)).toEqual(generate(7, 200));
    expect(generate(7, 200)).not.toEqual(generate(8, 200));
    const rec = readRecording(CI_SEED, CI_BUDGET);
    if (rec) {
      const all = rec.episodes.flatMap((e) => e.answer.txns);
      const refused = all.filter((t) => t.x !== 0).length / all.length;
      // A quarter is broken on purpose; more is refused for what it refers to (docs/nftables.md).
      expect(refused).toBeGreaterThan(0.25);
      expect(refused).toBeLessThan(0.7);
    }
  });

  const rec = readRecording(seed, budget);
  it.skipIf(rec === null)(`nflab answers as the recorded kernel did (seed ${seed}, ${budget} transactions)`, { timeout: 120_000 }, () => {
    const eps = generate(seed, budget);
    expect(
      rec!.episodes.map((e) => e.txns),
      'the generator changed since the recording: re-record (run.mjs --record)',
    ).toEqual(eps.map((e) => e.txns));
    const kernel = rec!.episodes.map((e) => e.answer);
    const { all, text } = compareAll(eps, kernel);
    console.log(summary(eps, kernel, all));
    judge(all, text, KNOWN[knownKey] ?? []);
  });

  it.skipIf(noKernel !== null)(
    `the kernel answers (seed ${seed}, ${budget} transactions) ${noKernel ? `[skipped: ${noKernel}]` : ''}`,
    { timeout: 60 * 60_000 },
    () => {
      const eps = generate(seed, budget);
      const kernel = runKernel(eps);
      const { all, text } = compareAll(eps, kernel);
      console.log(summary(eps, kernel, all));
      if (recordMode) {
        console.log(
          'wrote',
          writeRecording({ seed, budget, kernel: kernelVersion(), episodes: eps.map((e, i) => ({ ...e, answer: kernel[i] })) }),
        );
      } else if (rec) {
        // The recording must still be what the kernel says, or the recorded test proves nothing.
        const stale = rec.episodes.flatMap((e, i) => compareEpisode(i, e.answer, kernel[i], true).map((d) => say(d, texts(e))));
        expect(stale.slice(0, 10).join('\n\n'), 'the recorded kernel answers are stale: re-record (run.mjs --record)').toBe('');
      }
      if (shrinkCount > 0) {
        const episodes = [...new Set(all.map((d) => d.episode))].slice(0, shrinkCount);
        for (const e of episodes) {
          const s = shrink(eps[e], all.find((d) => d.episode === e)!.what);
          const name = `shrunk-s${seed}-e${e}.json`;
          writeCase(name, {
            about: `found by the fuzzer at seed ${seed}, episode ${e}; shrunk`,
            known: 'not fixed yet',
            txns: s.txns,
            kernel: s.kernel,
          });
          console.log('wrote case', name, s.txns.map(txnText).join('\n'));
        }
      }
      if (!recordMode && shrinkCount === 0) judge(all, text, seed === CI_SEED && budget === CI_BUDGET ? (KNOWN[knownKey] ?? []) : []);
    },
  );
});

describe('nft fuzzer regression cases', () => {
  const cases = readCases();
  if (recordMode && noKernel === null)
    it('records the kernel answers of every case', () => {
      const answers = runKernel(cases.map(({ c }) => ({ txns: c.txns })));
      cases.forEach(({ file, c }, i) => writeCase(file, { ...c, kernel: answers[i] }));
    });
  else if (noKernel === null && cases.length)
    it('every recorded case is still what the kernel answers', () => {
      const answers = runKernel(cases.map(({ c }) => ({ txns: c.txns })));
      const stale = cases.flatMap(({ file, c }, i) =>
        c.kernel ? compareEpisode(0, c.kernel, answers[i], true).map((d) => `${file}: ${say(d, c.txns.map(txnText))}`) : [],
      );
      expect(stale.join('\n\n'), 'stale case answers: re-record (run.mjs --record)').toBe('');
    });
  for (const { file, c } of cases)
    (c.kernel === null ? it.skip : c.known ? it.fails : it)(`${file}: ${c.about}${c.known ? ` (still differs: ${c.known})` : ''}`, () => {
      const n = runNflab([{ txns: c.txns }])[0];
      expect(
        compareEpisode(0, c.kernel!, n)
          .map((d) => say(d, c.txns.map(txnText)))
          .join('\n\n'),
      ).toBe('');
    });
});
