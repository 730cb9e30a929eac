/**
 * The shape of the nft error tests: a table of inputs and the first error
 * line nft 1.0.6 printed for each (null: accepted), every input run on a
 * fresh ruleset after the same setup. Errors are named as nft names a file,
 * `FILE:LINE:COL-COL: Error: ...`.
 */
import { describe, expect, it } from 'vitest';
import { emptyRuleset } from '../ast.js';
import { formatNftError, runNft } from '../txn.js';

/** `nft -f` (or `nft -c -f` with `check`) of `src` after `setup`: the first error, or null. */
export function firstNftError(setup: string, src: string, check: boolean): string | null {
  const rs = emptyRuleset();
  if (setup) expect(runNft(rs, setup).ok).toBe(true);
  const r = runNft(rs, src + '\n', check ? { check: true } : {});
  return r.ok ? null : formatNftError('FILE', r.errors[0]);
}

/** One test per row: nflab's first error is the kernel's. */
export function describeKernelErrors(
  title: string,
  setup: string,
  rows: ReadonlyArray<readonly [string, string | null]>,
  o: { check: boolean },
): void {
  describe(title, () => {
    for (const [src, kernel] of rows) it(src.replace(/\n/g, '⏎'), () => expect(firstNftError(setup, src, o.check)).toBe(kernel));
  });
}
