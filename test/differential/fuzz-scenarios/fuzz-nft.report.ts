/**
 * `npm run fidelity -- --fuzz-scenarios-nft M [--seed S] [--shrink-out DIR]`:
 * M generated labs with native nftables tables (the nft flavour, scenarios
 * `nft-S-I`) on nflab and the live kernel; results, native and iptables trace
 * steps, conntrack, counters and the native listing are compared. Disagreements
 * are shrunk and written out as cases, except those known-nft.ts lists exactly.
 */
import { NFT_CI_SCENARIOS, NFT_CI_SEED, NFT_RECORD_DIR } from './fuzz.js';
import { KNOWN_NFT_SCENARIOS } from './known-nft.js';
import { reportSuite } from './report-suite.js';

reportSuite({
  label: 'scenario fuzzer (nft)',
  prefix: 'nft',
  count: Number(process.env.NFLAB_FUZZ_SCENARIOS_NFT ?? NFT_CI_SCENARIOS),
  seed: Number(process.env.NFLAB_FUZZ_SEED ?? NFT_CI_SEED),
  ci: { seed: NFT_CI_SEED, scenarios: NFT_CI_SCENARIOS, dir: NFT_RECORD_DIR },
  gen: { nft: true },
  known: KNOWN_NFT_SCENARIOS,
});
