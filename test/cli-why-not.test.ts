/**
 * why-not through `nflab run`: a packet DNATed to an address that
 * never answers ARP is explained as that, not as a rule that did not match.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'nflab.js');
const tmp = scratchDir('nflab-cli-whynot-');

const topology = (endpoint: string) => `name: nodeport
hosts:
  client:
    interfaces: { eth0: { addr: 10.0.0.2/24 } }
    routes: [ default via 10.0.0.1 ]
  node:
    sysctl: { net.ipv4.ip_forward: 1 }
    interfaces:
      eth0: { addr: 10.0.0.1/24 }
      eth1: { addr: 10.1.0.1/24 }
    iptables: |
      *nat
      :PREROUTING ACCEPT [0:0]
      :KUBE-NODEPORTS - [0:0]
      -A PREROUTING -p tcp -m tcp --dport 30080 -j KUBE-NODEPORTS
      -A KUBE-NODEPORTS -p tcp -m tcp --dport 30081 -j DNAT --to-destination 10.1.0.77:80
      -A KUBE-NODEPORTS -p tcp -m tcp --dport 30080 -j DNAT --to-destination ${endpoint}:80
      COMMIT
  pod:
    interfaces: { eth0: { addr: 10.1.0.5/24 } }
    routes: [ default via 10.1.0.1 ]
    listen: [ tcp:80 ]
links:
  - [client:eth0, node:eth0]
  - [node:eth1, pod:eth0]
`;

function run(endpoint: string, timeout: string) {
  const dir = mkdtempSync(join(tmp, 'lab-'));
  writeFileSync(join(dir, 'topo.yaml'), topology(endpoint));
  writeFileSync(
    join(dir, 'sc.yaml'),
    `topology: topo.yaml\nsteps:\n  - connect: { from: client, to: 10.0.0.1:30080, timeout: ${timeout} }\n    expect: { result: connected, server: pod }\n`,
  );
  const r = spawnSync(process.execPath, [bin, 'run', join(dir, 'sc.yaml'), '--no-color'], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, whyNot: r.stdout.split('\n').filter((l) => l.includes('why not:')) };
}

describe('why not, when the endpoint never answers ARP', () => {
  for (const [timeout, while_] of [
    ['900ms', 'while the ARP requests are still unanswered'],
    ['5s', 'once the neighbour entry has failed and the packet is dropped'],
  ]) {
    it(`names the silent address, not a rule (${while_})`, () => {
      const r = run('10.1.0.66', timeout);
      expect(r.code).toBe(1);
      expect(r.whyNot[0]).toBe(
        '      why not: no ARP reply from 10.1.0.66: node routed the packet after DNAT to 10.1.0.66:80 out of eth1 and asked who has 10.1.0.66; nobody answered (no interface in the lab has 10.1.0.66). No rule dropped it.',
      );
      expect(r.stdout).not.toMatch(/nearest: nat\/KUBE-NODEPORTS/);
    });
  }

  it('passes when the endpoint exists', () => {
    expect(run('10.1.0.5', '900ms').code).toBe(0);
  });
});
