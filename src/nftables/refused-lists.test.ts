import { describe, expect, it } from 'vitest';
import { emptyRuleset } from './ast.js';
import { formatNftError, runNft } from './txn.js';

/**
 * nft runs a batch's list commands before it sends the batch: when the kernel refuses it, what they
 * listed is still printed; an error nft finds itself stops it before anything is listed. Answers of
 * `nft -f FILE` (nft 1.0.6, Linux 6.18) in a namespace holding SETUP: stdout, then the first error.
 * Found by the nft fuzzer (test/differential/fuzz-nft/).
 */
const SETUP = 'add table ip t; add chain ip t c\n';

function answer(src: string): [string, string | null] {
  const rs = emptyRuleset();
  expect(runNft(rs, SETUP).ok).toBe(true);
  const r = runNft(rs, src + '\n');
  return r.ok ? [r.output, null] : [r.output ?? '', formatNftError('FILE', r.errors[0])];
}

describe('list commands in a refused batch', () => {
  it('print when the kernel refuses the batch', () => {
    expect(answer('list tables\nadd chain ip t d\nlist chain ip t c\nadd rule ip t c jump nowhere')).toEqual([
      'table ip t\ntable ip t {\n\tchain c {\n\t}\n}\n',
      'FILE:4:22-28: Error: Could not process rule: No such file or directory',
    ]);
  });

  it('print nothing when nft finds an error itself', () => {
    expect(answer('list tables\nadd chain ip t d\nadd rule ip t c tcp dport 22 udp dport 1')).toEqual([
      '',
      'FILE:3:30-38: Error: conflicting protocols specified: tcp vs. udp',
    ]);
  });
});
