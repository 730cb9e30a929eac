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

describe(`scenario fuzzer: seed ${CI_SEED}, ${CI_SCENARIOS} scenarios (${k.ok ? 'live kernel' : `recorded kernel answers: ${k.why}`})`, () => {
  for (let i = 0; i < CI_SCENARIOS; i++) {
    // One retry on the live kernel: a loaded machine now and then answers a probe after the prober gave up.
    it(`fuzz-${CI_SEED}-${i}`, { retry: k.ok ? 1 : 0, timeout: 120_000 }, async () => {
      const o = await runScenario(CI_SEED, i, k.ok ? 'live' : 'recorded', FUZZ_RECORD_DIR);
      expect(o.differences, `nflab and the kernel disagree on ${o.c.name}:\n${o.c.topology}\n${JSON.stringify(o.c.steps)}`).toEqual([]);
    });
  }
});
