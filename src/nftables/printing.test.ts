import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyRuleset } from './ast.js';
import { runNft } from './txn.js';
import { printRuleset } from './print.js';

/** Printing questions settled on the kernel: each NAME.nft was loaded with nft 1.0.6 and NAME.kernel is its `nft -a list ruleset`. */
const dir = 'src/nftables/fixtures/printing';

describe('nft -a list ruleset equals the kernel for the printing fixtures', () => {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.nft'))) {
    it(f, () => {
      const rs = emptyRuleset();
      const r = runNft(rs, readFileSync(join(dir, f), 'utf8'));
      expect(r.ok ? '' : JSON.stringify(r.errors)).toBe('');
      expect(printRuleset(rs, { handles: true })).toBe(readFileSync(join(dir, f.replace(/\.nft$/, '.kernel')), 'utf8'));
    });
  }
});
