/** The scenario fuzzer's generator and shrinker, without the kernel. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { foundCases } from '../all-cases.js';
import { caseTopology } from '../compare.js';
import { observeNflab } from '../run-nflab.js';
import { generateScenario, scenarioCase } from './generate.js';
import { shrink, smaller, writeFoundCase } from './shrink.js';

const sample = Array.from({ length: 150 }, (_, i) => generateScenario(7, i));

describe('scenario generator', () => {
  it('gives the same scenario for the same seed and index, another for another', () => {
    expect(scenarioCase(generateScenario(3, 5))).toEqual(scenarioCase(generateScenario(3, 5)));
    expect(scenarioCase(generateScenario(3, 5)).topology).not.toEqual(scenarioCase(generateScenario(4, 5)).topology);
  });

  it('covers what the issue asks for', () => {
    const topo = sample.map((s) => scenarioCase(s).topology).join('\n');
    const steps = JSON.stringify(sample.map((s) => s.steps));
    const sizes = new Set(sample.map((s) => s.lab.nodes.length));
    for (const n of [2, 3, 4, 5]) expect(sizes, `${n} nodes`).toContain(n);
    for (const word of [
      'kind: bridge',
      'master: br0',
      'ip_rules:',
      'net.ipv4.ip_forward: 0',
      'rp_filter: 2',
      'route_localnet: 1',
      'bridge-nf-call-iptables: 1',
      '-j DNAT',
      '-j SNAT',
      '-j MASQUERADE',
      '-j REDIRECT',
      '-j NETMAP',
      '-j MARK',
      '-j CONNMARK',
      'icmp-host-prohibited',
      'tcp-reset',
      '--uid-owner',
      '--ctstate',
    ])
      expect(topo + steps, word).toContain(word);
    for (const word of [
      '"kind":"connect"',
      '"kind":"send"',
      '"kind":"ping"',
      '"uid":1000',
      '"src":"10.0.1.3"',
      '"sport":',
      ' -I ',
      ' -D ',
      'conntrack -F',
    ])
      expect(steps, word).toContain(word);
  });

  it('every scenario loads and runs on nflab', () => {
    for (const s of sample.slice(0, 60)) {
      const c = scenarioCase(s);
      const o = observeNflab(c, caseTopology(c));
      expect(o.steps.filter((x) => x.kind === 'probe').length).toBeGreaterThan(0);
    }
  });
});

describe('shrinking', () => {
  it('removes nodes, rules and steps while the disagreement stays, and writes a case the suite loads', async () => {
    const big = sample.find((s) => s.lab.nodes.length >= 4 && s.lab.nodes.some((n) => n.rules.some((r) => r.spec.includes('-j DNAT'))))!;
    expect(big).toBeDefined();
    // A stand-in for "nflab and the kernel disagree": the lab still has a DNAT rule and still builds.
    const disagrees = (s: typeof big) => {
      const c = scenarioCase(s);
      caseTopology(c);
      return Promise.resolve(s.lab.nodes.some((n) => n.rules.some((r) => r.spec.includes('-j DNAT'))));
    };
    const { scenario } = await shrink(big, disagrees);
    expect(scenario.lab.nodes.flatMap((n) => n.rules)).toHaveLength(1);
    expect(scenario.lab.nodes.length).toBeLessThan(big.lab.nodes.length);
    expect(scenario.steps).toHaveLength(1);
    // Minimal: every one-step-smaller scenario no longer disagrees.
    for (const s of smaller(scenario)) expect(await disagrees(s).catch(() => false)).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'nfs-found-'));
    try {
      const { file, c } = writeFoundCase(scenario, 'test', dir);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(c);
      const [loaded] = foundCases(dir);
      expect(loaded.name).toBe(`found ${big.name}`);
      observeNflab(loaded, caseTopology(loaded));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
