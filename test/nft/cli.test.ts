/** nftables through the user's path: the built nflab program on topology and scenario files. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'nflab.js');
const corpus = join(root, 'test', 'fixtures', 'corpus-nft');
const tmp = scratchDir('nflab-nft-');

function nflab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A one-host topology whose rules are `nftables:` (inline text, or a file). */
function topo(name: string, nftables: string): string {
  const p = join(tmp, `${name}.yaml`);
  writeFileSync(p, `name: ${name}\nhosts:\n  h:\n    interfaces:\n      eth0: { addr: 10.0.0.1/24 }\n    nftables: ${nftables}\n`);
  return p;
}

describe('nflab save --nft prints the kernel listing for every corpus-nft file loaded through a topology', () => {
  const files = [
    'docker-nftables-backend',
    'firewalld-style',
    'host-firewall-inet',
    'kube-proxy-nftables-12-services',
    'kube-proxy-nftables-12-services-nested',
    'kube-proxy-nftables-300-services',
  ];
  for (const f of files) {
    it(f, () => {
      const t = topo(f, `{ file: ${join(corpus, `${f}.nft`)} }`);
      const r = nflab('save', t, '--node', 'h', '--nft');
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(readFileSync(join(corpus, '_kernel-roundtrip', `${f}.listed`), 'utf8'));
      const a = nflab('save', t, '--node', 'h', '--nft', '-a');
      expect(a.stdout).toBe(readFileSync(join(corpus, '_kernel-roundtrip', `${f}.listed-a`), 'utf8'));
    });
  }
});

describe('the add-one-service partial sync, through a scenario', () => {
  it('nflab save --after SCENARIO --nft: the 12-Service topology, then nft -f - of the add-one file, lists as the kernel did', () => {
    const t = topo('add-one', `{ file: ${join(corpus, 'kube-proxy-nftables-12-services.nft')} }`);
    const sc = join(tmp, 'add-one-scenario.yaml');
    const stdin = readFileSync(join(corpus, 'kube-proxy-nftables-add-one-service.nft'), 'utf8');
    writeFileSync(
      sc,
      `topology: ${t}\nseed: 1\nsteps:\n  - exec:\n      on: h\n      cmd: nft -f -\n      stdin: |\n${stdin.replace(/^/gm, '        ').trimEnd()}\n`,
    );
    const r = nflab('save', t, '--node', 'h', '--nft', '-a', '--after', sc);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(readFileSync(join(corpus, '_kernel-roundtrip', 'kube-proxy-nftables-add-one-service.listed-a'), 'utf8'));
  });
});

describe('a bad nftables: block is reported inside the topology file', () => {
  it("names the topology file, the line and column of the inline text, and nft's message; exit 1", () => {
    const t = topo('bad', '|\n      table ip t {\n        chain c {\n          jump nowhere\n        }\n      }');
    const r = nflab('check', t);
    expect(r.code).toBe(1);
    // `nowhere` is on line 9 of the YAML file, column 16 (block indented 6, rule indented 4 more).
    expect(r.stderr).toContain(`${t}:9:16: nftables: Error: Could not process rule: No such file or directory`);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});

describe('nft inside exec steps', () => {
  it('nft -f - with stdin, nft add/insert/list/delete/flush, nft -c, and refusals that change nothing', () => {
    const t = topo(
      'ex',
      '|\n      table inet f {\n        chain in {\n          type filter hook input priority 0; policy accept;\n        }\n      }',
    );
    const sc = join(tmp, 'ex-scenario.yaml');
    writeFileSync(
      sc,
      `topology: ${t}
seed: 1
steps:
  - exec:
      on: h
      cmd: nft -f -
      stdin: |
        add set inet f allow { type ipv4_addr ; flags interval ; }
        add element inet f allow { 10.0.0.0/8 }
  - exec: { on: h, cmd: "nft add rule inet f in ip saddr @allow accept" }
  - exec: { on: h, cmd: "nft insert rule inet f in tcp dport 22 accept" }
  - exec: { on: h, cmd: "nft -c add rule inet f in tcp dport 23 accept" }
  - exec: { on: h, cmd: "nft add rule inet f in jump nowhere" }
  - exec: { on: h, cmd: "nft -a list ruleset" }
  - exec: { on: h, cmd: "nft delete rule inet f in handle 4" }
  - exec: { on: h, cmd: "nft list chain inet f in" }
  - exec: { on: h, cmd: "nft flush ruleset" }
  - exec: { on: h, cmd: "nft list ruleset" }
`,
    );
    const r = nflab('run', sc, '--json');
    const steps = JSON.parse(r.stdout).steps as Array<{ stdout?: string; stderr?: string; exit_code?: number; output?: string }>;
    const out = (i: number) => JSON.stringify(steps[i]);
    expect(out(4)).toContain('Error: Could not process rule: No such file or directory');
    expect(out(4)).toContain('add rule inet f in jump nowhere');
    expect(out(5)).toContain(
      'table inet f { # handle 1\\n\\tset allow { # handle 2\\n\\t\\ttype ipv4_addr\\n\\t\\tflags interval\\n\\t\\telements = { 10.0.0.0/8 }\\n\\t}\\n\\n\\tchain in { # handle 1\\n\\t\\ttype filter hook input priority filter; policy accept;\\n\\t\\ttcp dport 22 accept # handle 4\\n\\t\\tip saddr @allow accept # handle 3\\n\\t}\\n}\\n',
    );
    expect(out(7)).toContain(
      'table inet f {\\n\\tchain in {\\n\\t\\ttype filter hook input priority filter; policy accept;\\n\\t\\tip saddr @allow accept\\n\\t}\\n}\\n',
    );
    expect(out(9)).not.toContain('table');
  });
});
