/**
 * Each bundled scenario must notice when the rule it is about disappears: the
 * lab is built, one named rule is deleted with `iptables -D` inside its node,
 * then the scenario's steps run, and at least one probe or expect step must
 * fail in a way that is not a known engine bug.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../src/core/diagnostic.js';
import { Lab } from '../src/lab/lab.js';
import { loadScenarioFile } from '../src/scenario/load.js';
import { runStep } from '../src/scenario/runner.js';
import { isKnown } from './scenarios-known-engine-bugs.js';

interface Mutation {
  file: string;
  node: string;
  table: string;
  chain: string;
  rule: number;
  /** What the rule does, for the test's name. */
  about: string;
  /** For a native nftables rule: the `nft` command that removes it (table/chain/rule then only name it). */
  nft?: string;
}

const MUTATIONS: readonly Mutation[] = [
  { file: 'docker-port-mapping.yaml', node: 'docker-host', table: 'nat', chain: 'DOCKER', rule: 1, about: 'the published port DNAT' },
  { file: 'docker-port-mapping.yaml', node: 'docker-host', table: 'nat', chain: 'POSTROUTING', rule: 1, about: 'the bridge MASQUERADE' },
  { file: 'istio-sidecar.yaml', node: 'node/pod', table: 'nat', chain: 'ISTIO_INBOUND', rule: 2, about: 'inbound capture to 15006' },
  { file: 'istio-sidecar.yaml', node: 'node/pod', table: 'nat', chain: 'ISTIO_OUTPUT', rule: 9, about: 'outbound capture to 15001' },
  { file: 'istio-sidecar.yaml', node: 'node/pod', table: 'nat', chain: 'ISTIO_INBOUND', rule: 1, about: 'the 15008 exemption' },
  {
    file: 'kube-proxy.yaml',
    node: 'node1',
    table: 'nat',
    chain: 'KUBE-SVC-CDGGSHYLG3RE2FKL',
    rule: 2,
    about: 'the first endpoint (statistic 1/3)',
  },
  { file: 'kube-proxy.yaml', node: 'node1', table: 'nat', chain: 'KUBE-POSTROUTING', rule: 3, about: 'the service MASQUERADE' },
  { file: 'kube-proxy.yaml', node: 'node1', table: 'nat', chain: 'KUBE-NODEPORTS', rule: 1, about: 'the NodePort' },
  { file: 'multi-hop-nat.yaml', node: 'r3', table: 'nat', chain: 'PREROUTING', rule: 1, about: "r3's DNAT" },
  { file: 'multi-hop-nat.yaml', node: 'r1', table: 'nat', chain: 'POSTROUTING', rule: 1, about: "r1's SNAT" },
  { file: 'four-tables-five-chains.yaml', node: 'router', table: 'nat', chain: 'PREROUTING', rule: 1, about: 'the nat PREROUTING rule' },
  { file: 'four-tables-five-chains.yaml', node: 'router', table: 'mangle', chain: 'FORWARD', rule: 1, about: 'the mangle FORWARD rule' },
  { file: 'reject-variants.yaml', node: 'fw', table: 'filter', chain: 'FORWARD', rule: 4, about: 'REJECT icmp-host-prohibited' },
  { file: 'reject-variants.yaml', node: 'fw', table: 'filter', chain: 'FORWARD', rule: 7, about: 'DROP' },
  { file: 'reject-variants.yaml', node: 'fw', table: 'filter', chain: 'FORWARD', rule: 3, about: 'REJECT icmp-port-unreachable' },
  { file: 'policy-routing.yaml', node: 'gw', table: 'mangle', chain: 'PREROUTING', rule: 4, about: 'the LAN mark for 8080' },
  { file: 'policy-routing.yaml', node: 'gw', table: 'mangle', chain: 'OUTPUT', rule: 1, about: 'CONNMARK --restore-mark for replies' },
  { file: 'kube-proxy-5000.yaml', node: 'node', table: 'nat', chain: 'KUBE-NODEPORTS', rule: 1, about: "the running Service's NodePort" },
  { file: 'kube-proxy-5000.yaml', node: 'node', table: 'nat', chain: 'KUBE-MARK-MASQ', rule: 1, about: 'the masquerade mark' },
  {
    file: 'kube-proxy-nftables.yaml',
    node: 'node',
    table: 'kube-proxy',
    chain: 'nat-prerouting',
    rule: 41,
    about: 'jump services',
    nft: 'delete rule ip kube-proxy nat-prerouting handle 41',
  },
  {
    file: 'kube-proxy-nftables.yaml',
    node: 'node',
    table: 'kube-proxy',
    chain: 'masquerading',
    rule: 38,
    about: 'masquerade',
    nft: 'delete rule ip kube-proxy masquerading handle 38',
  },
  {
    file: 'kube-proxy-nftables.yaml',
    node: 'node',
    table: 'kube-proxy',
    chain: 'cluster-ips-check',
    rule: 24,
    about: 'the reject',
    nft: 'delete rule ip kube-proxy cluster-ips-check handle 24',
  },
  {
    file: 'kube-proxy-5000-nftables.yaml',
    node: 'node',
    table: 'kube-proxy',
    chain: 'nat-prerouting',
    rule: 41,
    about: 'jump services',
    nft: 'delete rule ip kube-proxy nat-prerouting handle 41',
  },
  {
    file: 'kube-proxy-5000-nftables.yaml',
    node: 'node',
    table: 'kube-proxy',
    chain: 'masquerading',
    rule: 38,
    about: 'masquerade',
    nft: 'delete rule ip kube-proxy masquerading handle 38',
  },
  {
    file: 'iptables-and-nftables.yaml',
    node: 'fw',
    table: 'host',
    chain: 'input',
    rule: 4,
    about: 'the nft drop',
    nft: 'delete rule inet host input handle 4',
  },
  {
    file: 'iptables-and-nftables.yaml',
    node: 'fw',
    table: 'hostnat',
    chain: 'prerouting',
    rule: 2,
    about: 'the nft redirect',
    nft: 'delete rule ip hostnat prerouting handle 2',
  },
  {
    file: 'iptables-and-nftables.yaml',
    node: 'fw',
    table: 'filter',
    chain: 'INPUT',
    rule: 1,
    about: 'the iptables DROP after an nft accept',
  },
  {
    file: 'docker-nftables.yaml',
    node: 'docker-host',
    table: 'docker-bridges',
    chain: 'nat-prerouting-and-output',
    rule: 25,
    about: 'the published port DNAT',
    nft: 'delete rule ip docker-bridges nat-prerouting-and-output handle 25',
  },
  {
    file: 'docker-nftables.yaml',
    node: 'docker-host',
    table: 'docker-bridges',
    chain: 'raw-PREROUTING',
    rule: 26,
    about: 'the direct-access drop',
    nft: 'delete rule ip docker-bridges raw-PREROUTING handle 26',
  },
  {
    file: 'docker-nftables.yaml',
    node: 'docker-host',
    table: 'docker-bridges',
    chain: 'nat-postrouting-out__bridge1',
    rule: 39,
    about: 'the bridge masquerade',
    nft: 'delete rule ip docker-bridges nat-postrouting-out__bridge1 handle 39',
  },
];

const dir = join(import.meta.dirname, '..', 'scenarios');

describe('bundled scenarios notice a missing rule', () => {
  it('every bundled scenario has at least one mutation', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    const missing = files.filter((f) => !MUTATIONS.some((m) => m.file === f));
    expect(missing, `scenarios without a mutation: ${missing.join(', ')}`).toEqual([]);
  });

  for (const m of MUTATIONS) {
    it(`${m.file}: without ${m.node} ${m.table}/${m.chain}#${m.rule} (${m.about}) an expectation fails`, () => {
      const sc = loadScenarioFile(join(dir, m.file));
      if (!sc.ok) throw new Error(sc.error.map(formatDiagnostic).join('\n'));
      const built = Lab.build(sc.value.topology, { seed: sc.value.seed, record: true });
      if (!built.ok) throw new Error(built.error.map(formatDiagnostic).join('\n'));
      const lab = built.value;
      const save = m.nft ? 'nft list ruleset' : `iptables-save -t ${m.table}`;
      const before = lab.exec(m.node, save).stdout;
      const del = lab.exec(m.node, m.nft ? `nft ${m.nft}` : `iptables -t ${m.table} -D ${m.chain} ${m.rule}`);
      expect(del.exitCode, del.stderr).toBe(0);
      expect(lab.exec(m.node, save).stdout).not.toBe(before);

      const noticed: string[] = [];
      sc.value.steps.forEach((step, i) => {
        const r = runStep(lab, step, i + 1);
        // An exec step that trips over the renumbered chain says nothing about the rule's behaviour.
        if (step.kind === 'exec') return;
        for (const f of r.failures)
          if (!isKnown(m.file, i + 1, f.expected)) noticed.push(`step ${i + 1}: expected ${f.expected}, seen ${f.seen}`);
      });
      expect(noticed.length, `no expectation failed without ${m.table}/${m.chain}#${m.rule}`).toBeGreaterThan(0);
    });
  }
});
