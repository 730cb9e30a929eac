import { describeKernelErrors } from './testing/first-error.js';

/**
 * Base chains as nft 1.0.6 and the kernel (Linux 6.18) check them: what `add chain` may change on a
 * chain that exists, chain types by family and hook, and hooks by family. Each input was checked
 * with `nft -c -f FILE` in a namespace holding SETUP; the answer is its first error line (null:
 * accepted). Found by the nft fuzzer (test/differential/fuzz-nft/).
 */
const SETUP =
  'add table inet t; add chain inet t r; add chain inet t b { type filter hook input priority 0; }; add table ip t; add table arp t; add table bridge t; add table netdev t\n';

const CASES: Array<[string, string | null]> = [
  ['add chain inet t r { type filter hook input priority 0; }', 'FILE:1:18-18: Error: Could not process rule: File exists'],
  ['add chain inet t b { type filter hook input priority 1; }', 'FILE:1:1-58: Error: Could not process rule: Operation not supported'],
  ['add chain inet t b { type filter hook output priority 0; }', 'FILE:1:1-59: Error: Could not process rule: Operation not supported'],
  ['add chain inet t b { type nat hook input priority 0; }', 'FILE:1:18-18: Error: Could not process rule: File exists'],
  ['add chain inet t b { type filter hook input priority 0; policy drop; }', null],
  ['add chain inet t r { policy drop; }', 'FILE:1:22-32: Error: Could not process rule: Operation not supported'],
  [
    'add chain inet t r { type filter hook input priority 0; policy drop; }',
    'FILE:1:57-67: Error: Could not process rule: Operation not supported',
  ],
  ['table inet t {\n\tchain r {\n\t\ttype filter hook input priority 0;\n\t}\n}', 'FILE:2:8-8: Error: Could not process rule: File exists'],
  [
    'table inet t {\n\tchain b {\n\t\ttype filter hook input priority 5;\n\t}\n}',
    'FILE:2:8-8: Error: Could not process rule: Operation not supported',
  ],
  ['add chain ip t a { type route hook forward priority 0; }', 'FILE:1:1-57: Error: Could not process rule: Operation not supported'],
  ['add chain ip t a { type nat hook forward priority 0; }', 'FILE:1:1-55: Error: Could not process rule: Operation not supported'],
  ['add chain arp t a { type filter hook forward priority 0; }', 'FILE:1:1-59: Error: Could not process rule: Operation not supported'],
  ['add chain bridge t a { type nat hook input priority 0; }', 'FILE:1:29-31: Error: Could not process rule: No such file or directory'],
  ['add chain ip t a { type filter hook ingress priority 0; }', 'FILE:1:37-43: Error: The ip family does not support this hook'],
  ['add chain arp t a { type filter hook prerouting priority 0; }', 'FILE:1:38-47: Error: The arp family does not support this hook'],
  [
    'table ip t {\n\tchain rr {\n\t\ttype route hook input priority 0;\n\t}\n}',
    'FILE:2:8-9: Error: Could not process rule: Operation not supported',
  ],
  [
    'table bridge t {\n\tchain nn {\n\t\ttype nat hook input priority 0;\n\t}\n}',
    'FILE:3:8-10: Error: No such file or directory; did you mean chain ‘nn’ in table bridge ‘t’?',
  ],
];

describeKernelErrors('base chains are checked as nft and the kernel check them', SETUP, CASES, { check: true });
