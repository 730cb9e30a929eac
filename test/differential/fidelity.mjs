#!/usr/bin/env node
/**
 * `npm run fidelity [-- OPTIONS]`: the differential suite against the kernel,
 * and the fuzzers on top of it. Options become environment variables that the
 * vitest files under test/differential read, so each part stays a plain test.
 *
 *   --record              re-record every case's kernel answer (root)
 *   --fuzz-scenarios N    N generated scenarios (test/differential/fuzz-scenarios/)
 *   --fuzz-scenarios-nft N  N generated scenarios with native nft tables (nft-S-I)
 *   --fuzz-rules N        N generated rule commands (test/differential/fuzz-rules/)
 *   --fuzz-nft N          N generated nft transactions (test/differential/fuzz-nft/)
 *   --seed S              the fuzzers' seed
 *   --indices I,J,...     only these scenarios of the seed (to re-check disagreements)
 *   --shrink-out DIR      where shrunk disagreements are written as cases
 *   --only cases|scenarios|rules|nft   run only that part
 *   --case REGEX          only the differential cases whose name matches
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const env = { ...process.env };
const flags = {
  '--record': ['NFLAB_RECORD', false],
  '--fuzz-scenarios': ['NFLAB_FUZZ_SCENARIOS', true],
  '--fuzz-scenarios-nft': ['NFLAB_FUZZ_SCENARIOS_NFT', true],
  '--fuzz-rules': ['NFLAB_FUZZ_RULES', true],
  '--fuzz-nft': ['NFLAB_FUZZ_NFT', true],
  '--seed': ['NFLAB_FUZZ_SEED', true],
  '--indices': ['NFLAB_FUZZ_INDICES', true],
  '--shrink-out': ['NFLAB_SHRINK_OUT', true],
  '--only': ['NFLAB_FIDELITY_ONLY', true],
  '--case': ['NFLAB_CASES', true],
};
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const [flag, inline] = args[i].split('=', 2);
  const f = flags[flag];
  if (f === undefined) {
    console.error(`nflab fidelity: unknown option ${args[i]} (known: ${Object.keys(flags).join(' ')})`);
    process.exit(2);
  }
  const [name, takesValue] = f;
  if (!takesValue) {
    env[name] = '1';
    continue;
  }
  const value = inline ?? args[++i];
  if (value === undefined || value === '') {
    console.error(`nflab fidelity: ${flag} needs a value`);
    process.exit(2);
  }
  env[name] = value;
}
let status = 0;
if (env.NFLAB_FIDELITY_ONLY !== 'rules' && env.NFLAB_FIDELITY_ONLY !== 'nft') {
  const r = spawnSync('npx', ['vitest', 'run', '--config', 'test/differential/vitest.fidelity.config.ts'], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  status = r.status ?? 1;
}
// The rule fuzzer is its own vitest file with its own budget variable (see fuzz-rules/run.mjs).
if (env.NFLAB_FUZZ_RULES !== undefined || env.NFLAB_FIDELITY_ONLY === 'rules') {
  const rulesEnv = { ...env, ...(env.NFLAB_FUZZ_RULES !== undefined ? { NFLAB_FUZZ_BUDGET: env.NFLAB_FUZZ_RULES } : {}) };
  const r = spawnSync('npx', ['vitest', 'run', 'test/differential/fuzz-rules/fuzz-rules.test.ts'], {
    cwd: root,
    env: rulesEnv,
    stdio: 'inherit',
  });
  status = status || (r.status ?? 1);
}
// The nft fuzzer likewise (see fuzz-nft/run.mjs); --seed reaches it as NFLAB_FUZZ_SEED.
if (env.NFLAB_FUZZ_NFT !== undefined || env.NFLAB_FIDELITY_ONLY === 'nft') {
  const nftEnv = {
    ...env,
    ...(env.NFLAB_FUZZ_NFT !== undefined ? { NFLAB_FUZZ_NFT_BUDGET: env.NFLAB_FUZZ_NFT } : {}),
    ...(env.NFLAB_RECORD === '1' ? { NFLAB_FUZZ_NFT_RECORD: '1' } : {}),
  };
  const r = spawnSync('npx', ['vitest', 'run', 'test/differential/fuzz-nft/fuzz-nft.test.ts'], {
    cwd: root,
    env: nftEnv,
    stdio: 'inherit',
  });
  status = status || (r.status ?? 1);
}
process.exit(status);
