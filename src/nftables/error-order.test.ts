import { describe, expect, it } from 'vitest';
import { emptyRuleset } from './ast.js';
import { runNft } from './txn.js';
import { describeKernelErrors } from './testing/first-error.js';

/**
 * Which refusals nft finds itself, while it evaluates (and so reports before anything reaches the
 * kernel), and which only the kernel finds when the batch is sent (so that an error nft finds in
 * any later command comes first). Each input was checked with `nft -c -f FILE` (nft 1.0.6, Linux
 * 6.18) in a namespace holding SETUP; the answer is its first error line. The second line of each
 * input is an error nft finds itself. Found by the nft fuzzer (test/differential/fuzz-nft/).
 */
const SETUP = 'add table ip t; add chain ip t c; add set ip t s { type ipv4_addr; }\n';

const CASES: Array<[string, string]> = [
  [
    'add chain ip tt c\nadd rule ip t c meta l4proto 6 udp dport 2',
    'FILE:1:14-15: Error: No such file or directory; did you mean table ‘t’ in family ip?',
  ],
  [
    'add rule ip tt c counter\nadd rule ip t c meta l4proto 6 udp dport 2',
    'FILE:2:32-40: Error: conflicting protocols specified: tcp vs. udp',
  ],
  [
    'add rule ip t cc counter\nadd rule ip t c meta l4proto 6 udp dport 2',
    'FILE:2:32-40: Error: conflicting protocols specified: tcp vs. udp',
  ],
  [
    'delete rule ip t cc handle 3\nadd rule ip t c meta l4proto 6 udp dport 2',
    'FILE:2:32-40: Error: conflicting protocols specified: tcp vs. udp',
  ],
  [
    'add element ip t ss { 1.2.3.4 }\nadd rule ip t c meta l4proto 6 udp dport 2',
    'FILE:1:18-19: Error: No such file or directory; did you mean set ‘s’ in table ip ‘t’?',
  ],
  ['delete chain ip t cc\nadd rule ip t c meta l4proto 6 udp dport 2', 'FILE:2:32-40: Error: conflicting protocols specified: tcp vs. udp'],
  ['flush chain ip t cc\nadd rule ip t c meta l4proto 6 udp dport 2', 'FILE:2:32-40: Error: conflicting protocols specified: tcp vs. udp'],
  ['delete table ip tt\nadd rule ip t c meta l4proto 6 udp dport 2', 'FILE:2:32-40: Error: conflicting protocols specified: tcp vs. udp'],
  [
    'flush set ip t ss\nadd rule ip t c meta l4proto 6 udp dport 2',
    'FILE:1:16-17: Error: No such file or directory; did you mean set ‘s’ in table ip ‘t’?',
  ],
  [
    'list chain ip t cc\nadd rule ip t c meta l4proto 6 udp dport 2',
    'FILE:1:17-18: Error: No such file or directory; did you mean chain ‘c’ in table ip ‘t’?',
  ],
  [
    'add rule ip t c ip saddr @ss\nadd rule ip t c meta l4proto 6 udp dport 2',
    'FILE:1:26-28: Error: No such file or directory; did you mean set ‘s’ in table ip ‘t’?',
  ],
  [
    'add rule ip t c jump cc\nadd rule ip t c meta l4proto 6 udp dport 2',
    'FILE:2:32-40: Error: conflicting protocols specified: tcp vs. udp',
  ],
  [
    'add rule ip t cc index 1 counter\nadd rule ip t c meta l4proto 6 udp dport 2',
    'FILE:1:15-16: Error: No such file or directory; did you mean chain ‘c’ in table ip ‘t’?',
  ],
  [
    'add rule ip t c handle 9 counter\nadd rule ip t c meta l4proto 6 udp dport 2',
    'FILE:1:24-24: Error: Could not process rule: No such file or directory',
  ],
  [
    'replace rule ip t c handle 9 counter\nadd rule ip t c meta l4proto 6 udp dport 2',
    'FILE:2:32-40: Error: conflicting protocols specified: tcp vs. udp',
  ],
  [
    'add rule ip t c position 0 counter\nadd rule ip t c meta l4proto 6 udp dport 2',
    'FILE:2:32-40: Error: conflicting protocols specified: tcp vs. udp',
  ],
  [
    'add rule ip t cc counter\nadd rule ip t c position 5 counter\nadd rule ip t c meta l4proto 6 udp dport 2',
    'FILE:1:15-16: Error: No such file or directory; did you mean chain ‘c’ in table ip ‘t’?',
  ],
  ['flush table ip\nadd rule ip t c meta l4proto 6 udp dport 2', 'FILE:1:15-15: Error: syntax error, unexpected newline, expecting string'],
  [
    'delete table ip\nadd rule ip t c meta l4proto 6 udp dport 2',
    'FILE:1:16-16: Error: syntax error, unexpected newline, expecting handle or string',
  ],
  [
    'delete chain ip t\nadd rule ip t c meta l4proto 6 udp dport 2',
    'FILE:1:18-18: Error: syntax error, unexpected newline, expecting handle or string',
  ],
];

describeKernelErrors('nft reports the errors it finds itself before the kernel refuses anything', SETUP, CASES, { check: true });

describe('handle 0 is no handle', () => {
  it('places an added rule at the end and deletes every rule of the chain (kernel 6.18)', () => {
    const rs = emptyRuleset();
    expect(runNft(rs, 'add table ip t; add chain ip t c; add rule ip t c counter\nadd rule ip t c position 0 drop\n').ok).toBe(true);
    expect(rs.tables[0].chains[0].rules.length).toBe(2);
    expect(runNft(rs, 'replace rule ip t c handle 0 counter\n').ok).toBe(false);
    expect(runNft(rs, 'delete rule ip t c handle 0\n').ok).toBe(true);
    // Measured: `nft list ruleset` then shows the chain empty.
    expect(rs.tables[0].chains[0].rules).toEqual([]);
  });
});

/**
 * What a missing name says: nft's own lookups a plain "No such file or directory", the kernel's
 * "Could not process rule: ..."; rules placed by index or position name that place. Checked with
 * `nft -f FILE` on a namespace holding `table inet nat` and `table ip t` with one rule in chain c.
 */
const MISSING: Array<[string, string]> = [
  ['add element ip6 filter s { 1 }', 'FILE:1:17-22: Error: No such file or directory'],
  ['add set ip6 filter s { type mark; }', 'FILE:1:13-18: Error: No such file or directory'],
  ['add chain ip6 filter c', 'FILE:1:15-20: Error: No such file or directory'],
  ['add rule ip6 filter c counter', 'FILE:1:14-19: Error: Could not process rule: No such file or directory'],
  ['add rule ip6 filter c index 0 counter', 'FILE:1:14-19: Error: No such file or directory'],
  ['list table ip6 filter', 'FILE:1:16-21: Error: No such file or directory'],
  ['flush table ip6 filter', 'FILE:1:17-22: Error: Could not process rule: No such file or directory'],
  ['delete chain ip6 filter c', 'FILE:1:18-23: Error: Could not process rule: No such file or directory'],
  ['flush set ip6 filter s', 'FILE:1:15-20: Error: No such file or directory'],
  ['delete rule ip6 filter c handle 1', 'FILE:1:17-22: Error: Could not process rule: No such file or directory'],
  ['add rule ip t c index 5 counter', 'FILE:1:17-23: Error: Could not process rule: No such file or directory'],
  ['add rule ip t c position 7 counter', 'FILE:1:17-26: Error: Could not process rule: No such file or directory'],
  ['insert rule ip t c handle 7 counter', 'FILE:1:27-27: Error: Could not process rule: No such file or directory'],
];

describeKernelErrors(
  'a missing name is nft’s plain error or the kernel’s',
  'add table inet nat; add table ip t; add chain ip t c; add rule ip t c counter\n',
  MISSING,
  { check: false },
);

/**
 * nft's suggestions after the kernel refused a missing name: none for a flush, the table of a chain
 * close by name for a chain's delete, a set of any table for a set's delete, none for a list. Checked
 * with `nft -f FILE` on a namespace holding SUGGEST_SETUP.
 */
const SUGGEST_SETUP =
  'add table ip nat; add chain ip nat c1; add table bridge fz; add chain bridge fz c1; add set bridge fz sss { type mark; }\n';
const SUGGEST: Array<[string, string]> = [
  ['flush chain ip6 fz c1', 'FILE:1:17-18: Error: Could not process rule: No such file or directory'],
  ['delete chain ip6 fz c1', 'FILE:1:18-19: Error: No such file or directory; did you mean table ‘nat’ in family ip?'],
  ['delete chain ip nat c2', 'FILE:1:21-22: Error: No such file or directory; did you mean chain ‘c1’ in table ip ‘nat’?'],
  ['flush chain ip nat c2', 'FILE:1:20-21: Error: Could not process rule: No such file or directory'],
  ['flush table ip6 fz', 'FILE:1:17-18: Error: Could not process rule: No such file or directory'],
  ['delete table ip6 fz', 'FILE:1:18-19: Error: No such file or directory; did you mean table ‘fz’ in family bridge?'],
  ['delete set ip nat sss', 'FILE:1:19-21: Error: No such file or directory; did you mean set ‘sss’ in table bridge ‘fz’?'],
  ['delete set bridge fz ssss', 'FILE:1:22-25: Error: No such file or directory; did you mean set ‘sss’ in table bridge ‘fz’?'],
  ['list chain ip6 fz c1', 'FILE:1:16-17: Error: No such file or directory'],
  ['add chain ip6 fz c1', 'FILE:1:15-16: Error: No such file or directory; did you mean table ‘fz’ in family bridge?'],
  ['delete table ip fz\nadd chain ip6 fz c', 'FILE:2:15-16: Error: No such file or directory; did you mean table ‘fz’ in family bridge?'],
];

describeKernelErrors('nft suggests a name where it does, from the tables as the transaction made them', SUGGEST_SETUP, SUGGEST, {
  check: false,
});
