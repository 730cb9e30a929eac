/**
 * `nflab check` as a process: every problem in one run, rule errors
 * beside YAML errors, every bad rule line at its real column, and scenarios
 * checked as deeply as topologies.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'nflab.js');
const tmp = scratchDir('nflab-cli-check-');
const docker = join(root, 'topologies', 'docker-port-mapping.yaml');

function check(...files: string[]) {
  const r = spawnSync(process.execPath, [bin, 'check', ...files], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stderr.trim().split('\n') };
}

function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

describe('nflab check', () => {
  it('reports YAML-level mistakes and every bad rule line together, each at its real column', () => {
    const t = file(
      'all-at-once.yaml',
      `name: all-at-once
hosts:
  a:
    interfaces: { eth0: { addr: 10.0.0.1/24 } }
    listn: [ tcp:80 ]
    iptables: |
      *filter
      :INPUT ACCEPT [0:0]
      -A INPUT -j NOSUCHCHAIN
      -A INPUT -p tcp --dportt 22 -j ACCEPT
        -A INPUT -m frob -j ACCEPT
      -A INPUT -j ACCEPT
      COMMIT
    iptables_cmds:
      - iptables -A INPUT -j NOPE
`,
    );
    const r = check(t);
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([
      `${t}:5:5: unknown key "listn" in host a (did you mean "listen"?); expected one of: interfaces, routes, ip_rules, sysctl, iptables, iptables_cmds, nftables, listen, ipsets, nfacct, users, groups, namespaces, iptables_backend`,
      `${t}:9:19: iptables-restore: line 3 failed: Chain 'NOSUCHCHAIN' does not exist`,
      `${t}:10:23: iptables-restore: line 4 failed: unknown option "--dportt"`,
      `${t}:11:21: iptables-restore: line 5 failed: Couldn't load match \`frob':No such file or directory`,
      `${t}:15:9: iptables -A INPUT -j NOPE: iptables v1.8.9 (nf_tables): Chain 'NOPE' does not exist`,
    ]);
  });

  it('reports bad lines of an iptables file at their line and column in that file', () => {
    const rules = file(
      'bad.rules',
      '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j DNAT\n-A PREROUTING -p tcp -j REDIRECT --to-ports 99999\nCOMMIT\n',
    );
    const t = file('with-file.yaml', 'hosts:\n  a:\n    iptables: { file: bad.rules }\n');
    const r = check(t);
    expect(r.code).toBe(1);
    expect(r.lines).toHaveLength(2);
    expect(r.lines[0]).toMatch(new RegExp(`^${rules}:3:1: .*DNAT`));
    expect(r.lines[1]).toMatch(new RegExp(`^${rules}:4:\\d+: `));
  });

  it("checks a scenario's steps: rules that do not exist at that step, and exec commands nflab refuses", () => {
    const sc = file(
      'deep.yaml',
      `topology: ${docker}
steps:
  - connect: { from: client, to: 198.51.100.1:8080 }
    expect: { result: connected, passes: [ "docker-host nat/DOCKER#5", "docker-host nat/DOCKER#1" ] }
  - exec: { on: docker-host, cmd: [ "iptables -t nat -N EXTRA", "tc qdisc add dev eth0 root netem", "iptables -A INPUT --frob" ] }
  - exec: { on: docker-host, cmd: "iptables -t nat -A EXTRA -j RETURN" }
  - connect: { from: client, to: 198.51.100.1:8080 }
    expect: { not_passes: [ "docker-host nat/EXTRA#1", "docker-host nat/EXTRA#2" ] }
  - exec: { on: docker-host, cmd: "iptables -t nat -D EXTRA 7" }
    expect: { exit: 1 }
  - expect:
      counters: { node: docker-host, table: filter, chain: DOCKER, rule: 9 }
`,
    );
    const r = check(sc);
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([
      `${sc}:3:5: passes "docker-host nat/DOCKER#5": nat/DOCKER has 1 rule, not 5 at this step`,
      `${sc}:5:5: exec on docker-host: \`tc qdisc add dev eth0 root netem\` exits 127: nflab: tc: command not found (nodes run iptables, iptables-restore, iptables-save, nft, ip, bridge, conntrack, sysctl)`,
      `${sc}:5:5: exec on docker-host: \`iptables -A INPUT --frob\` exits 2: iptables v1.8.9 (nf_tables): unknown option "--frob"`,
      `${sc}:7:5: not_passes "docker-host nat/EXTRA#2": nat/EXTRA has 1 rule, not 2 at this step`,
      `${sc}:12:17: counters "docker-host filter/DOCKER#9": filter/DOCKER has 1 rule, not 9 at this step`,
    ]);
  });

  it("still checks a scenario's topology rules when the scenario itself has YAML mistakes", () => {
    const topo = file('t.yaml', 'hosts:\n  a:\n    iptables: |\n      *filter\n      -A INPUT -j NOPE\n      COMMIT\n');
    const sc = file('s.yaml', `topology: t.yaml\nsteps:\n  - conect: { from: a, to: 10.0.0.1:80 }\n`);
    const r = check(sc);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${sc}:3:5: .*unknown key "conect"`));
    expect(r.stderr).toContain(`${topo}:5:19: iptables-restore: line 2 failed: Chain 'NOPE' does not exist`);
  });

  it('does the same for a topology written inside the scenario', () => {
    const sc = file(
      'inline.yaml',
      `topology:
  hosts:
    a:
      listn: []
      iptables: |
        *filter
        -A INPUT -j NOPE
        COMMIT
steps:
  - ping: { from: a, to: 127.0.0.1 }
    expect: { reslt: reply }
`,
    );
    const r = check(sc);
    expect(r.code).toBe(1);
    expect(r.lines).toHaveLength(3);
    expect(r.lines[0]).toMatch(`${sc}:4:7: unknown key "listn" in host a`);
    expect(r.lines[1]).toBe(`${sc}:7:21: iptables-restore: line 2 failed: Chain 'NOPE' does not exist`);
    expect(r.lines[2]).toMatch(`${sc}:11:15: unknown key "reslt" in \`expect\``);
  });

  it('passes every bundled topology and scenario', () => {
    const files = ['topologies', 'scenarios'].flatMap((d) =>
      readdirSync(join(root, d))
        .filter((f) => f.endsWith('.yaml') && !f.startsWith('kube-proxy-5000'))
        .map((f) => join(root, d, f)),
    );
    const r = check(...files);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
