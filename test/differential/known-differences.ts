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
};
