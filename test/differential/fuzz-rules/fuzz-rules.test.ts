/**
 * The rule fuzzer: generated iptables commands through nflab's command layer, compared with the
 * kernel's answers. Without root the CI seed's recorded answers stand in for the kernel; with
 * root the kernel is asked again and must still answer as recorded.
 *
 * Environment: NFLAB_FUZZ_SEED, NFLAB_FUZZ_BUDGET (default: the CI seed and budget),
 * NFLAB_FUZZ_RECORD=1 (write the recording and the cases' kernel answers),
 * NFLAB_FUZZ_SHRINK=N (shrink up to N disagreements into cases/), NFLAB_FUZZ_LIVE=0 (never ask the kernel).
 * `node test/differential/fuzz-rules/run.mjs --help` sets these.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MATCHES, TARGETS } from '../../../src/netfilter/registry.js';
import { readCases, writeCase } from './cases.js';
import { GENERATED_MATCHES, GENERATED_OPTIONS, GENERATED_TARGETS, OPTION_VALUES, generate, type Episode } from './gen.js';
import { kernelUnavailable, runKernel } from './kernel.js';
import { compareEpisode, describe as say, type Disagreement, type EpisodeAnswer } from './model.js';
import { deliberate } from './deliberate.js';
import { runNflab } from './nflab.js';
import { HERE, readRecording, writeRecording } from './recording.js';
import { shrink } from './shrink.js';

export const CI_SEED = 1;
export const CI_BUDGET = 1500;

const env = process.env;
const seed = Number(env.NFLAB_FUZZ_SEED ?? CI_SEED);
const budget = Number(env.NFLAB_FUZZ_BUDGET ?? CI_BUDGET);
const recordMode = env.NFLAB_FUZZ_RECORD === '1';
const shrinkCount = Number(env.NFLAB_FUZZ_SHRINK ?? 0);
const noKernel = env.NFLAB_FUZZ_LIVE === '0' ? 'NFLAB_FUZZ_LIVE=0' : kernelUnavailable();

/** Disagreements at the CI seed that are known and not fixed yet, by key; the list may only shrink. */
const KNOWN: Record<string, string[]> = JSON.parse(readFileSync(join(HERE, 'known.json'), 'utf8')) as Record<string, string[]>;
const knownKey = `seed-${seed}-n${budget}`;
const keyOf = (d: Disagreement) => `e${d.episode}.${d.cmd === null ? 'end' : `c${d.cmd}`}.${d.what}`;

function compareAll(
  eps: readonly Episode[],
  kernel: readonly EpisodeAnswer[],
): { all: Disagreement[]; text: (d: Disagreement) => string; why: (d: Disagreement) => string | null } {
  const nflab = runNflab(
    eps,
    kernel.map((a) => a.cmds.map((c) => c.x)),
  );
  const all = eps.flatMap((_, i) => compareEpisode(i, kernel[i], nflab[i]));
  const why = (d: Disagreement) => deliberate(d, eps[d.episode].cmds, kernel[d.episode], nflab[d.episode]);
  return { all, text: (d) => say(d, eps[d.episode].cmds), why };
}

function summary(
  eps: readonly Episode[],
  kernel: readonly EpisodeAnswer[],
  dis: readonly Disagreement[],
  why: (d: Disagreement) => string | null,
): string {
  const cmds = eps.reduce((s, e) => s + e.cmds.length, 0);
  const accepted = kernel.reduce((s, a) => s + a.cmds.filter((c) => c.x === 0).length, 0);
  const count = (ds: readonly Disagreement[]) =>
    `${new Set(ds.filter((d) => d.cmd !== null).map((d) => `${d.episode}.${d.cmd}`)).size} commands, ${new Set(ds.map((d) => d.episode)).size} episodes`;
  const other = dis.filter((d) => why(d) === null);
  return (
    `seed ${seed}, ${cmds} commands in ${eps.length} episodes, kernel accepted ${accepted}; disagreeing: ${count(dis)}` +
    `; not explained by a deliberate difference: ${count(other)}`
  );
}

/** Fails on a disagreement that is not known, and on a known one that no longer happens (so that the list shrinks). */
function judge(
  dis: readonly Disagreement[],
  text: (d: Disagreement) => string,
  known: readonly string[],
  why: (d: Disagreement) => string | null,
): void {
  if (env.NFLAB_FUZZ_REPORT) {
    const line = (d: Disagreement) => `[${keyOf(d)}]${why(d) ? ` (deliberate: ${why(d)})` : ''} ${text(d)}`;
    writeFileSync(env.NFLAB_FUZZ_REPORT, dis.map(line).join('\n\n') + '\n');
  }
  const keys = new Set(dis.map(keyOf));
  const fresh = dis.filter((d) => !known.includes(keyOf(d)));
  const gone = known.filter((k) => !keys.has(k));
  const msg = [
    ...fresh.slice(0, 20).map(text),
    ...(fresh.length > 20 ? [`... and ${fresh.length - 20} more`] : []),
    ...(gone.length ? [`fixed, remove from known.json: ${gone.join(' ')}`] : []),
  ];
  expect(msg.join('\n\n')).toBe('');
}

describe('rule fuzzer', () => {
  it('draws every match, target and option nflab knows', () => {
    expect(GENERATED_MATCHES.slice().sort()).toEqual([...MATCHES.keys()].sort());
    expect(GENERATED_TARGETS.slice().sort()).toEqual([...TARGETS.keys()].sort());
    const options = new Set([...MATCHES.values(), ...TARGETS.values()].flatMap((d) => Object.keys(d.options)));
    expect([...options].filter((o) => !(o in OPTION_VALUES)).sort()).toEqual([]);
    expect([...options].filter((o) => !GENERATED_OPTIONS.has(o)).sort()).toEqual([]);
  });

  it('is deterministic: the same seed gives the same commands', () => {
    expect(generate(7, 300)).toEqual(generate(7, 300));
    expect(generate(7, 300)).not.toEqual(generate(8, 300));
  });

  const rec = readRecording(seed, budget);
  it.skipIf(rec === null)(`nflab answers as the recorded kernel did (seed ${seed}, ${budget} commands)`, () => {
    const eps = generate(seed, budget);
    expect(
      rec!.episodes.map((e) => e.cmds),
      'the generator changed since the recording: re-record (run.mjs --record)',
    ).toEqual(eps.map((e) => e.cmds));
    const kernel = rec!.episodes.map((e) => e.answer);
    const { all, text, why } = compareAll(eps, kernel);
    console.log(summary(eps, kernel, all, why));
    judge(all, text, KNOWN[knownKey] ?? [], why);
  });

  it.skipIf(noKernel !== null)(
    `the kernel answers (seed ${seed}, ${budget} commands) ${noKernel ? `[skipped: ${noKernel}]` : ''}`,
    { timeout: 60 * 60_000 },
    () => {
      const eps = generate(seed, budget);
      const kernel = runKernel(eps);
      const { all, text, why } = compareAll(eps, kernel);
      console.log(summary(eps, kernel, all, why));
      if (recordMode) {
        const version = execFileSync('iptables', ['--version'], { encoding: 'utf8' }).trim();
        const uname = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
        console.log(
          'wrote',
          writeRecording({
            seed,
            budget,
            kernel: `${version}, Linux ${uname}`,
            episodes: eps.map((e, i) => ({ ...e, answer: kernel[i] })),
          }),
        );
      } else if (rec) {
        // The recording must still be what the kernel says, or the recorded test proves nothing.
        const stale = rec.episodes.flatMap((e, i) => compareEpisode(i, e.answer, kernel[i]).map((d) => say(d, e.cmds)));
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
            cmds: s.cmds,
            kernel: s.kernel,
          });
          console.log('wrote case', name, s.cmds);
        }
      }
      if (!recordMode && shrinkCount === 0) judge(all, text, seed === CI_SEED && budget === CI_BUDGET ? (KNOWN[knownKey] ?? []) : [], why);
    },
  );
});

describe('rule fuzzer regression cases', () => {
  const cases = readCases();
  if (recordMode && noKernel === null)
    it('records the kernel answers of every case', () => {
      const answers = runKernel(cases.map(({ c }) => ({ cmds: c.cmds })));
      cases.forEach(({ file, c }, i) => writeCase(file, { ...c, kernel: answers[i] }));
    });
  else if (noKernel === null)
    it('every recorded case is still what the kernel answers', () => {
      const answers = runKernel(cases.map(({ c }) => ({ cmds: c.cmds })));
      const stale = cases.flatMap(({ file, c }, i) =>
        c.kernel ? compareEpisode(0, c.kernel, answers[i]).map((d) => `${file}: ${say(d, c.cmds)}`) : [],
      );
      expect(stale.join('\n\n'), 'stale case answers: re-record (run.mjs --record-cases)').toBe('');
    });
  for (const { file, c } of cases)
    (c.kernel === null ? it.skip : c.known ? it.fails : it)(`${file}: ${c.about}${c.known ? ` (still differs: ${c.known})` : ''}`, () => {
      const n = runNflab([{ cmds: c.cmds }], [c.kernel!.cmds.map((x) => x.x)])[0];
      expect(
        compareEpisode(0, c.kernel!, n)
          .map((d) => say(d, c.cmds))
          .join('\n\n'),
      ).toBe('');
    });
});
