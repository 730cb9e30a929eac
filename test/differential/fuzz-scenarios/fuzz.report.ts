/**
 * `npm run fidelity -- --fuzz-scenarios M [--seed S] [--shrink-out DIR]`:
 * M generated scenarios on nflab and the live kernel. Each disagreement is
 * printed, shrunk and written out as a case (test/differential/found/ unless
 * --shrink-out says otherwise; NFLAB_SHRINK=0 skips shrinking). Without root
 * only the CI budget can be compared, against its recorded answers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { kernelAvailable } from '../../kernel/harness.js';
import { CI_SCENARIOS, CI_SEED, FUZZ_RECORD_DIR, runScenario, shrinkAndWrite } from './fuzz.js';

const k = kernelAvailable();
const count = Number(process.env.NFLAB_FUZZ_SCENARIOS ?? CI_SCENARIOS);
const seed = Number(process.env.NFLAB_FUZZ_SEED ?? CI_SEED);
const recordedOnly = !k.ok && seed === CI_SEED && count <= CI_SCENARIOS;
const lines: string[] = [];
let agree = 0;
let differ = 0;

describe.skipIf(!k.ok && !recordedOnly)(`scenario fuzzer: seed ${seed}, ${count} scenarios (${k.ok ? 'live kernel' : k.why})`, () => {
  afterAll(() => {
    console.log(
      [
        '',
        `scenario fuzzer, seed ${seed}: ${count} scenarios, ${agree} agree, ${differ} disagree (${k.ok ? 'live kernel' : 'recorded answers'})`,
        ...lines,
        '',
      ].join('\n'),
    );
  });
  const indices = process.env.NFLAB_FUZZ_INDICES
    ? process.env.NFLAB_FUZZ_INDICES.split(',').map(Number)
    : Array.from({ length: count }, (_, i) => i);
  for (const i of indices) {
    it(`fuzz-${seed}-${i}`, { timeout: 900_000 }, async () => {
      let o = await runScenario(seed, i, k.ok ? 'live' : 'recorded', recordedOnly ? FUZZ_RECORD_DIR : undefined);
      // Ask the kernel once more before calling it a disagreement: a loaded machine can answer late.
      if (o.differences.length && k.ok) o = await runScenario(seed, i, 'live');
      if (o.differences.length === 0) {
        agree++;
        return;
      }
      differ++;
      lines.push(`DIFFERS ${o.c.name}`, ...o.differences.map((d) => `        ${d}`));
      if (k.ok && process.env.NFLAB_SHRINK !== '0') {
        const s = await shrinkAndWrite(o, process.env.NFLAB_SHRINK_OUT, (l) => lines.push(`        ${l}`));
        lines.push(`        shrunk case: ${s.file}`, ...s.differences.map((d) => `          ${d}`));
      }
      expect(o.differences, o.c.topology).toEqual([]);
    });
  }
});

describe.skipIf(k.ok || recordedOnly)('scenario fuzzer', () => {
  it(`cannot run: ${k.why}`, () => {
    console.log(
      `scenario fuzzer: seed ${seed} needs the live kernel (${k.why}); only the CI budget (seed ${CI_SEED}, ${CI_SCENARIOS}) has recorded answers.`,
    );
  });
});
