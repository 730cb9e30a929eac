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
