/**
 * Root or not: every case runs on nflab and is compared with the kernel's
 * recorded answer (test/differential/recorded/), exactly as the live suite
 * compares it with a running kernel. A wrong engine fails here without root.
 */
import { describe, expect, it } from 'vitest';
import { allCases } from './all-cases.js';
import { CASES } from './cases.js';
import { diffObservations, formatDifference } from './compare.js';
import { recordedAnswer } from './kernel-answer.js';
import { KNOWN_DIFFERENCES } from './known-differences.js';
import { observeNflab } from './run-nflab.js';

describe('differential cases against the recorded kernel', () => {
  const all = allCases();

  it('has at least 30 cases with unique names', () => {
    expect(all.length).toBeGreaterThanOrEqual(30);
    expect(new Set(all.map((x) => x.c.name)).size).toBe(all.length);
  });

  it('covers every fate-changing match and target the issue lists', () => {
    const covers = CASES.flatMap((c) => c.covers).join('\n');
    for (const word of [
      'DROP',
      'REJECT',
      'tcp-reset',
      'icmp-admin-prohibited',
      'policy DROP',
      'RETURN',
      '-g goto',
      '! -s',
      '--syn',
      '--icmp-type',
      'multiport',
      '--ctstate ESTABLISHED',
      'addrtype',
      '--uid-owner',
      'CONNMARK',
      'iprange',
      'nth',
      'length',
      'ttl',
      'tos',
      'pkttype',
      'mac',
      'limit',
      'recent',
      'match-set',
      'comment',
      'LOG',
      'DNAT',
      'SNAT',
      'MASQUERADE',
      'REDIRECT',
      'NETMAP',
      '-j TTL',
      'NOTRACK',
      'UNTRACKED',
      'ip_forward',
      'blackhole',
      'prohibit',
      'rp_filter',
      'route_localnet',
      'br_netfilter',
      'TTL expiry',
    ]) {
      expect(covers, word).toContain(word);
    }
  });

  for (const { c, topo } of all) {
    it(c.name, () => {
      const kernel = recordedAnswer(c, topo);
      const seen = diffObservations(kernel, observeNflab(c, topo)).map(formatDifference);
      const known = KNOWN_DIFFERENCES[c.name];
      expect(seen, known ? `documented: ${known.reason}` : 'nflab and the recorded kernel should agree').toEqual(known?.differences ?? []);
    });
  }
});
