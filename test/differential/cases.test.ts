/** Without root: every case loads, builds and runs on nflab, and the suite covers what the issue asks. */
import { describe, expect, it } from 'vitest';
import { allCases } from './all-cases.js';
import { CASES } from './cases.js';
import { observeNflab } from './run-nflab.js';

describe('differential cases', () => {
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
    it(`runs on nflab: ${c.name}`, () => {
      const o = observeNflab(c, topo);
      const probes = o.steps.filter((s) => s.kind === 'probe');
      expect(probes.length).toBeGreaterThan(0);
      for (const p of probes)
        expect(['connected', 'delivered', 'reply', 'refused', 'timeout', 'unreachable', 'no-route']).toContain(p.result);
    });
  }
});
