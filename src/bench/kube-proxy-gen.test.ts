import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Ruleset } from '../netfilter/rule.js';
import { runIptablesRestore } from '../netfilter/iptables/restore.js';
import { save } from '../netfilter/iptables/save.js';
import { generateKubeProxyRules, kubeChainHash } from './kube-proxy-gen.js';

const corpusDir = fileURLToPath(new URL('../../test/fixtures/corpus/', import.meta.url));
const corpus = (rel: string) => readFileSync(corpusDir + rel, 'utf8');

describe('the kube-proxy generator', () => {
  it(`hashes chain names as kube-proxy does (the corpus fixtures' names)`, () => {
    const fixture = corpus('kubernetes/kube-proxy-overall-fixture.rules');
    // ns1/svc1:p80 with its one endpoint 10.180.0.1:80, ns4/svc4's two endpoints.
    for (const [text, chain] of [
      ['ns1/svc1:p80tcp', 'KUBE-SVC-'],
      ['ns1/svc1:p80tcp10.180.0.1:80', 'KUBE-SEP-'],
      ['ns4/svc4:p80tcp10.180.0.5:80', 'KUBE-SEP-'],
    ] as const)
      expect(fixture).toContain(`:${chain}${kubeChainHash(text)} `);
    expect(corpus('kubernetes/kube-proxy-itp-cluster-3ep-fixture.rules')).toContain(`KUBE-SVC-${kubeChainHash('ns1/svc1tcp')}`);
  });

  it(`prints rules in the shape the kernel gives back for kube-proxy input`, () => {
    const saved = corpus('_kernel-roundtrip/kubernetes/kube-proxy-overall-fixture.saved');
    const g = generateKubeProxyRules(3, { nodePorts: 1, seed: 7 });
    // Every generated rule, with its addresses, names and numbers blanked, has a twin in the kernel's output.
    const shape = (l: string) =>
      l
        .replace(/KUBE-(SVC|SEP|EXT)-[A-Z2-7]{16}/g, 'KUBE-$1-H')
        .replace(/"[^"]*"/g, 'C')
        .replace(/\d+(\.\d+)*/g, 'N');
    const kernel = new Set(
      saved
        .split('\n')
        .filter((l) => l.startsWith('-A'))
        .map(shape),
    );
    const ours = g.text.split('\n').filter((l) => l.startsWith('-A ') && !l.includes('MASQUERADE --random-fully'));
    expect(ours.length).toBeGreaterThan(20);
    for (const l of ours.filter((l) => !l.startsWith('-A KUBE-FORWARD -m conntrack --ctstate INVALID')))
      expect(kernel, l).toContain(shape(l));
  });

  it('makes about 8 nat rules per Service with two endpoints, 3 more per NodePort', () => {
    const a = generateKubeProxyRules(100, { nodePorts: false });
    const b = generateKubeProxyRules(100, { nodePorts: 10 });
    expect(b.ruleCount - a.ruleCount).toBe(30);
    expect(a.text.split('\n').filter((l) => l.startsWith('-A ')).length).toBe(a.ruleCount);
    expect((a.ruleCount - 24) / 100).toBeCloseTo(8, 0);
    expect(a.text).toContain('-m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-');
    expect(generateKubeProxyRules(1, { endpointsPerService: 3 }).text).toContain('--probability 0.33333333349');
  });

  it('is deterministic for a seed', () => {
    expect(generateKubeProxyRules(20, { seed: 3 }).text).toBe(generateKubeProxyRules(20, { seed: 3 }).text);
    expect(generateKubeProxyRules(20, { seed: 3 }).text).not.toBe(generateKubeProxyRules(20, { seed: 4 }).text);
  });

  it('loads in nflab and round-trips byte for byte through iptables-save', () => {
    const g = generateKubeProxyRules(25, { nodePorts: 5, seed: 2 });
    const rs = new Ruleset();
    const r = runIptablesRestore(rs, g.text);
    expect(r.stderr).toBe('');
    expect(r.ok).toBe(true);
    expect(save(rs)).toBe(g.text);
    const nat = rs.table('nat')!;
    expect(nat.chains.get('KUBE-SERVICES')!.rules.length).toBe(26);
    expect(nat.chains.get('KUBE-NODEPORTS')!.rules.length).toBe(5);
  });
});
