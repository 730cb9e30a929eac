/**
 * The scenario fuzzer's nft flavour at its CI budget (seed 1, 20 labs with
 * native tables beside iptables rules), compared with the kernel live where
 * namespaces are available (the live answer must match the record too) and
 * with the recorded answers (fuzz-scenarios/recorded-nft/) everywhere else.
 * A scenario listed in known-nft.ts must differ in exactly its listed lines.
 */
import { describe, expect, it } from 'vitest';
import { kernelAvailable } from '../../kernel/harness.js';
import { NFT_CI_SCENARIOS, NFT_CI_SEED, NFT_RECORD_DIR, runScenario } from './fuzz.js';
import { KNOWN_NFT_SCENARIOS } from './known-nft.js';

const k = kernelAvailable();
/** NFLAB_LIVE=0 compares with the records even as root (quick iteration on nflab). */
const live = k.ok && process.env.NFLAB_LIVE !== '0';

describe(`scenario fuzzer, nft: seed ${NFT_CI_SEED}, ${NFT_CI_SCENARIOS} scenarios (${live ? 'live kernel' : `recorded kernel answers${k.ok ? '' : `: ${k.why}`}`})`, () => {
  for (let i = 0; i < NFT_CI_SCENARIOS; i++) {
    const name = `nft-${NFT_CI_SEED}-${i}`;
    it(name, { retry: live ? 1 : 0, timeout: 120_000 }, async () => {
      const o = await runScenario(NFT_CI_SEED, i, live ? 'live' : 'recorded', NFT_RECORD_DIR, { nft: true });
      const known = KNOWN_NFT_SCENARIOS[name]?.differences ?? [];
      const why = `nflab and the kernel disagree on ${name}:\n${o.differences.join('\n')}\n${o.c.topology}\n${JSON.stringify(o.c.steps)}`;
      expect(o.differences, why).toEqual(known);
    });
  }
});

describe('the nft flavour known list', () => {
  it('names only scenarios of the CI budget', () => {
    for (const name of Object.keys(KNOWN_NFT_SCENARIOS)) {
      const m = /^nft-(\d+)-(\d+)$/.exec(name);
      expect(m && Number(m[1]) === NFT_CI_SEED && Number(m[2]) < NFT_CI_SCENARIOS, name).toBeTruthy();
    }
  });
});
