import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyRuleset } from './ast.js';
import { runNft } from './txn.js';
import { printRuleset } from './print.js';

const dir = 'test/fixtures/corpus-nft';
const kernel = join(dir, '_kernel-roundtrip');
const files = readdirSync(dir).filter((f) => f.endsWith('.nft'));

/** The add-one file's kernel listing is of the 12-Service ruleset loaded first. */
const loadOrder = (f: string): string[] =>
  f === 'kube-proxy-nftables-add-one-service.nft' ? ['kube-proxy-nftables-12-services.nft', f] : [f];

describe('corpus-nft: nft list ruleset equals the kernel listing', () => {
  it('covers all seven corpus files', () => expect(files.length).toBe(7));
  for (const f of files) {
    it(f, () => {
      const rs = emptyRuleset();
      for (const part of loadOrder(f)) {
        const r = runNft(rs, readFileSync(join(dir, part), 'utf8'));
        expect(r.ok ? '' : JSON.stringify(r.errors)).toBe('');
      }
      const base = f.replace(/\.nft$/, '');
      expect(printRuleset(rs, { handles: false })).toBe(readFileSync(join(kernel, `${base}.listed`), 'utf8'));
      expect(printRuleset(rs, { handles: true })).toBe(readFileSync(join(kernel, `${base}.listed-a`), 'utf8'));
    });
  }
});
