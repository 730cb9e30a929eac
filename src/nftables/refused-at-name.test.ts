import { describeKernelErrors } from './testing/first-error.js';

/**
 * Where the kernel's "File exists" of a `create` and "Device or resource busy" of a delete point:
 * at the object's name, however the command goes on. Each answer is the first error line of
 * `nft -c -f FILE` (nft 1.0.6, Linux 6.18) in a namespace holding SETUP. Found by the nft fuzzer
 * (test/differential/fuzz-nft/).
 */
const SETUP =
  'add table ip tab; add chain ip tab cha; add chain ip tab base { type filter hook input priority 0; }; add rule ip tab base jump cha; ' +
  'add set ip tab sett { type ipv4_addr; }; add rule ip tab base ip saddr @sett; add table inet xyz\n';

describeKernelErrors(
  'create and busy refusals point at the name',
  SETUP,
  [
    ['create table ip tab', 'FILE:1:17-19: Error: Could not process rule: File exists'],
    ['create table inet xyz { flags dormant; }', 'FILE:1:19-21: Error: Could not process rule: File exists'],
    ['create set ip tab sett { type ipv4_addr; }', 'FILE:1:19-22: Error: Could not process rule: File exists'],
    ['create chain ip tab cha', 'FILE:1:21-23: Error: Could not process rule: File exists'],
    ['create chain ip tab base { type filter hook input priority 0; }', 'FILE:1:21-24: Error: Could not process rule: File exists'],
    ['delete chain ip tab cha', 'FILE:1:21-23: Error: Could not process rule: Device or resource busy'],
    ['delete set ip tab sett', 'FILE:1:19-22: Error: Could not process rule: Device or resource busy'],
  ],
  { check: true },
);
