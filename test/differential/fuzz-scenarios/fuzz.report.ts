/**
 * `npm run fidelity -- --fuzz-scenarios M [--seed S] [--shrink-out DIR]`:
 * M generated scenarios on nflab and the live kernel. Each disagreement is
 * printed, shrunk and written out as a case (test/differential/found/ unless
 * --shrink-out says otherwise; NFLAB_SHRINK=0 skips shrinking). Without root
 * only the CI budget can be compared, against its recorded answers.
 */
import { CI_SCENARIOS, CI_SEED, FUZZ_RECORD_DIR } from './fuzz.js';
import { reportSuite } from './report-suite.js';

reportSuite({
  label: 'scenario fuzzer',
  prefix: 'fuzz',
  count: Number(process.env.NFLAB_FUZZ_SCENARIOS ?? CI_SCENARIOS),
  seed: Number(process.env.NFLAB_FUZZ_SEED ?? CI_SEED),
  ci: { seed: CI_SEED, scenarios: CI_SCENARIOS, dir: FUZZ_RECORD_DIR },
  gen: {},
});
