/**
 * Topology and scenario files through the nflab process: counters in
 * iptables text (loaded as iptables-restore without -c unless
 * `counters: true`), and YAML anchors, aliases and merge keys.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'nflab.js');
const tmp = scratchDir('nflab-cli-topo-');

function nflab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: tmp });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

const RULES = `*filter
:INPUT DROP [5:300]
:FORWARD ACCEPT [7:420]
:OUTPUT ACCEPT [0:0]
[3:180] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
`;

describe("counters in a topology's iptables text", () => {
  const rulesFile = file('counted.rules', RULES);

  it('are read and ignored, inline and from a file: every counter starts at zero, as iptables-restore without -c', () => {
    const inline = file('inline.yaml', `hosts:\n  a:\n    iptables: |\n${RULES.replace(/^/gm, '      ')}`);
    const fromFile = file('from-file.yaml', `hosts:\n  a:\n    iptables: { file: counted.rules }\n`);
    for (const t of [inline, fromFile]) {
      const r = nflab('save', t, '--node', 'a', '-c');
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(
        '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n[0:0] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n',
      );
    }
    expect(nflab('export', fromFile).stdout).toMatch(/iptables-restore <<'NFLAB_RULES_0'/);
  });

  it('are loaded with `counters: true`, as iptables-restore -c, and the export script passes -c', () => {
    const t = file('keep.yaml', `hosts:\n  a:\n    iptables: { file: ${JSON.stringify(rulesFile)}, counters: true }\n`);
    const r = nflab('save', t, '--node', 'a', '-c');
    expect(r.stdout).toContain(':INPUT DROP [5:300]\n:FORWARD ACCEPT [7:420]\n');
    expect(r.stdout).toContain('[3:180] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n');
    expect(nflab('export', t).stdout).toMatch(/iptables-restore -c <<'NFLAB_RULES_0'/);
  });

  it('`counters` that is not true or false is an error at its place', () => {
    const t = file('bad-counters.yaml', `hosts:\n  a:\n    iptables: { file: counted.rules, counters: maybe }\n`);
    const r = nflab('check', t);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${t}:3:48: \`counters\` is true or false, not "maybe"\n`);
  });
});

describe('YAML anchors, aliases and merge keys', () => {
  const topo = file(
    'anchors.yaml',
    `name: anchors
x-common: &common
  sysctl: { net.ipv4.ip_forward: 1 }
  listen: [ tcp:80 ]
  iptables: |
    *filter
    :INPUT ACCEPT [0:0]
    -A INPUT -p tcp -m tcp --dport 81 -j REJECT --reject-with tcp-reset
    COMMIT
hosts:
  a: &node
    <<: *common
    interfaces: { eth0: { addr: 10.0.0.1/24 } }
  b:
    <<: *common
    interfaces: { eth0: { addr: 10.0.0.2/24 } }
    listen: [ tcp:8080 ]
  c:
    <<: [ *common ]
    interfaces: { eth0: { kind: bridge, addr: 10.0.0.3/24 } }
links:
  - [a:eth0, b:eth0]
`,
  );

  it('a topology written with them checks, saves and traces like one written out', () => {
    expect(nflab('check', topo)).toMatchObject({ code: 0, stderr: '' });
    const saved = nflab('save', topo, '--node', 'b');
    expect(saved.stdout).toContain('-A INPUT -p tcp -m tcp --dport 81 -j REJECT --reject-with tcp-reset\n');
    // b's own listen replaces the merged one: explicit keys win over `<<`.
    expect(nflab('trace', topo, '--from', 'a', '--to', '10.0.0.2:8080').stdout).toMatch(/^connect a → 10\.0\.0\.2:8080: connected/);
    expect(nflab('trace', topo, '--from', 'b', '--to', '10.0.0.1:80').stdout).toMatch(/: connected/);
    expect(nflab('trace', topo, '--from', 'a', '--to', '10.0.0.2:80').stdout).toMatch(/: refused/);
  });

  it('a mistake found through an alias is reported where the alias is used, naming the anchor', () => {
    const bad = file(
      'bad-alias.yaml',
      `x-base: &base
  interfaces: { eth0: { addr: 10.0.0.1/24 } }
  listen: [ tcp:99999 ]
hosts:
  a:
    <<: *base
  b: *base
`,
    );
    const r = nflab('check', bad);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toContain(
      `${bad}:6:9: listen port must be from 1 to 65535, not 99999 (through *base: the anchor &base is at line 1; the value is at line 3:13)`,
    );
    expect(lines.some((l) => l.startsWith(`${bad}:7:6: listen port must be from 1 to 65535`) && l.includes('&base is at line 1'))).toBe(
      true,
    );
  });

  it('an alias inside its own anchor, an unknown alias and a merge of a list item are one-line errors', () => {
    const cases = {
      'cycle.yaml': 'hosts: &h\n  a: *h\n',
      'unknown.yaml': 'hosts:\n  a: *nothing\n',
      'merge-scalar.yaml': 'x-a: &a 5\nhosts:\n  a:\n    <<: *a\n',
    };
    for (const [name, text] of Object.entries(cases)) {
      const r = nflab('check', file(name, text));
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(new RegExp(`^${join(tmp, name)}:\\d+:\\d+: `));
      expect(r.stderr, name).not.toMatch(/internal error|\n\s+at /);
    }
  });

  it('scenario steps and expectations can be anchored and repeated', () => {
    const sc = file(
      'anchored-scenario.yaml',
      `topology: anchors.yaml
x-probe: &probe
  connect: { from: a, to: 10.0.0.2:8080 }
  expect: &ok { result: connected, server: b }
steps:
  - <<: *probe
    name: first
  - <<: *probe
    name: second
  - name: refused
    connect: { from: a, to: 10.0.0.2:81 }
    expect: { <<: *ok, result: refused, server: b }
`,
    );
    const r = nflab('run', sc, '--json');
    const doc = JSON.parse(r.stdout);
    expect(doc.steps.map((s: { name: string; passed: boolean }) => [s.name, s.passed])).toEqual([
      ['first', true],
      ['second', true],
      ['refused', false],
    ]);
    expect(r.code).toBe(1);
  });
});
