import { describeKernelErrors } from './testing/first-error.js';

/**
 * A rule's statement that starts with a word nft's scanner does not know (`tpc`, `bogus`) or a
 * quoted string: nft's grammar reads a symbol compared with a value, so its syntax errors come where
 * that reading ends, and a rule that reads is refused by its evaluation at the symbol ("No symbol
 * type information"). Each answer is the first error line of `nft -c -f FILE` (nft 1.0.6, Linux
 * 6.18) in a namespace holding SETUP. Found by the nft fuzzer (test/differential/fuzz-nft/).
 */
describeKernelErrors(
  'statements of an unknown word',
  'add table ip t; add chain ip t c\n',
  [
    ['add rule ip t c bogus', 'FILE:1:22-22: Error: syntax error, unexpected newline'],
    ['add rule ip t c bogus state', 'FILE:1:17-21: Error: No symbol type information'],
    ['add rule ip t c bogus state accept', 'FILE:1:17-21: Error: No symbol type information'],
    ['add rule ip t c bogus drop', 'FILE:1:23-26: Error: syntax error, unexpected drop'],
    ['add rule ip t c bogus state != x', 'FILE:1:29-30: Error: syntax error, unexpected !=, expecting end of file or newline or semicolon'],
    ['add rule ip t c bogus 5 burst', 'FILE:1:30-30: Error: syntax error, unexpected newline'],
    [
      'add rule ip t c bogus state hook',
      'FILE:1:29-32: Error: syntax error, unexpected hook, expecting end of file or newline or semicolon',
    ],
    ['add rule ip t c bogus != 5', 'FILE:1:17-21: Error: No symbol type information'],
    ['add rule ip t c bogus 5 counter', 'FILE:1:17-21: Error: No symbol type information'],
    ['add rule ip t c tcp dport 22 bogus state', 'FILE:1:30-34: Error: No symbol type information'],
    ['add rule ip t c bogus state, new', 'FILE:1:17-21: Error: No symbol type information'],
    ['add rule ip t c bogus "x"', 'FILE:1:17-21: Error: No symbol type information'],
    ['add rule ip t c "x" fib', 'FILE:1:21-23: Error: syntax error, unexpected fib'],
    [
      'table ip t {\n\tchain c {\n\t\ttpc filter hook postrouting priority srcnat;\n\t}\n}',
      'FILE:3:14-17: Error: syntax error, unexpected hook, expecting newline or semicolon',
    ],
  ],
  { check: true },
);

/** Unfinished blocks end plainly; a jump's target is an identifier or an anonymous chain's `{`; protocol names are values. */
describeKernelErrors(
  'unfinished blocks, jump targets, protocol names as values',
  'add table inet t; add chain inet t c\n',
  [
    ['add chain inet t d { type filter hook prerouting priority dstnat', 'FILE:2:1-1: Error: syntax error, unexpected end of file'],
    ['add chain inet t d {', 'FILE:2:1-1: Error: syntax error, unexpected end of file'],
    ['add chain inet t d { type filter hook input priority 0;', 'FILE:2:1-1: Error: syntax error, unexpected end of file'],
    ['add table inet u {', 'FILE:2:1-1: Error: syntax error, unexpected end of file'],
    ['add rule inet t c jump 99999', "FILE:1:24-28: Error: syntax error, unexpected number, expecting '{'"],
    ['add rule inet t c goto 5', "FILE:1:24-24: Error: syntax error, unexpected number, expecting '{'"],
    ['add rule inet t c jump "c"', "FILE:1:24-26: Error: syntax error, unexpected quoted string, expecting '{'"],
    ['add rule inet t c l4proto tcp accept', 'FILE:1:19-25: Error: No symbol type information'],
    ['add rule inet t c bogus udp', 'FILE:1:19-23: Error: No symbol type information'],
    ['add rule inet t c bogus icmp', 'FILE:1:19-23: Error: No symbol type information'],
  ],
  { check: true },
);
