import { describe, expect, it } from 'vitest';
import { emptyRuleset } from './ast.js';
import { formatNftError, runNft } from './txn.js';

/**
 * nft resolves `iif|oif NAME` (and elements of an `iface_index` set) to the namespace's interface
 * index while it evaluates the rule, in statement order and before the table lookup; a number is
 * taken as an index. Each answer is the first error line of `nft -c -f FILE` (nft 1.0.6, Linux 6.18)
 * in a fresh namespace (only `lo`) holding SETUP. Found by the nft fuzzer (test/differential/fuzz-nft/).
 */
const SETUP = 'add table ip t; add chain ip t c; add set ip t s { type iface_index; }\n';

const CASES: Array<[string, string | null]> = [
  ['add rule ip t c iif "lo" accept', null],
  ['add rule ip t c meta iif "nosuchif" accept', 'FILE:1:26-35: Error: Interface does not exist'],
  ['add rule ip t c oif nosuch accept', 'FILE:1:21-26: Error: Interface does not exist'],
  ['add rule ip t c iif { "lo", "eth0" } accept', 'FILE:1:29-34: Error: Interface does not exist'],
  ['add rule ip t c oif 7 accept', null],
  ['add element ip t s { "lo", "eth9" }', 'FILE:1:28-33: Error: Interface does not exist'],
  ['add rule ip t c iif "eth0" tcp dport 22 udp dport 53', 'FILE:1:21-26: Error: Interface does not exist'],
  ['add rule ip t c tcp dport 22 udp dport 53 iif "eth0"', 'FILE:1:30-38: Error: conflicting protocols specified: tcp vs. udp'],
  ['add rule ip tt c iif "eth0"', 'FILE:1:22-27: Error: Interface does not exist'],
  ['add rule ip t c iifname "eth0" accept', null],
  ['add rule ip t c iif != "eth0" accept', 'FILE:1:24-29: Error: Interface does not exist'],
];

function firstError(src: string, ifaces?: ReadonlySet<string>): string | null {
  const rs = emptyRuleset();
  expect(runNft(rs, SETUP).ok).toBe(true);
  const r = runNft(rs, src + '\n', { check: true, ifaces });
  return r.ok ? null : formatNftError('FILE', r.errors[0]);
}

describe('nft looks interfaces up in the namespace', () => {
  for (const [src, kernel] of CASES) it(src, () => expect(firstError(src, new Set(['lo']))).toBe(kernel));

  it('takes any name where the namespace is not known (a ruleset checked on its own)', () => {
    expect(firstError('add rule ip t c iif "eth0" accept')).toBeNull();
  });
});
