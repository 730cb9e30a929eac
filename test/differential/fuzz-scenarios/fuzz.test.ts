/**
 * The scenario fuzzer at the CI budget: a fixed seed and number of generated
 * labs, each run on nflab and compared with the kernel, live where namespaces
 * are available (the live answer must also match the recorded one), and with
 * the recorded answers (fuzz-scenarios/recorded/) everywhere else.
 */
import { describe, expect, it } from 'vitest';
import { kernelAvailable } from '../../kernel/harness.js';
import { CI_SCENARIOS, CI_SEED, FUZZ_RECORD_DIR, runScenario } from './fuzz.js';

const k = kernelAvailable();
/** NFLAB_LIVE=0 compares with the records even as root (quick iteration on nflab). */
const live = k.ok && process.env.NFLAB_LIVE !== '0';

describe(`scenario fuzzer: seed ${CI_SEED}, ${CI_SCENARIOS} scenarios (${live ? 'live kernel' : `recorded kernel answers${k.ok ? '' : `: ${k.why}`}`})`, () => {
  for (let i = 0; i < CI_SCENARIOS; i++) {
    // One retry on the live kernel: a loaded machine now and then answers a probe after the prober gave up.
    it(`fuzz-${CI_SEED}-${i}`, { retry: live ? 1 : 0, timeout: 120_000 }, async () => {
      const o = await runScenario(CI_SEED, i, live ? 'live' : 'recorded', FUZZ_RECORD_DIR);
      const why = `nflab and the kernel disagree on ${o.c.name}:\n${o.differences.join('\n')}\n${o.c.topology}\n${JSON.stringify(o.c.steps)}`;
      expect(o.differences, why).toEqual([]);
    });
  }
});
