/** The scenario generator's nft flavour and its shrinking, without the kernel. */
import { describe, expect, it } from 'vitest';
import { caseTopology } from '../compare.js';
import { observeNflab } from '../run-nflab.js';
import { generateScenario, scenarioCase } from './generate.js';
import { shrink, smaller } from './shrink.js';

const sample = Array.from({ length: 120 }, (_, i) => generateScenario(7, i, { nft: true }));

describe('scenario generator, nft flavour', () => {
  it('is seeded and a stream of its own: the iptables-only scenario of the same seed and index is unchanged', () => {
    expect(scenarioCase(generateScenario(3, 5, { nft: true }))).toEqual(scenarioCase(generateScenario(3, 5, { nft: true })));
    expect(generateScenario(3, 5, { nft: true }).name).toBe('nft-3-5');
    expect(scenarioCase(generateScenario(3, 5)).topology).not.toContain('nftables:');
    expect(scenarioCase(generateScenario(3, 5)).topology).not.toEqual(scenarioCase(generateScenario(3, 5, { nft: true })).topology);
  });

  it('draws filter and nat tables, at every hook, beside iptables rules', () => {
    const topo = sample.map((s) => scenarioCase(s).topology).join('\n');
    const steps = JSON.stringify(sample.map((s) => s.steps));
    expect(sample.every((s) => scenarioCase(s).topology.includes('nftables: |'))).toBe(true);
    for (const word of [
      'table inet fw {',
      'table ip fw {',
      'table ip lb {',
      'type filter hook input',
      'type filter hook forward',
      'type filter hook output',
      'type nat hook prerouting priority dstnat',
      'type nat hook output',
      'type nat hook postrouting priority srcnat',
      'policy drop;',
      'ct state established,related accept',
      'ct state new',
      'tcp dport { 80, 8080 }',
      'udp dport { 53, 54 }',
      'counter',
      'reject with tcp reset',
      'reject with icmpx admin-prohibited',
      'reject with icmp host-unreachable',
      'dnat to ',
      'snat to ',
      'masquerade',
      'redirect to :',
    ])
      expect(topo, word).toContain(word);
    // iptables and native rules on one node.
    expect(sample.some((s) => s.lab.nodes.some((n) => n.rules.length && n.nft?.length))).toBe(true);
    for (const word of ['nft add rule ', 'nft flush chain ', '"cmd":"nft -f -"']) expect(steps, word).toContain(word);
  });

  it('every scenario loads and runs on nflab', () => {
    for (const s of sample.slice(0, 40)) {
      const c = scenarioCase(s);
      const o = observeNflab(c, caseTopology(c));
      expect(o.steps.filter((x) => x.kind === 'probe').length).toBeGreaterThan(0);
      expect(o.nft, s.name).toBeDefined();
    }
  });

  it('shrinks native rules and drop policies away one at a time', async () => {
    const big = sample.find(
      (s) => s.lab.nodes.some((n) => (n.nftDrop ?? []).length) && s.lab.nodes.some((n) => n.nft?.some((r) => r.rule.includes('dnat'))),
    )!;
    expect(big).toBeDefined();
    const disagrees = (s: typeof big) => {
      caseTopology(scenarioCase(s));
      return Promise.resolve(s.lab.nodes.some((n) => n.nft?.some((r) => r.rule.includes('dnat'))));
    };
    const { scenario } = await shrink(big, disagrees, { maxTries: 2000 });
    expect(scenario.lab.nodes.flatMap((n) => n.nft ?? [])).toHaveLength(1);
    expect(scenario.lab.nodes.flatMap((n) => n.nftDrop ?? [])).toHaveLength(0);
    for (const s of smaller(scenario)) expect(await disagrees(s).catch(() => false)).toBe(false);
  });
});
