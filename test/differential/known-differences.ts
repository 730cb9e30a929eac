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
  'found nft-3-37': {
    reason:
      "the kernel's ip_error (a router's ICMP for a packet it cannot route) draws on the same per-source inetpeer token bucket as icmp_send: with icmp_ratelimit=0 an ICMP the router just sent (here the nft reject of the connect) leaves that bucket empty, and ip_error needs a full second (route.error_cost) of tokens, so the ping's net-unreachable is not sent (measured: again after 1.2 s it is). nflab models neither limit. Not nft-specific (any ICMP error first); found by the nft flavour",
    differences: ['2 ping client → 10.0.2.99 — result: kernel timeout | nflab unreachable'],
  },
};
