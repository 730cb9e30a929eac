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
  'nft reject variants': {
    reason:
      'in an inet table, nft 1.0.6 adds and lists the dependency `meta nfproto ipv4` in front of `reject with icmp type X` (an ICMPv4 reject needs an IPv4 packet); nflab neither adds nor prints it. Results, verdicts, handles and counters agree',
    differences: [
      '3 connect client → 10.0.0.2:83/tcp at server — trace: kernel INPUT inet rej input rule meta nfproto ipv4 tcp dport 83 counter reject with icmp host-unreachable # handle 4 (verdict drop) | nflab INPUT inet rej input rule tcp dport 83 counter reject with icmp host-unreachable # handle 4 (verdict drop)',
      '7 send client → 10.0.0.2:55/udp at server — trace: kernel INPUT inet rej input rule meta nfproto ipv4 udp dport 55 counter reject with icmp net-prohibited # handle 7 (verdict drop) | nflab INPUT inet rej input rule udp dport 55 counter reject with icmp net-prohibited # handle 7 (verdict drop)',
      'end at server (nft) — rules: kernel line 6: \t\tmeta nfproto ipv4 tcp dport 83 counter packets 0 bytes 0 reject with icmp host-unreachable # handle 4 | nflab line 6: \t\ttcp dport 83 counter packets 0 bytes 0 reject with icmp host-unreachable # handle 4',
    ],
  },
  'nft commands change the rules between probes': {
    reason:
      "`nft -c add rule` spends a rule handle on the kernel (the checked batch allocates it, then is aborted), so the next rule added gets the handle after; nflab's check spends none. The rule, its verdict and its counter agree, under another handle",
    differences: [
      '10 send client → 10.0.0.2:53/udp at server — trace: kernel INPUT inet fw input rule udp dport 53 counter reject # handle 5 (verdict drop) | nflab INPUT inet fw input rule udp dport 53 counter reject # handle 4 (verdict drop)',
      '10 send client → 10.0.0.2:53/udp at server — counters: kernel nft inet fw input#5 +1:34 | nflab nft inet fw input#4 +1:34',
    ],
  },
  'nft numgen inc keeps counting across a rule change': {
    reason:
      "nflab's `numgen inc` counter restarts at 0 whenever the ruleset changes (eval.ts compiles the counter into a fresh closure on every change), while the kernel's lives with its rule: after an unrelated `nft add element`, the kernel goes on to the next endpoint and nflab starts again at the first. Results agree; which backend answers does not",
    differences: [
      '3 connect client → 172.30.0.12:80/tcp at router — trace: kernel PREROUTING ip lb prerouting rule ip daddr 172.30.0.12 tcp dport 80 numgen inc mod 2 vmap { 0 : goto ep1, 1 : goto ep2 } # handle 6 (verdict goto ep2) ; PREROUTING ip lb ep2 rule meta l4proto tcp counter dnat to 10.0.2.3:80 # handle 8 (verdict accept) | nflab PREROUTING ip lb prerouting rule ip daddr 172.30.0.12 tcp dport 80 numgen inc mod 2 vmap { 0 : goto ep1, 1 : goto ep2 } # handle 6 (verdict goto ep1) ; PREROUTING ip lb ep1 rule meta l4proto tcp counter dnat to 10.0.2.2:8080 # handle 7 (verdict accept)',
      '3 connect client → 172.30.0.12:80/tcp at router — counters: kernel nft-nat ip lb ep2#8 +1:60 | nflab nft-nat ip lb ep1#7 +1:60',
      '3 connect client → 172.30.0.12:80/tcp at router — conntrack: kernel tcp TIME_WAIT 10.0.1.2:*>172.30.0.12:80 reply 10.0.2.2:8080>10.0.1.2:* [ASSURED] ; tcp TIME_WAIT 10.0.1.2:*>172.30.0.12:80 reply 10.0.2.3:80>10.0.1.2:* [ASSURED] | nflab tcp TIME_WAIT 10.0.1.2:*>172.30.0.12:80 reply 10.0.2.2:8080>10.0.1.2:* [ASSURED] ; tcp TIME_WAIT 10.0.1.2:*>172.30.0.12:80 reply 10.0.2.2:8080>10.0.1.2:* [ASSURED]',
      '4 connect client → 172.30.0.12:80/tcp at router — trace: kernel PREROUTING ip lb prerouting rule ip daddr 172.30.0.12 tcp dport 80 numgen inc mod 2 vmap { 0 : goto ep1, 1 : goto ep2 } # handle 6 (verdict goto ep1) ; PREROUTING ip lb ep1 rule meta l4proto tcp counter dnat to 10.0.2.2:8080 # handle 7 (verdict accept) | nflab PREROUTING ip lb prerouting rule ip daddr 172.30.0.12 tcp dport 80 numgen inc mod 2 vmap { 0 : goto ep1, 1 : goto ep2 } # handle 6 (verdict goto ep2) ; PREROUTING ip lb ep2 rule meta l4proto tcp counter dnat to 10.0.2.3:80 # handle 8 (verdict accept)',
      '4 connect client → 172.30.0.12:80/tcp at router — counters: kernel nft-nat ip lb ep1#7 +1:60 | nflab nft-nat ip lb ep2#8 +1:60',
    ],
  },
  'nft refuses a batch as nft does': {
    reason:
      "nft 1.0.6 refuses a rule followed by `}` on the same line (`chain c { counter accept }`: syntax error, unexpected '}', expecting newline or semicolon); nflab's parser accepts it, so nflab applies a batch the kernel refuses, and the rule then counts and accepts. The other refusals agree",
    differences: [
      '2 exec server: nft -f - — exec: kernel exit 1 | nflab exit 0',
      '6 exec server: nft list table inet t — exec: kernel "table inet t {\\n\\tchain c {\\n\\t\\ttype filter hook input priority filter; policy accept;\\n\\t}\\n}\\n" | nflab "table inet t {\\n\\tchain c {\\n\\t\\ttype filter hook input priority filter; policy accept;\\n\\t\\tcounter packets 0 bytes 0 accept\\n\\t}\\n}\\n"',
      '7 connect client → 10.0.0.2:80/tcp at server — trace: kernel INPUT inet t c policy accept | nflab INPUT inet t c rule counter accept # handle 2 (verdict accept)',
      'end at server (nft) — rules: kernel line 4: \t} | nflab line 4: \t\tcounter packets 0 bytes 0 accept # handle 2',
    ],
  },
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
  'found nft-2-6': {
    reason:
      "a RST the stack sends for a closed port is routed by the policy rules: `from 10.0.1.3 lookup 100` with `prohibit default` there gives the client's RST from 10.0.1.3 no route, so the kernel sends none and the connect times out; nflab sends it (refused). Not nft-specific; found by the nft flavour",
    differences: ['1 connect server → 10.0.1.3:81/tcp — result: kernel timeout | nflab refused'],
  },
};
