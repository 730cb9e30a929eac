import { describeKernelErrors } from './testing/first-error.js';

/**
 * The order in which a rule is checked: nft evaluates its statements (finding a named set, and
 * its table, itself), then places it by its cache (`position`, `index`, `handle`), and only then does
 * the kernel look for its table, chain and jump targets. Each answer is the first error line of
 * `nft -c -f FILE` (nft 1.0.6, Linux 6.18) in a namespace holding SETUP. Found by the nft fuzzer
 * (test/differential/fuzz-nft/).
 */
describeKernelErrors(
  'set references, placement, then the kernel',
  'add table ip t; add chain ip t c; add rule ip t c accept; add table ip nut\n',
  [
    ['add rule ip nat c tcp dport vmap @ports', 'FILE:1:13-15: Error: No such file or directory; did you mean table ‘nut’ in family ip?'],
    ['add rule ip nat c ip saddr @s accept', 'FILE:1:13-15: Error: No such file or directory; did you mean table ‘nut’ in family ip?'],
    [
      'add rule ip nat c meta mark set ip saddr map @m',
      'FILE:1:13-15: Error: No such file or directory; did you mean table ‘nut’ in family ip?',
    ],
    ['add rule ip t c ip saddr @nope', 'FILE:1:26-30: Error: No such file or directory'],
    ['add rule ip t cc ip saddr @nope', 'FILE:1:27-31: Error: No such file or directory'],
    ['insert rule ip t c position 9 jump nowhere', 'FILE:1:20-29: Error: Could not process rule: No such file or directory'],
    ['add rule ip t c handle 9 jump nowhere', 'FILE:1:24-24: Error: Could not process rule: No such file or directory'],
    ['add rule ip t c index 5 jump nowhere', 'FILE:1:17-23: Error: Could not process rule: No such file or directory'],
    ['insert rule ip t c position 9 ip saddr @nope', 'FILE:1:40-44: Error: No such file or directory'],
    ['add rule ip nat c counter', 'FILE:1:13-15: Error: Could not process rule: No such file or directory'],
  ],
  { check: true },
);
