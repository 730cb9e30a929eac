/**
 * The settled behaviours through the path a user takes: `nflab run --json` as
 * a process on a scenario file (built by `npm test` before the tests run).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const built = existsSync(join(ROOT, 'dist/cli/main.js')) || existsSync(join(ROOT, 'dist/cli/index.js'));
const dir = mkdtempSync(join(tmpdir(), 'nfs-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SCENARIO = `
topology:
  name: cli-path
  hosts:
    client:
      interfaces: { eth0: { addr: [10.0.1.2/24] } }
      routes: [ default via 10.0.1.1 ]
      iptables: |
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        -A OUTPUT -d 127.0.0.1/32 -p udp -m udp --dport 5353 -j DNAT --to-destination 10.0.2.2:53
        COMMIT
    router:
      sysctl: { net.ipv4.ip_forward: 1 }
      interfaces: { eth0: { addr: 10.0.1.1/24 }, eth1: { addr: 10.0.2.1/24 } }
      routes: [ unreachable 10.0.9.0/24 ]
      iptables: |
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        -A PREROUTING -d 10.0.1.1/32 -p icmp -j DNAT --to-destination 10.0.2.2
        -A PREROUTING -d 10.0.1.1/32 -p udp -m udp --dport 5353 -j DNAT --to-destination 10.0.2.2:53
        -A POSTROUTING -o eth1 -j MASQUERADE
        COMMIT
    server:
      interfaces: { eth0: { addr: 10.0.2.2/24 } }
      routes: [ default via 10.0.2.1 ]
      listen: [ udp:53 ]
  links:
    - [client:eth0, router:eth0]
    - [router:eth1, server:eth0]
steps:
  - name: a DNATed ping names the node that answered and the source it saw
    ping: { from: client, to: 10.0.1.1 }
    expect: { result: reply, server: server, server_sees: 10.0.2.1 }
  - send: { from: client, to: "10.0.1.1:5353", sport: 40000 }
    expect: { result: delivered, server: server }
  - name: the last rule that needs conntrack goes, and tracking stops
    exec: { on: router, cmd: ["iptables -t nat -F"] }
  - send: { from: client, to: "10.0.1.1:5353", sport: 40000 }
    expect: { result: refused }
  - name: an unreachable route at the sender is no-route
    connect: { from: router, to: "10.0.9.9:80" }
    expect: { result: no-route }
  - name: a loopback source sent away by nat OUTPUT fails the re-route
    send: { from: client, to: "127.0.0.1:5353" }
    expect: { result: no-route }
`;

describe.skipIf(!built)('the settled kernel disagreements through nflab run', () => {
  it('passes, and the JSON report carries the ping server', () => {
    const file = join(dir, 'issue14.yaml');
    writeFileSync(file, SCENARIO);
    const r = spawnSync('node', [join(ROOT, 'bin/nflab.js'), 'run', '--json', file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as {
      passed: boolean;
      steps: Array<{ kind: string; server?: string; server_sees?: string; result?: string }>;
    };
    expect(doc.steps.filter((s) => s.kind !== 'exec').map((s) => s.result)).toEqual([
      'reply',
      'delivered',
      'refused',
      'no-route',
      'no-route',
    ]);
    expect(doc.steps[0]).toMatchObject({ server: 'server', server_sees: '10.0.2.1' });
    expect(doc.passed).toBe(true);
    expect(r.status).toBe(0);
  });
});
