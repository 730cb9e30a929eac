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
  'found nft-1-16': {
    reason:
      'an nft nat base chain whose rules only accept needs no conntrack, so the kernel registers none and keeps no entries (as for an iptables nat table with only ACCEPT rules); nflab tracks once the nat chain exists',
    differences: [
      '1 connect client → 10.0.2.1:80/tcp (src 10.0.1.3) at router — conntrack: kernel (none) | nflab tcp TIME_WAIT 10.0.1.3:*>10.0.2.1:80 reply 10.0.2.1:80>10.0.1.3:* [ASSURED]',
      'end at router — conntrack: kernel (none) | nflab tcp TIME_WAIT 10.0.1.3:*>10.0.2.1:80 reply 10.0.2.1:80>10.0.1.3:* [ASSURED]',
    ],
  },
  'found nft-2-6': {
    reason:
      "a RST the stack sends for a closed port is routed by the policy rules: `from 10.0.1.3 lookup 100` with `prohibit default` there gives the client's RST from 10.0.1.3 no route, so the kernel sends none and the connect times out; nflab sends it (refused). Not nft-specific; found by the nft flavour",
    differences: ['1 connect server → 10.0.1.3:81/tcp — result: kernel timeout | nflab refused'],
  },
};
