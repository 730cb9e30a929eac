import { describeKernelErrors } from './testing/first-error.js';

/**
 * What the kernel (Linux 6.18) refuses once it sees a set or rule beside what exists: a set added
 * again with another type, flags or timeout (size and comment may differ); a jump to a base chain;
 * a `fib` lookup on a hook without the interface it needs; `numgen ... mod 0`. Each input was checked
 * with `nft -c -f FILE` (nft 1.0.6) in a namespace holding SETUP; the answer is its first error line
 * (null: accepted). Found by the nft fuzzer (test/differential/fuzz-nft/).
 */
const SETUP =
  'add table ip t; add set ip t s { type mark; }; add set ip t i { type mark; flags interval; }; add map ip t m { type mark : mark; }; add chain ip t b { type filter hook input priority 0; }; add chain ip t o { type filter hook output priority 0; }; add chain ip t c\n';

const CASES: Array<[string, string | null]> = [
  ['add set ip t s { type mark; size 10; comment "x"; }', null],
  ['add set ip t s { type ipv4_addr; }', 'FILE:1:14-14: Error: Could not process rule: File exists'],
  ['add set ip t s { type mark; flags timeout; }', 'FILE:1:14-14: Error: Could not process rule: File exists'],
  ['add set ip t i { type mark; }', 'FILE:1:14-14: Error: Could not process rule: File exists'],
  ['add map ip t s { type mark : mark; }', 'FILE:1:14-14: Error: Could not process rule: File exists'],
  ['add map ip t m { type mark : ipv4_addr; }', 'FILE:1:14-14: Error: Could not process rule: File exists'],
  ['add set ip t s { type mark; timeout 1m; }', 'FILE:1:14-14: Error: Could not process rule: File exists'],
  ['table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t}\n}', 'FILE:2:6-6: Error: Could not process rule: File exists'],
  ['add rule ip t c goto b', 'FILE:1:22-22: Error: Could not process rule: Operation not supported'],
  ['add rule ip t c jump b', 'FILE:1:22-22: Error: Could not process rule: Operation not supported'],
  ['add rule ip t o fib saddr . iif oif 0', 'FILE:1:1-38: Error: Could not process rule: Operation not supported'],
  ['add rule ip t o fib daddr type local', null],
  ['add rule ip t o fib daddr . iif type local', 'FILE:1:1-43: Error: Could not process rule: Operation not supported'],
  ['add rule ip t b fib daddr . oif type local', 'FILE:1:1-43: Error: Could not process rule: Operation not supported'],
  ['add rule ip t c fib saddr . iif oif 0', null],
  ['add rule ip t c numgen inc mod 0 offset 1 < 5', 'FILE:1:17-41: Error: Could not process rule: Numerical result out of range'],
];

describeKernelErrors('the kernel refuses a set or rule for what exists beside it', SETUP, CASES, { check: true });

/** A reject: no postrouting chain takes one; the bridge family has none here (Linux 6.18). */
describeKernelErrors(
  'the kernel refuses a reject where it has none',
  'add table ip t; add chain ip t p { type filter hook postrouting priority 0; }; add chain ip t i { type filter hook input priority 0; }; ' +
    'add table inet u; add chain inet u p { type filter hook postrouting priority 0; }; add table bridge b; add chain bridge b c\n',
  [
    ['add rule ip t p reject', 'FILE:1:1-23: Error: Could not process rule: Operation not supported'],
    ['add rule ip t p tcp dport 22 reject with tcp reset', 'FILE:1:1-51: Error: Could not process rule: Operation not supported'],
    ['add rule ip t i reject', null],
    [
      'add rule inet u p meta l4proto != 17 icmp type != echo-request log reject',
      'FILE:1:1-74: Error: Could not process rule: Operation not supported',
    ],
    ['add rule bridge b c reject', 'FILE:1:21-26: Error: Could not process rule: No such file or directory'],
    [
      'add rule bridge b c reject with icmp type host-unreachable',
      'FILE:1:21-26: Error: Could not process rule: No such file or directory',
    ],
  ],
  { check: true },
);

/**
 * NAT statements: only in a nat chain, each on its hooks (masquerade: postrouting; snat:
 * postrouting, input; dnat and redirect: prerouting, output), else refused at the whole rule.
 */
describeKernelErrors(
  'the kernel takes NAT only in nat chains on their hooks',
  'add table ip t; add chain ip t pre { type nat hook prerouting priority 0; }; add chain ip t in { type nat hook input priority 0; }; ' +
    'add chain ip t post { type nat hook postrouting priority 0; }; add chain ip t f { type filter hook prerouting priority 0; }; ' +
    'add table inet u; add chain inet u out { type nat hook output priority 0; }\n',
  [
    ['add rule ip t post masquerade', null],
    ['add rule ip t pre masquerade', 'FILE:1:1-29: Error: Could not process rule: Operation not supported'],
    ['add rule ip t in snat to 1.2.3.4', null],
    ['add rule ip t pre snat to 1.2.3.4', 'FILE:1:1-34: Error: Could not process rule: Operation not supported'],
    ['add rule ip t pre dnat to 1.2.3.4', null],
    ['add rule ip t in dnat to 1.2.3.4', 'FILE:1:1-33: Error: Could not process rule: Operation not supported'],
    ['add rule ip t pre redirect', null],
    ['add rule ip t post redirect', 'FILE:1:1-28: Error: Could not process rule: Operation not supported'],
    ['add rule ip t f dnat to 1.2.3.4', 'FILE:1:1-32: Error: Could not process rule: Operation not supported'],
    ['add rule inet u out masquerade', 'FILE:1:1-31: Error: Could not process rule: Operation not supported'],
    ['add rule inet u out meta iifname != "br-1" dnat ip to 10.0.0.2-10.0.0.4', null],
  ],
  { check: true },
);

/** The kernel validates a base chain's hooks last: any other refusal in the batch is reported instead. */
describeKernelErrors(
  'hook validation comes after the kernel refusals of the batch',
  'add table ip t; add chain ip t p { type filter hook postrouting priority 0; }; add chain ip t n { type nat hook prerouting priority 0; }; ' +
    'add chain ip t o { type filter hook output priority 0; }; add chain ip t c\n',
  [
    ['add rule ip t p reject\nadd rule ip t c jump nowhere', 'FILE:2:22-28: Error: Could not process rule: No such file or directory'],
    ['add rule ip t n masquerade\nadd rule ip t c jump nowhere', 'FILE:2:22-28: Error: Could not process rule: No such file or directory'],
    [
      'add rule ip t o fib saddr . iif oif 0\nadd rule ip t c jump nowhere',
      'FILE:2:22-28: Error: Could not process rule: No such file or directory',
    ],
    [
      'add rule ip t p reject\nadd rule ip t c numgen inc mod 0 1',
      'FILE:2:17-32: Error: Could not process rule: Numerical result out of range',
    ],
    ['add rule ip t c jump nowhere\nadd rule ip t p reject', 'FILE:1:22-28: Error: Could not process rule: No such file or directory'],
    ['add rule ip t p reject\nadd chain ip t c', 'FILE:1:1-23: Error: Could not process rule: Operation not supported'],
  ],
  { check: true },
);
