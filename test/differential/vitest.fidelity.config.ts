import { defineConfig } from 'vitest/config';

/**
 * `npm run fidelity` only (through fidelity.mjs): the case report, the scenario
 * fuzzer's report when `--fuzz-scenarios` asks for it (and its CI budget's
 * test with `--record`, to record it), and the rule fuzzer's reports
 * (test/differential/fuzz-rules/*.report.ts) when `--fuzz-rules` does.
 */
const only = process.env.NFLAB_FIDELITY_ONLY;
const include: string[] = [];
if (only === undefined || only === 'cases') include.push('test/differential/fidelity.report.ts');
if ((only === undefined || only === 'scenarios') && process.env.NFLAB_FUZZ_SCENARIOS)
  include.push('test/differential/fuzz-scenarios/fuzz.report.ts');
// Re-recording also records the scenario fuzzer's CI budget (its kernel answers are kept like the cases').
if ((only === undefined || only === 'scenarios') && process.env.NFLAB_RECORD === '1')
  include.push('test/differential/fuzz-scenarios/fuzz.test.ts');
// The scenario fuzzer's nft flavour (`--fuzz-scenarios-nft M`); re-recording records its CI budget too.
if ((only === undefined || only === 'scenarios') && process.env.NFLAB_FUZZ_SCENARIOS_NFT)
  include.push('test/differential/fuzz-scenarios/fuzz-nft.report.ts');
if ((only === undefined || only === 'scenarios') && process.env.NFLAB_RECORD === '1')
  include.push('test/differential/fuzz-scenarios/fuzz-nft.test.ts');
if ((only === undefined || only === 'rules') && process.env.NFLAB_FUZZ_RULES) include.push('test/differential/fuzz-rules/**/*.report.ts');

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    passWithNoTests: false,
  },
});
