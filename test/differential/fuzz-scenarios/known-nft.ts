/**
 * Disagreements of the nft flavour's CI budget (seed 1, scenarios nft-1-*)
 * that are open engine bugs or documented differences: the scenario must still
 * differ in exactly these lines, so CI fails on a new disagreement and on a fix
 * (then remove the entry). Measured on Linux 6.18, nft 1.0.6.
 */
import type { KnownDifference } from '../known-differences.js';

export const KNOWN_NFT_SCENARIOS: Record<string, KnownDifference> = {
  'nft-1-16': {
    reason:
      'the kernel tracks connections in a namespace only when a rule needs conntrack; an nft nat base chain whose rules only accept (no dnat/snat/masquerade/redirect, no ct expression) registers no conntrack hooks, so the router keeps no entries (checked: a nat output chain with `counter accept` alone, a TCP connection through lo, `conntrack -L` shows 0 flows). nflab tracks as soon as the nat chain exists. The iptables side already follows the kernel (docs/fidelity.md: a nat table with only ACCEPT rules never tracks). Open',
    differences: [
      '5 connect client → 10.0.2.1:80/tcp (src 10.0.1.3) at router — conntrack: kernel (none) | nflab tcp TIME_WAIT 10.0.1.3:*>10.0.2.1:80 reply 10.0.2.1:80>10.0.1.3:* [ASSURED]',
      '6 send client → 127.0.0.1:54/udp (sport 40351) at router — conntrack: kernel (none) | nflab tcp TIME_WAIT 10.0.1.3:*>10.0.2.1:80 reply 10.0.2.1:80>10.0.1.3:* [ASSURED]',
      'end at router — conntrack: kernel (none) | nflab tcp TIME_WAIT 10.0.1.3:*>10.0.2.1:80 reply 10.0.2.1:80>10.0.1.3:* [ASSURED]',
    ],
  },
};
