import { describeKernelErrors } from './testing/first-error.js';

/**
 * Deleting an element that is not there: nft checks an interval set itself ("element does not
 * exist"), the kernel a hashed set or map; both point at the element (a map element with its
 * timeout and comment). Each input was checked with `nft -c -f FILE` (nft 1.0.6, Linux 6.18) in a
 * namespace holding SETUP. Found by the nft fuzzer (test/differential/fuzz-nft/).
 */
const SETUP =
  'add table ip t; add set ip t h { type inet_service; flags timeout; elements = { 1 }; }; add set ip t i { type inet_service; flags interval; elements = { 1 }; }; add map ip t m { type inet_service : verdict; flags timeout; elements = { 1 : drop }; }\n';

const CASES: Array<[string, string]> = [
  ['delete element ip t h { 2 }', 'FILE:1:25-25: Error: Could not process rule: No such file or directory'],
  ['delete element ip t i { 2 }', 'FILE:1:25-25: Error: element does not exist'],
  ['delete element ip t h { 1, 2 }', 'FILE:1:28-28: Error: Could not process rule: No such file or directory'],
  ['delete element ip t i { 1, 5-6 }', 'FILE:1:28-30: Error: element does not exist'],
  ['delete element ip t h { 2 timeout 1h comment "x" }', 'FILE:1:25-25: Error: Could not process rule: No such file or directory'],
  ['delete element ip t m { 2 timeout 1h comment "x" : drop }', 'FILE:1:25-48: Error: Could not process rule: No such file or directory'],
  ['delete element ip t m { 2 : drop }', 'FILE:1:25-25: Error: Could not process rule: No such file or directory'],
];

describeKernelErrors('a missing element is refused where nft and the kernel refuse it', SETUP, CASES, { check: true });

/**
 * A rule the same batch flushed or deleted: the kernel still has it until the commit, and refuses
 * deleting it again at the whole command (answers of `nft -f FILE`, nft 1.0.6, Linux 6.18).
 */
describeKernelErrors(
  'deleting a rule the batch already removed',
  'add table inet nat; add chain inet nat c1; add rule inet nat c1 accept; add rule inet nat c1 drop\n',
  [
    ['flush table inet nat; delete rule inet nat c1 handle 2', 'FILE:1:23-55: Error: Could not process rule: No such file or directory'],
    [
      'flush chain inet nat c1; delete rule inet nat c1 handle 3; add table inet nat',
      'FILE:1:26-58: Error: Could not process rule: No such file or directory',
    ],
    [
      'delete rule inet nat c1 handle 2\ndelete rule inet nat c1 handle 2',
      'FILE:2:1-33: Error: Could not process rule: No such file or directory',
    ],
    [
      'delete rule inet nat c1 handle 0; delete rule inet nat c1 handle 2',
      'FILE:1:35-67: Error: Could not process rule: No such file or directory',
    ],
    ['delete rule inet nat c1 handle 9', 'FILE:1:32-32: Error: Could not process rule: No such file or directory'],
  ],
  { check: false },
);

/** An element the kernel refuses as already there is named itself (answers of `nft -c -f FILE`, nft 1.0.6, Linux 6.18). */
describeKernelErrors(
  'File exists at the element',
  'add table ip t; add map ip t m { type inet_service : mark; elements = { 22 : 1 }; }; add set ip t s { type inet_service; elements = { 80 }; }\n',
  [
    ['create element ip t m { 53 : 2, 22 : 3 }', 'FILE:1:33-34: Error: Could not process rule: File exists'],
    ['add element ip t m { 53 : 2, 22 : 3 }', 'FILE:1:30-31: Error: Could not process rule: File exists'],
    ['add element ip t m { 22 : 1, 53 : 2 }', null],
    ['create element ip t s { 443, 80 }', 'FILE:1:30-31: Error: Could not process rule: File exists'],
    [
      'table ip t {\n\tmap n {\n\t\ttype inet_service : mark\n\t\telements = { 22 : 0x1, ssh : 0xffffffff }\n\t}\n}',
      'FILE:4:26-28: Error: Could not process rule: File exists',
    ],
  ],
  { check: true },
);

/** nft sends an interval set's elements in key order: the kernel refuses the first existing one in that order. */
describeKernelErrors(
  'File exists in an interval set',
  'add table bridge nat; add set bridge nat allowed { type ifname; flags interval; elements = { "br-1", "eth0", "lo" }; }; add set bridge nat h { type ifname; elements = { "br-1", "eth0" }; }\n',
  [
    ['create element bridge nat allowed { "eth0", "br-1" }', 'FILE:1:45-50: Error: Could not process rule: File exists'],
    ['create element bridge nat h { "eth0", "br-1" }', 'FILE:1:31-36: Error: Could not process rule: File exists'],
    ['create element bridge nat allowed { "zz", "eth0" }', 'FILE:1:43-48: Error: Could not process rule: File exists'],
  ],
  { check: true },
);
