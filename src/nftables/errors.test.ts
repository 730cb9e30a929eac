import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyRuleset } from './ast.js';
import { formatNftError, runNft } from './txn.js';
import { printRuleset } from './print.js';

/**
 * Refusals settled on the kernel: NAME.kernel holds nft 1.0.6's first error line for
 * `nft -f NAME.nft` (the file name written FILE) and the number of lines `nft list
 * ruleset` printed afterwards (0: the failed transaction changed nothing).
 */
const dir = 'src/nftables/fixtures/errors';

describe('nft refuses what the kernel refuses, with its message and location', () => {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.nft'))) {
    it(f, () => {
      const [line, count] = readFileSync(join(dir, f.replace(/\.nft$/, '.kernel')), 'utf8').split('\n');
      const rs = emptyRuleset();
      const r = runNft(rs, readFileSync(join(dir, f), 'utf8'));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(formatNftError('FILE', r.errors[0])).toBe(line);
      const listed = printRuleset(rs, { handles: false });
      expect(listed === '' ? 0 : listed.split('\n').length - 1).toBe(Number(count));
    });
  }
});
