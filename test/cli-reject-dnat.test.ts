/**
 * A REJECT in FORWARD after kube-proxy's DNAT, through the built nflab program
 * on the bundled kube-proxy lab. Measured on Linux 6.18 with the same shape
 * (docs/conntrack-nat.md): the client's connect() fails with ECONNREFUSED at
 * once, for icmp-port-unreachable as for tcp-reset; the answer leaves the node
 * RELATED to the unconfirmed entry and arrives from the ClusterIP (10.96.0.10,
 * port 80 for the reset), and the node keeps no entry for the rejected flow.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'nflab.js');
const topology = join(root, 'topologies', 'kube-proxy.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'rd-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface StepOut {
  kind: string;
  result?: string;
  output?: Array<{ stdout: string; exit: number }>;
}

function runScenario(name: string, rejectWith: string, clientRule: string): StepOut[] {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      `topology: ${JSON.stringify(topology)}`,
      'seed: 1',
      'steps:',
      `  - exec: { on: node1, cmd: iptables -I FORWARD 1 -s 192.0.2.10 -p tcp -j REJECT --reject-with ${rejectWith} }`,
      '  - exec: { on: node1, cmd: iptables -t mangle -A POSTROUTING -m conntrack --ctstate RELATED --ctdir REPLY }',
      `  - exec: { on: client, cmd: ${clientRule} }`,
      '  - connect: { from: client, to: 10.96.0.10:80 }',
      '    expect: { result: refused }',
      '  - exec: { on: client, cmd: iptables -L INPUT -v -n -x }',
      '  - exec: { on: node1, cmd: iptables -t mangle -L POSTROUTING -v -n -x }',
      '  - exec: { on: node1, cmd: conntrack -L }',
      '',
    ].join('\n'),
  );
  const r = spawnSync(process.execPath, [bin, 'run', file, '--json'], { encoding: 'utf8', cwd: root });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return (JSON.parse(r.stdout) as { steps: StepOut[] }).steps;
}

/** The packet count of the one rule an `iptables -L -v -n -x` listing of a single-rule chain shows. */
function onlyRulePackets(listing: string): number {
  const rows = listing.trim().split('\n').slice(2);
  expect(rows).toHaveLength(1);
  return Number(rows[0].trim().split(/\s+/)[0]);
}

describe('REJECT in FORWARD after DNAT, on the kube-proxy lab through nflab run', () => {
  it('icmp-port-unreachable: refused, from the ClusterIP, RELATED on the node', () => {
    const steps = runScenario(
      'reject-icmp',
      'icmp-port-unreachable',
      'iptables -A INPUT -s 10.96.0.10 -p icmp --icmp-type port-unreachable',
    );
    expect(steps[3].result).toBe('refused');
    expect(onlyRulePackets(steps[4].output![0].stdout)).toBe(1);
    expect(onlyRulePackets(steps[5].output![0].stdout)).toBe(1);
    expect(steps[6].output![0].stdout).toBe('');
  });

  it('tcp-reset: refused, the reset comes from 10.96.0.10:80', () => {
    const steps = runScenario('reject-rst', 'tcp-reset', 'iptables -A INPUT -s 10.96.0.10 -p tcp --sport 80 --tcp-flags RST RST');
    expect(steps[3].result).toBe('refused');
    expect(onlyRulePackets(steps[4].output![0].stdout)).toBe(1);
    expect(onlyRulePackets(steps[5].output![0].stdout)).toBe(1);
    expect(steps[6].output![0].stdout).toBe('');
  });
});
