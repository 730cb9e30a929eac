/**
 * Cases where nflab is known to differ from the kernel, each with its reason
 * and the exact difference lines the suite prints. A case listed here must
 * still differ in exactly this way: when nflab is fixed, remove its entry.
 * Measured on Linux 6.18, iptables 1.8.9 (nf_tables).
 */

export interface KnownDifference {
  reason: string;
  differences: string[];
}

export const KNOWN_DIFFERENCES: Record<string, KnownDifference> = {
  // Found by the scenario fuzzer's nft flavour (fuzz-scenarios/known-nft.ts lists the unshrunk scenarios). Open engine bugs.
  'found nft-1-0': {
    reason:
      'in an inet table, nft 1.0.6 lists a bare `reject` after an IPv4-only match (`ip saddr`, `icmp type`, `meta nfproto ipv4`) as `reject with icmp port-unreachable`; nflab prints `reject`. Only the listing differs',
    differences: [
      'end at client (nft) — rules: kernel line 4: \t\ticmp type echo-request reject with icmp port-unreachable # handle 2 | nflab line 4: \t\ticmp type echo-request reject # handle 2',
    ],
  },
  'found nft-1-16': {
    reason:
      'an nft nat base chain whose rules only accept needs no conntrack, so the kernel registers none and keeps no entries (as for an iptables nat table with only ACCEPT rules); nflab tracks once the nat chain exists',
    differences: [
      '1 connect client → 10.0.2.1:80/tcp (src 10.0.1.3) at router — conntrack: kernel (none) | nflab tcp TIME_WAIT 10.0.1.3:*>10.0.2.1:80 reply 10.0.2.1:80>10.0.1.3:* [ASSURED]',
      'end at router — conntrack: kernel (none) | nflab tcp TIME_WAIT 10.0.1.3:*>10.0.2.1:80 reply 10.0.2.1:80>10.0.1.3:* [ASSURED]',
    ],
  },
};
