import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emptyRuleset } from '../nftables/ast.js';
import { printRuleset } from '../nftables/print.js';
import { runNft } from '../nftables/txn.js';
import { addOneService, deleteOneService, kubeProxyNftRules } from './kube-proxy-nft-gen.js';

const corpus = (f: string): string => readFileSync(`test/fixtures/corpus-nft/${f}`, 'utf8');

describe('kube-proxy nftables generator writes what kube-proxy writes', () => {
  it('12 Services: the corpus file byte for byte', () =>
    expect(kubeProxyNftRules(12).text).toBe(corpus('kube-proxy-nftables-12-services.nft')));
  it('300 Services: the corpus file byte for byte', () =>
    expect(kubeProxyNftRules(300).text).toBe(corpus('kube-proxy-nftables-300-services.nft')));
  it('the partial sync adding Service 13: the corpus file byte for byte', () =>
    expect(addOneService(12)).toBe(corpus('kube-proxy-nftables-add-one-service.nft')));
  it('deleting the added Service again lists as the 12-Service ruleset (handles aside)', () => {
    const rs = emptyRuleset();
    for (const t of [kubeProxyNftRules(12).text, addOneService(12), deleteOneService(12, 13)]) {
      const r = runNft(rs, t);
      expect(r.ok ? '' : JSON.stringify(r.errors)).toBe('');
    }
    expect(printRuleset(rs, { handles: false })).toBe(
      readFileSync('test/fixtures/corpus-nft/_kernel-roundtrip/kube-proxy-nftables-12-services.listed', 'utf8'),
    );
  });
});
