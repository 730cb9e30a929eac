/**
 * Paths a user takes that the in-process tests do not: every bundled
 * scenario through one `nflab run`, files named relative to another working
 * directory, several scenarios in one run, and `trace --uid` against an
 * owner match.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'nflab.js');
const tmp = scratchDir('nflab-cli-paths-');

function nflab(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd, maxBuffer: 256 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the bundled scenarios through nflab run', () => {
  it('every one passes in a single run, as `nflab run scenarios/*.yaml` does', () => {
    const files = readdirSync(join(root, 'scenarios'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join('scenarios', f));
    const r = nflab(root, 'run', ...files, '--json');
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as { scenarios: Array<{ file: string; passed: boolean }> };
    expect(doc.scenarios.map((s) => [s.file.replace(/^.*\//, ''), s.passed])).toEqual(files.map((f) => [f.replace(/^.*\//, ''), true]));
    expect(r.code).toBe(0);
  });
});

describe('relative paths', () => {
  it('an iptables file is found beside its topology, and a scenario finds its topology, from any working directory', () => {
    const lab = join(tmp, 'lab');
    mkdirSync(join(lab, 'rules'), { recursive: true });
    writeFileSync(join(lab, 'rules', 'a.rules'), '*filter\n:INPUT DROP [9:9]\n-A INPUT -p icmp -j ACCEPT\nCOMMIT\n');
    writeFileSync(
      join(lab, 'topo.yaml'),
      'hosts:\n  a:\n    interfaces: { eth0: { addr: 10.0.0.1/24 } }\n    iptables: { file: rules/a.rules }\n  b:\n    interfaces: { eth0: { addr: 10.0.0.2/24 } }\nlinks:\n  - [a:eth0, b:eth0]\n',
    );
    mkdirSync(join(lab, 'sc'));
    writeFileSync(
      join(lab, 'sc', 'ping.yaml'),
      'topology: ../topo.yaml\nsteps:\n  - ping: { from: b, to: 10.0.0.1 }\n    expect: { result: reply }\n  - connect: { from: b, to: 10.0.0.1:22 }\n    expect: { result: timeout }\n',
    );
    const elsewhere = mkdtempSync(join(tmp, 'cwd-'));
    const save = nflab(elsewhere, 'save', '../lab/topo.yaml', '--node', 'a');
    expect(save).toMatchObject({ code: 0, stderr: '' });
    expect(save.stdout).toBe(
      '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p icmp -j ACCEPT\nCOMMIT\n',
    );
    expect(nflab(elsewhere, 'run', '../lab/sc/ping.yaml')).toMatchObject({ code: 0, stderr: '' });
    expect(nflab(elsewhere, 'check', '../lab/sc/ping.yaml', '../lab/topo.yaml')).toMatchObject({ code: 0, stderr: '' });
  });
});

describe('several scenarios in one run', () => {
  it('prints one document holding every scenario, exits 1 when one fails, and numbers the captures', () => {
    const dir = mkdtempSync(join(tmp, 'multi-'));
    const docker = join(root, 'topologies', 'docker-port-mapping.yaml');
    writeFileSync(
      join(dir, 'ok.yaml'),
      `topology: ${docker}\nsteps:\n  - connect: { from: client, to: 198.51.100.1:8080 }\n    expect: { result: connected }\n`,
    );
    writeFileSync(
      join(dir, 'bad.yaml'),
      `topology: ${docker}\nsteps:\n  - connect: { from: client, to: 198.51.100.1:9999 }\n    expect: { result: connected }\n`,
    );
    const r = nflab(dir, 'run', 'ok.yaml', 'bad.yaml', '--json', '--pcap', 'cap.pcapng');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { scenarios: Array<{ passed: boolean }> };
    expect(doc.scenarios.map((s) => s.passed)).toEqual([true, false]);
    expect([existsSync(join(dir, 'cap-1.pcapng')), existsSync(join(dir, 'cap-2.pcapng'))]).toEqual([true, true]);
    const text = nflab(dir, 'run', 'ok.yaml', 'bad.yaml', '--no-color');
    expect(text.stdout).toMatch(/^PASS .*\n[\s\S]*^FAIL [\s\S]*1 passed, 1 failed\n$/m);
  });
});

describe('trace --uid', () => {
  it("meets the istio sidecar's owner match: uid 1337 escapes the capture to 15001, another uid does not", () => {
    const topo = join(root, 'topologies', 'istio-sidecar.yaml');
    const as = (uid: string) =>
      nflab(root, 'trace', topo, '--from', 'node/pod', '--to', '10.244.0.6:80', '--uid', uid, '--json')
        .stdout.trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { steps: Array<{ rule_text?: string }> });
    const redirected = (uid: string) => as(uid)[0].steps.some((s) => /--to-ports 15001/.test(s.rule_text ?? ''));
    expect(redirected('0')).toBe(true);
    expect(redirected('1337')).toBe(false);
    expect(nflab(root, 'trace', topo, '--from', 'node/pod', '--to', '10.244.0.6:80', '--uid', 'proxy')).toMatchObject({
      code: 2,
      stderr: 'nflab: --uid must be an integer from 0 to 4294967295, not "proxy"\n',
    });
  });
});
