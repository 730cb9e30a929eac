/** The nflab command as users run it: the built program, its output and exit codes. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPcapng } from '../src/capture/pcapng-read.js';
import { scratchDir } from '../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'nflab.js');
const docker = join(root, 'topologies', 'docker-port-mapping.yaml');
const dockerScenario = join(root, 'scenarios', 'docker-port-mapping.yaml');

function nflab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = scratchDir('nflab-cli-');

describe('nflab check', () => {
  it('prints every problem as file:line:col and exits 1, with no stack trace', () => {
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(
      bad,
      `name: bad
hosts:
  a:
    interfaces:
      eth0: { addr: 10.0.0.1/24, mtu: 99999 }
    routes: [ default via 192.168.9.1 ]
    listn: [ tcp:80 ]
  b:
    interfaces: { eth0: { addr: 10.0.0.2/24 } }
links:
  - [a:eth0, b:eth0]
  - [a:eth0, c:eth0]
`,
    );
    const r = nflab('check', bad);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const l of lines) expect(l).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
    expect(r.stderr).toMatch(/:7:5: .*unknown key "listn".*did you mean "listen"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a bad iptables line at its line in the topology file', () => {
    const bad = join(tmp, 'bad-rules.yaml');
    writeFileSync(
      bad,
      `name: bad-rules
hosts:
  a:
    interfaces: { eth0: { addr: 10.0.0.1/24 } }
    iptables: |
      *filter
      :INPUT ACCEPT [0:0]
      -A INPUT -j NOSUCHCHAIN
      COMMIT
`,
    );
    const r = nflab('check', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad-rules\.yaml:8:\d+: .*NOSUCHCHAIN/);
  });

  it('exits 0 on the bundled labs and 2 on a missing file', () => {
    expect(nflab('check', docker).code).toBe(0);
    const missing = nflab('check', join(tmp, 'nope.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('nflab run', () => {
  it('passes the bundled Docker scenario, prints the JSON report, and writes JUnit', () => {
    const junit = join(tmp, 'junit.xml');
    const r = nflab('run', dockerScenario, '--json', '--junit', junit);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ scenario: 'docker published port', seed: 1, passed: true });
    const first = doc.steps[0];
    expect(first).toMatchObject({
      step: 1,
      kind: 'connect',
      from: 'client',
      to: '198.51.100.1:8080',
      proto: 'tcp',
      result: 'connected',
      server: 'docker-host/web',
    });
    expect(first.trace.find((s: { chain?: string }) => s.chain === 'DOCKER')).toMatchObject({
      hook: 'PREROUTING',
      table: 'nat',
      rule: 1,
      verdict: 'ACCEPT',
      target: 'DNAT',
    });
    const expectStep = doc.steps.find((s: { kind: string }) => s.kind === 'expect');
    expect(Object.keys(expectStep.conntrack)).toContain('docker-host');
    expect(expectStep.saves['docker-host']).toMatch(/^\*filter\n/);
    expect(readFileSync(junit, 'utf8')).toMatch(/<testsuite name="docker published port"[^>]*failures="0"/);
  });

  it('exits 1 and explains why not when an expectation fails', () => {
    const sc = join(tmp, 'failing.yaml');
    writeFileSync(
      sc,
      `topology: ${docker}\nsteps:\n  - connect: { from: client, to: 198.51.100.1:8081 }\n    expect: { result: connected, passes: [ "docker-host nat/DOCKER#1" ] }\n`,
    );
    const r = nflab('run', sc, '--no-color');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/expected: result connected/);
    expect(r.stdout).toMatch(/seen: +result refused/);
    expect(r.stdout).toMatch(/--dport 8080/);
    expect(r.stdout).toMatch(/0 passed, 1 failed/);
  });
});

describe('nflab trace, save and export', () => {
  it('traces every packet of an exchange as JSON lines, the SYN first', () => {
    const r = nflab('trace', docker, '--from', 'client', '--to', '198.51.100.1:8080', '--json');
    expect(r.code).toBe(0);
    const packets = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(packets[0].packet).toMatchObject({ proto: 'tcp', dst: '198.51.100.1:8080', flags: 'SYN' });
    expect(packets[0].outcome).toBe('delivered');
    expect(packets[1].packet.flags).toBe('SYN,ACK');
  });

  it('saves a node exactly as iptables-save prints it, with counters after a scenario', () => {
    const plain = nflab('save', docker, '--node', 'docker-host', '-t', 'nat');
    expect(plain.stdout.split('\n').slice(0, 2)).toEqual(['*nat', ':PREROUTING ACCEPT [0:0]']);
    expect(plain.stdout).toContain('-A DOCKER -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\n');
    const after = nflab('save', docker, '--node', 'docker-host', '-c', '-t', 'nat', '--after', dockerScenario);
    expect(after.stdout).toMatch(/^\[4:240\] -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER$/m);
  });

  it('exports a bash script for real namespaces', () => {
    const r = nflab('export', docker, '--format', 'netns');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^#!\/usr\/bin\/env bash/);
    expect(r.stdout).toContain('iptables-restore');
  });

  it('writes a pcapng capture of a run or a trace, limited by --capture', () => {
    const runCap = join(tmp, 'run.pcapng');
    expect(nflab('run', dockerScenario, '--pcap', runCap).code).toBe(0);
    const all = readPcapng(readFileSync(runCap));
    expect(all.ok && all.value.interfaces.length).toBeGreaterThan(5);
    const traceCap = join(tmp, 'trace.pcapng');
    expect(
      nflab('trace', docker, '--from', 'client', '--to', '198.51.100.1:8080', '--pcap', traceCap, '--capture', 'client:eth0').code,
    ).toBe(0);
    const one = readPcapng(readFileSync(traceCap));
    expect(one.ok && one.value.interfaces.map((i) => i.name)).toEqual(['client:eth0']);
    const bad = nflab('trace', docker, '--from', 'client', '--to', '198.51.100.1:8080', '--pcap', traceCap, '--capture', 'client:eth7');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no interface "client:eth7"/);
  });

  it('rejects bad usage with exit 2 and one line', () => {
    const r = nflab('trace', docker, '--from', 'client');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(nflab('frobnicate').code).toBe(2);
  });
});
