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
