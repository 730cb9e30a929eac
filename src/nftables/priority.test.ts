import { describeKernelErrors } from './testing/first-error.js';

/**
 * Chain priorities as nft 1.0.6 reads them: its grammar takes any name (with `+ N` or `- N`), a
 * leading `-` is a token of its own, and its evaluation refuses a name the family or hook lacks
 * over the whole `priority ...`, after every syntax error and after the table lookup. Each answer is
 * the first error line of `nft -c -f FILE` in a namespace holding SETUP (Linux 6.18). Found by the
 * nft fuzzer (test/differential/fuzz-nft/).
 */
const SETUP = 'add table arp t; add table ip t; add table bridge t; add table ip n\n';

describeKernelErrors(
  'priority names, spans and order (nft -c)',
  SETUP,
  [
    [
      'add chain arp t c { type filter hook output priority mangle; }',
      'FILE:1:45-59: Error: invalid priority expression value in this context.',
    ],
    [
      'add chain ip t c { type filter hook input priority dstnat + 5; }',
      'FILE:1:43-61: Error: invalid priority expression value in this context.',
    ],
    [
      'add chain ip t c { type filter hook forward priority bogus - 3; }',
      'FILE:1:45-62: Error: invalid priority expression value in this context.',
    ],
    ['add chain ip t c { type filter hook forward -10; }', 'FILE:1:45-45: Error: syntax error, unexpected -, expecting priority'],
    [
      'add chain bridge t c { type filter hook forward priority out; }',
      'FILE:1:49-60: Error: invalid priority expression value in this context.',
    ],
    [
      'add chain bridge tt c { type filter hook forward priority out; }',
      'FILE:1:18-19: Error: No such file or directory; did you mean table ‘t’ in family arp?',
    ],
    ['add chain ip t c { type filter hook input priority 0x10; }', null],
    [
      'add chain ip t c { type filter hook input priority srcnat - 5; policy return; }',
      "FILE:1:71-76: Error: syntax error, unexpected return, expecting accept or drop or '$'",
    ],
    [
      'add chain ip t c { type filter hook input priority raw; }\nadd chain ip t c { type filter hook input priority dstnat; }',
      'FILE:2:43-57: Error: invalid priority expression value in this context.',
    ],
    [
      'table ip t {\n chain c {\n  type filter hook input priority dstnat; }\n}\ntable ip x {',
      'FILE:6:1-1: Error: syntax error, unexpected end of file',
    ],
    [
      'add chain ip t c { type filter hook input priority dstnat; }\nadd rule ip t c tcp dport',
      'FILE:2:26-26: Error: syntax error, unexpected newline',
    ],
  ],
  { check: true },
);
