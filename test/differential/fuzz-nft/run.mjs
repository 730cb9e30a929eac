#!/usr/bin/env node
// The nft fuzzer's entry point: sets the fuzzer's environment and runs its vitest file.
//   node test/differential/fuzz-nft/run.mjs [--seed S] [--budget N] [--record] [--shrink K] [--no-kernel]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const args = process.argv.slice(2);
const env = { ...process.env };
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--seed') env.NFLAB_FUZZ_NFT_SEED = args[++i];
  else if (a === '--budget' || a === '--fuzz-nft') env.NFLAB_FUZZ_NFT_BUDGET = args[++i];
  else if (a === '--record') env.NFLAB_FUZZ_NFT_RECORD = '1';
  else if (a === '--shrink') env.NFLAB_FUZZ_NFT_SHRINK = args[++i];
  else if (a === '--no-kernel') env.NFLAB_FUZZ_NFT_LIVE = '0';
  else {
    console.error(
      'usage: node test/differential/fuzz-nft/run.mjs [--seed S] [--budget N] [--record] [--shrink K] [--no-kernel]\n' +
        "  --record     ask the kernel and write recorded/seed-S-nN.json.gz and every case's kernel answer\n" +
        '  --shrink K   shrink up to K disagreeing episodes into cases/',
    );
    process.exit(a === '--help' || a === '-h' ? 0 : 2);
  }
}
const r = spawnSync('npx', ['vitest', 'run', 'test/differential/fuzz-nft/fuzz-nft.test.ts'], { cwd: root, env, stdio: 'inherit' });
process.exit(r.status ?? 1);
