import { describeKernelErrors } from './testing/first-error.js';

/**
 * A value compared with `numgen ... mod N [offset O]` must lie in 0 to N + O - 1: nft refuses one
 * beyond it at the value (a range's end, a set's element), as it reads the rule. Each answer is the
 * first error line of `nft -c -f FILE` (nft 1.0.6, Linux 6.18) in a namespace holding SETUP. Found
 * by the nft fuzzer (test/differential/fuzz-nft/).
 */
describeKernelErrors(
  'values compared with numgen',
  'add table ip t; add chain ip t c\n',
  [
    ['add rule ip t c numgen random mod 2 < 5', 'FILE:1:39-39: Error: Value 5 exceeds valid range 0-1'],
    ['add rule ip t c numgen random mod 2 offset 1 < 5', 'FILE:1:48-48: Error: Value 5 exceeds valid range 0-2'],
    ['add rule ip t c numgen inc mod 2 2', 'FILE:1:34-34: Error: Value 2 exceeds valid range 0-1'],
    ['add rule ip t c numgen inc mod 2 1', null],
    ['add rule ip t c numgen inc mod 3 offset 10 13', 'FILE:1:44-45: Error: Value 13 exceeds valid range 0-12'],
    ['add rule ip t c numgen inc mod 3 offset 10 12', null],
    ['add rule ip t c numgen inc mod 2 { 1, 5 }', 'FILE:1:39-39: Error: Value 5 exceeds valid range 0-1'],
    ['add rule ip t c numgen inc mod 2 1-7', 'FILE:1:36-36: Error: Value 7 exceeds valid range 0-1'],
    ['add rule ip t c numgen inc mod 2 5-7', 'FILE:1:34-34: Error: Value 5 exceeds valid range 0-1'],
    ['add rule ip t c numgen inc mod 2 0 - 7', 'FILE:1:38-38: Error: Value 7 exceeds valid range 0-1'],
    ['add rule ip t c numgen inc mod 2 != 3', 'FILE:1:37-37: Error: Value 3 exceeds valid range 0-1'],
    ['add rule ip t c numgen inc mod 2 vmap { 0 : accept, 9 : drop }', null],
  ],
  { check: true },
);

/** A header field's width bounds the values compared with it, and `index N` needs N + 1 rules (same answers' source). */
describeKernelErrors(
  'field widths and rule indexes',
  'add table ip t; add chain ip t c; add rule ip t c accept; add rule ip t c drop; add chain ip t e\n',
  [
    ['add rule ip t c ip dscp 64', 'FILE:1:25-26: Error: Value 64 exceeds valid range 0-63'],
    ['add rule ip t c ip ttl 256', 'FILE:1:24-26: Error: Value 256 exceeds valid range 0-255'],
    ['add rule ip t c ip version 16', 'FILE:1:28-29: Error: Value 16 exceeds valid range 0-15'],
    ['add rule ip t c ip dscp { 1, 70 }', 'FILE:1:30-31: Error: Value 70 exceeds valid range 0-63'],
    ['add rule ip t c ip dscp 63', null],
    ['add rule ip t c tcp window 70000', 'FILE:1:28-32: Error: Value 70000 exceeds valid range 0-65535'],
    ['add rule ip t c index 2 counter', 'FILE:1:17-23: Error: Could not process rule: No such file or directory'],
    ['add rule ip t c index 1 counter', null],
    ['insert rule ip t c index 2 counter', 'FILE:1:20-26: Error: Could not process rule: No such file or directory'],
    ['insert rule ip t c index 1 counter', null],
    ['add rule ip t e index 0 counter', 'FILE:1:17-23: Error: Could not process rule: No such file or directory'],
    ['insert rule ip t e index 0 counter', 'FILE:1:20-26: Error: Could not process rule: No such file or directory'],
  ],
  { check: true },
);
