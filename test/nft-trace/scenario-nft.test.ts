/**
 * Scenarios name native nft rules as users read them in `nft -a list`: `expect: counters:` and
 * `passes:`/`not_passes:` take `family`, `table`, `chain` and the rule's `handle` or `comment`.
 * Through the built program, on the bundled iptables-and-nftables topology.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'nflab.js');
const tmp = scratchDir('nflab-nft-scenario-');
const topo = join(root, 'topologies', 'iptables-and-nftables.yaml');

function nflab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function scenario(name: string, steps: string): string {
  const p = join(tmp, `${name}.yaml`);
  writeFileSync(p, `name: ${name}\ntopology: ${topo}\nseed: 1\nsteps:\n${steps}`);
  return p;
}

const PROBES = `  - connect: { from: client, to: 198.51.100.1:8080 }
  - connect: { from: client, to: 198.51.100.1:2222 }
`;

describe('expect: counters of native nft rules', () => {
  it('by handle and by comment, beside an iptables counter', () => {
    const f = scenario(
      'counters',
      `${PROBES}  - expect:
      counters:
        - { node: fw, family: inet, table: host, chain: input, handle: 3, packets: 1 }
        - { node: fw, family: inet, table: host, chain: input, comment: "final: iptables never sees it", packets: 0 }
        - { node: fw, family: ip, table: hostnat, chain: prerouting, handle: 2, packets: 1, bytes: 60 }
        - { node: fw, table: filter, chain: INPUT, rule: 1, packets: 1 }
`,
    );
    const r = nflab('run', f, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const counters = JSON.parse(r.stdout).steps[2].counters;
    expect(counters[0]).toEqual({
      node: 'fw',
      family: 'inet',
      table: 'host',
      chain: 'input',
      rule: null,
      handle: 3,
      packets: 1,
      bytes: 60,
    });
    expect(counters[1]).toMatchObject({ handle: 4, comment: 'final: iptables never sees it', packets: 0 });
  });

  it('a wrong count fails the run, naming the rule as nft does', () => {
    const f = scenario(
      'wrong',
      `${PROBES}  - expect: { counters: { node: fw, family: inet, table: host, chain: input, handle: 3, packets: 2 } }\n`,
    );
    const r = nflab('run', f);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('fw inet host/input handle 3: 2 packets');
    expect(r.stdout).toContain('1 packets');
  });

  it('a rule without a counter statement, and a handle that is not there, are said plainly', () => {
    const f = scenario(
      'nocounter',
      `  - exec: { on: fw, cmd: "nft add rule inet host input tcp dport 7 accept" }
  - expect:
      counters:
        - { node: fw, family: inet, table: host, chain: input, handle: 5 }
        - { node: fw, family: inet, table: host, chain: input, handle: 9 }
`,
    );
    const r = nflab('run', f);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('the rule (handle 5) has no counter statement');
    expect(r.stdout).toContain('inet host/input on fw has no rule with handle 9');
    const c = nflab('check', f);
    expect(c.code).toBe(1);
    expect(c.stderr + c.stdout).toMatch(
      /nocounter\.yaml:9:11: counters "fw inet host\/input handle 9": .*has no rule with handle 9 at this step/,
    );
  });

  it('mistakes in the item are refused at their place', () => {
    const f = scenario(
      'bad',
      `  - expect:
      counters:
        - { node: fw, table: host, chain: input, handle: 3 }
        - { node: fw, family: inet, table: host, chain: input, rule: 1 }
        - { node: fw, family: inet6, table: host, chain: input, handle: 3 }
        - { node: fw, family: inet, table: host, chain: input }
`,
    );
    const r = nflab('check', f);
    expect(r.code).toBe(1);
    const out = r.stderr + r.stdout;
    expect(out).toMatch(/bad\.yaml:7:50: `handle` and `comment` name a native nft rule: add its `family`/);
    expect(out).toMatch(/bad\.yaml:8:64: a native nft rule is named by `handle`/);
    expect(out).toMatch(/bad\.yaml:9:\d+: `family` is one of: ip, ip6, inet, arp, bridge, netdev/);
    expect(out).toMatch(/bad\.yaml:10:\d+: a native nft counter needs the rule/);
  });
});

describe('passes and not_passes name native rules', () => {
  it('by "NODE FAMILY TABLE/CHAIN handle N", by comment, and a base chain policy', () => {
    const f = scenario(
      'passes',
      `  - connect: { from: client, to: 198.51.100.1:8080 }
    expect:
      passes: [ "fw inet host/input handle 3", { node: fw, family: inet, table: host, chain: input, comment: "nft accepts; iptables still runs" } ]
      not_passes: [ "fw inet host/input", "fw ip hostnat/prerouting handle 2" ]
  - connect: { from: client, to: 198.51.100.1:22 }
    expect: { passes: [ "fw inet host/input", "fw ip hostnat/prerouting" ] }
`,
    );
    const r = nflab('run', f);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('nflab check looks native references up in the rules of their moment', () => {
    const f = scenario(
      'checkrefs',
      `  - exec: { on: fw, cmd: "nft delete rule inet host input handle 4" }
  - connect: { from: client, to: 198.51.100.1:80 }
    expect: { passes: [ "fw inet host/input handle 4", "fw inet nohost/input handle 3" ] }
`,
    );
    const r = nflab('check', f);
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toContain(
      'passes "fw inet host/input handle 4": inet host/input on fw has no rule with handle 4 at this step',
    );
    expect(r.stderr + r.stdout).toContain('passes "fw inet nohost/input handle 3": fw has no nftables table inet nohost at this step');
  });

  it('a native rule the packet did not pass fails, and says why not', () => {
    const f = scenario(
      'notpassed',
      `  - connect: { from: client, to: 198.51.100.1:80 }\n    expect: { passes: [ "fw inet host/input handle 4" ] }\n`,
    );
    const r = nflab('run', f);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('the first packet passes fw inet host/input handle 4');
  });
});
