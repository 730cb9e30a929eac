import { describeKernelErrors } from './testing/first-error.js';

/**
 * What the kernel refuses of a rule whatever its chain: a ct expression (match or set) in the
 * netdev, bridge and arp families, which have no conntrack here ("Protocol error", at the ct
 * expression, or at a whole set statement after the expressions of its value), and a read of
 * `meta nftrace` ("Operation not supported"). Each answer is the first error line of
 * `nft -c -f FILE` (nft 1.0.6, Linux 6.18) in a namespace holding SETUP. Found by the nft fuzzer
 * (test/differential/fuzz-nft/).
 */
const SETUP =
  'add table netdev t; add chain netdev t c; add table bridge t; add chain bridge t c; add table arp t; add chain arp t c; ' +
  'add table ip t; add chain ip t c\n';

describeKernelErrors(
  'ct in families without conntrack, meta nftrace read',
  SETUP,
  [
    ['add rule netdev t c ct mark set 1', 'FILE:1:21-33: Error: Could not process rule: Protocol error'],
    ['add rule netdev t c ct state established', 'FILE:1:21-28: Error: Could not process rule: Protocol error'],
    ['add rule bridge t c ct mark set ct mark & 0xff', 'FILE:1:33-39: Error: Could not process rule: Protocol error'],
    ['add rule arp t c ct mark set meta mark', 'FILE:1:18-38: Error: Could not process rule: Protocol error'],
    ['add rule netdev t c ct original ip saddr 10.0.0.1', 'FILE:1:21-40: Error: Could not process rule: Protocol error'],
    [
      'add rule netdev t c meta mark 1 ct mark set ip saddr map { 10.0.0.1 : 1 } accept',
      'FILE:1:33-73: Error: Could not process rule: Protocol error',
    ],
    ['add rule ip t c ct mark set ct mark & 0xff', null],
    ['add rule ip t c meta nftrace 1', 'FILE:1:17-28: Error: Could not process rule: Operation not supported'],
    ['add rule ip t c meta nftrace set 1 ct state new', null],
    ['add rule netdev t c meta nftrace 1 ct state new', 'FILE:1:21-32: Error: Could not process rule: Operation not supported'],
    ['add rule netdev t c notrack', null],
    ['add rule ip t c ct state new udp dport 53 tcp dport 22', 'FILE:1:43-51: Error: conflicting protocols specified: udp vs. tcp'],
  ],
  { check: true },
);
