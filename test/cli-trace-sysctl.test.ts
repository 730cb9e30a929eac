/**
 * Two answers the scenario fuzzer's review found wrong on the user's path, run
 * as the built nflab program: `nflab trace` naming the chain policy that
 * dropped a packet, and `sysctl -w` in a node refusing what the kernel's
 * sysctl refuses (procps-ng 4.0.2 on Linux 6.18: "Invalid argument", exit 1).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'nflab.js');
const tmp = mkdtempSync(join(tmpdir(), 'sf-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function nflab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const TOPOLOGY = `name: policy-drop
hosts:
  a:
    interfaces: { eth0: { addr: [10.0.1.2/24] } }
    routes: [ default via 10.0.1.1 ]
  r:
    interfaces: { eth0: { addr: [10.0.1.1/24] }, eth1: { addr: [10.0.2.1/24] } }
    sysctl: { net.ipv4.ip_forward: 1 }
    iptables: |
      *filter
      :FORWARD DROP [0:0]
      -A FORWARD -p udp -j DROP
      COMMIT
  b:
    interfaces: { eth0: { addr: [10.0.2.2/24] } }
    routes: [ default via 10.0.2.1 ]
    listen: [ tcp:80, udp:53 ]
links:
  - [a:eth0, r:eth0]
  - [r:eth1, b:eth0]
`;
const topo = join(tmp, 'policy-drop.yaml');
writeFileSync(topo, TOPOLOGY);

describe('nflab trace names what dropped a packet', () => {
  it('a chain policy as the policy, not as a rule', () => {
    const r = nflab('trace', topo, '--from', 'a', '--to', '10.0.2.2:80');
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('  FORWARD filter/FORWARD: policy DROP');
    expect(r.stdout).toContain('  drop: policy DROP of filter/FORWARD at FORWARD\n=> dropped');
    expect(r.stdout).not.toContain('rule at');
  });

  it('a rule by its chain and number', () => {
    const r = nflab('trace', topo, '--from', 'a', '--to', '10.0.2.2:53', '--proto', 'udp');
    expect(r.stdout).toContain('  drop: filter/FORWARD rule #1 at FORWARD\n=> dropped');
  });

  it('a route lookup no table answered, without naming a table', () => {
    // r has no route to 10.9.9.9: the forwarded packet finds none, and r answers net-unreachable.
    const r = nflab('trace', topo, '--from', 'a', '--to', '10.9.9.9:80');
    expect(r.stdout).toContain('connect a → 10.9.9.9:80: unreachable');
    expect(r.stdout).toContain('  route 10.9.9.9: no-route\n');
  });
});

describe('sysctl -w in a node', () => {
  const scenario = (steps: string) => {
    const f = join(tmp, `s${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(f, `topology: policy-drop.yaml\nsteps:\n${steps}`);
    return f;
  };

  it('refuses a value that is not an integer, with the kernel sysctl message and exit 1, and changes nothing', () => {
    const f = scenario(`  - exec: { on: r, cmd: "sysctl -w net.ipv4.ip_forward=abc" }
    expect: { exit: 1 }
  - exec: { on: r, cmd: "sysctl net.ipv4.ip_forward" }
    expect: { stdout: "net.ipv4.ip_forward = 1\\n" }
`);
    const ok = nflab('run', f);
    expect(ok.stdout).toMatch(/✓ 1\. exec on r: sysctl -w net\.ipv4\.ip_forward=abc\n.*✓ 2\./s);
    expect(ok.code).toBe(0);
    const check = nflab('check', scenario('  - exec: { on: r, cmd: "sysctl -w net.ipv4.ip_forward=abc" }\n'));
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('exits 1: sysctl: setting key "net.ipv4.ip_forward": Invalid argument');
  });

  it('takes what the kernel takes (hex, a trailing word) and goes on past a refused argument', () => {
    const f = scenario(`  - exec: { on: r, cmd: "sysctl -w net.ipv4.ip_forward=0x0 net.ipv4.conf.all.rp_filter=1.5" }
    expect: { exit: 1, stdout: "net.ipv4.ip_forward = 0x0\\n" }
  - exec: { on: r, cmd: "sysctl net.ipv4.ip_forward net.ipv4.conf.all.rp_filter" }
    expect: { stdout: "net.ipv4.ip_forward = 0\\nnet.ipv4.conf.all.rp_filter = 0\\n" }
  - exec: { on: r, cmd: "sysctl -w 'net.ipv4.ip_forward=1 2'" }
    expect: { exit: 0 }
  - exec: { on: r, cmd: "sysctl net.ipv4.ip_forward" }
    expect: { stdout: "net.ipv4.ip_forward = 1\\n" }
`);
    const r = nflab('run', f);
    expect(r.stdout).toContain('✓ 4. exec on r: sysctl net.ipv4.ip_forward\n1 passed, 0 failed');
    expect(r.code).toBe(0);
  });
});
