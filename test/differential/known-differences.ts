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
  'found nft-2-6': {
    reason:
      "a RST the stack sends for a closed port is routed by the policy rules: `from 10.0.1.3 lookup 100` with `prohibit default` there gives the client's RST from 10.0.1.3 no route, so the kernel sends none and the connect times out; nflab sends it (refused). Not nft-specific; found by the nft flavour",
    differences: ['1 connect server → 10.0.1.3:81/tcp — result: kernel timeout | nflab refused'],
  },
};
