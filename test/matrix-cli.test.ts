/** `nflab matrix` as users run it: the built program on bundled topologies and edited copies of them. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'nflab.js');
const kube = join(root, 'topologies', 'kube-proxy.yaml');
const docker = join(root, 'topologies', 'docker-port-mapping.yaml');
const tmp = scratchDir('nflab-matrix-');

function nflab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Cell {
  from: string;
  to: string;
  proto: string;
  result: string;
  server: string | null;
  server_sees: string | null;
  decided_by: {
    node: string;
    table: string;
    chain: string;
    rule: number | null;
    target?: string;
    policy?: boolean;
    rule_text?: string;
  } | null;
}

const SERVICES = ['10.96.0.10:80', '10.244.1.1:30080', '192.0.2.1:30080'];
const PODS = ['10.244.1.2:8080', '10.244.1.3:8080', '10.244.1.4:8080'];
const KUBE_NODES = ['client', 'node1', 'node1/web-a', 'node1/web-b', 'node1/web-c', 'node1/client-pod'];
/** The DNAT rule of the endpoint that seed 1 picks for every Service cell (web-a). */
const WEB_A_DNAT =
  '-A KUBE-SEP-UIQK3OSOSTRHRPBX -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.2:8080';

function withoutLine(file: string, line: string, name: string): string {
  const text = readFileSync(file, 'utf8');
  const kept = text
    .split('\n')
    .filter((l) => l.trim() !== line)
    .join('\n');
  expect(kept).not.toBe(text);
  const out = join(tmp, name);
  writeFileSync(out, kept);
  return out;
}

describe('nflab matrix', () => {
  it('finds the kube-proxy lab ClusterIP, NodePorts on every node address and pod sockets, and names the DNAT that decided', () => {
    const r = nflab('matrix', kube, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const cells = (JSON.parse(r.stdout) as { cells: Cell[] }).cells;
    expect([...new Set(cells.map((c) => c.to))].sort()).toEqual([...SERVICES, ...PODS].sort());
    expect([...new Set(cells.map((c) => c.from))]).toEqual(KUBE_NODES);
    expect(cells).toHaveLength(36);
    for (const c of cells) {
      expect(Object.keys(c)).toEqual(['from', 'to', 'proto', 'result', 'server', 'server_sees', 'decided_by']);
      expect(c.result).toBe('connected');
      if (PODS.includes(c.to)) {
        expect(c.decided_by).toBeNull();
        expect(c.server).toBe(`node1/web-${'abc'[PODS.indexOf(c.to)]}`);
      } else {
        expect(c.decided_by).toMatchObject({ node: 'node1', table: 'nat', chain: 'KUBE-SEP-UIQK3OSOSTRHRPBX', rule: 2, target: 'DNAT' });
        expect(c.decided_by!.rule_text).toBe(WEB_A_DNAT);
        expect(c.server).toBe('node1/web-a');
      }
    }
    // Masqueraded when it came from outside the pod network: the pod sees the node's cni0 address.
    expect(cells.find((c) => c.from === 'client' && c.to === '10.96.0.10:80')!.server_sees).toMatch(/^10\.244\.1\.1:/);
  });

  it('gives the same matrix on every run, and a grid that fits 80 columns with its legend', () => {
    const a = nflab('matrix', kube);
    const b = nflab('matrix', kube);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    // The grid and legend fit; the list of deciding rules below them quotes rules whole.
    for (const line of a.stdout.split('\nnot reached')[0].split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(a.stdout).toContain('legend: + reached   * reached through DNAT/REDIRECT');
    expect(a.stdout).toMatch(/^10\.96\.0\.10:80 +(\* +){5}\* +DNAT node1 KUBE-SERVICES$/m);
    expect(a.stdout).toMatch(/^192\.0\.2\.1:30080 +(\* +){5}\* +DNAT node1 KUBE-NODEPORTS$/m);
    expect(a.stdout).toMatch(/^10\.244\.1\.2:8080 +(\+ +){5}\+ +listen node1\/web-a$/m);
  });

  it('--against shows exactly the Service cells a deleted KUBE-SEP DNAT rule moves to another endpoint, and exits 1', () => {
    const b = withoutLine(kube, WEB_A_DNAT, 'kube-no-sep.yaml');
    const r = nflab('matrix', kube, '--against', b, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const diffs = (JSON.parse(r.stdout) as { differences: Array<{ from: string; to: string; proto: string; a: Cell; b: Cell }> })
      .differences;
    expect(diffs.map((d) => `${d.from} ${d.to}`).sort()).toEqual(SERVICES.flatMap((s) => KUBE_NODES.map((n) => `${n} ${s}`)).sort());
    for (const d of diffs) {
      expect(Object.keys(d)).toEqual(['from', 'to', 'proto', 'a', 'b']);
      expect(d.a.server).toBe('node1/web-a');
      expect(d.b.result).toBe('connected');
      expect(d.b.server).not.toBe('node1/web-a');
      expect(d.b.decided_by?.chain).not.toBe('KUBE-SEP-UIQK3OSOSTRHRPBX');
    }
    const text = nflab('matrix', kube, '--against', b);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^18 of 36 cells differ/);
    expect(text.stdout).toContain('server node1/web-a → node1/web-b');
  });

  it('--against names a rule that starts dropping a published port, and the cells it breaks', () => {
    const b = join(tmp, 'docker-drop.yaml');
    writeFileSync(
      b,
      readFileSync(docker, 'utf8').replace(
        '-A DOCKER-USER -j RETURN',
        '-A DOCKER-USER -p tcp -m tcp --dport 80 -j DROP\n      -A DOCKER-USER -j RETURN',
      ),
    );
    const r = nflab('matrix', docker, '--against', b, '--json');
    expect(r.code).toBe(1);
    const diffs = (JSON.parse(r.stdout) as { differences: Array<{ from: string; to: string; a: Cell; b: Cell }> }).differences;
    expect(diffs.length).toBeGreaterThan(0);
    for (const d of diffs) {
      expect(d.b.result).toBe('timeout');
      expect(d.b.decided_by).toMatchObject({ node: 'docker-host', table: 'filter', chain: 'DOCKER-USER', rule: 1 });
      expect(d.b.decided_by!.rule_text).toBe('-A DOCKER-USER -p tcp -m tcp --dport 80 -j DROP');
    }
    // Only forwarded traffic passes FORWARD: the client's cells break, docker-host's own connections do not.
    expect(diffs.some((d) => d.from === 'client' && d.to === '198.51.100.1:8080')).toBe(true);
    expect(diffs.some((d) => d.from === 'docker-host')).toBe(false);
  });

  it('--against the same topology prints no difference and exits 0', () => {
    const r = nflab('matrix', docker, '--against', docker);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^no difference: all 16 cells are the same/);
  });

  it('names the policy that dropped a cell, in the grid and the list under it', () => {
    const r = nflab('matrix', docker);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^172\.17\.0\.3:5432 +T +\+ +\+ +\+ +listen docker-host\/db$/m);
    expect(r.stdout).toContain('client → 172.17.0.3:5432: timeout; docker-host filter/FORWARD policy DROP');
    const j = JSON.parse(nflab('matrix', docker, '--json', '--from', 'client', '--to', '172.17.0.3:5432').stdout) as { cells: Cell[] };
    expect(j.cells).toEqual([
      {
        from: 'client',
        to: '172.17.0.3:5432',
        proto: 'tcp',
        result: 'timeout',
        server: null,
        server_sees: null,
        decided_by: expect.objectContaining({
          node: 'docker-host',
          hook: 'FORWARD',
          chain: 'FORWARD',
          rule: null,
          verdict: 'DROP',
          policy: true,
        }),
      },
    ]);
  });

  it('wraps many sources into blocks of lettered or numbered columns within 80 columns', () => {
    const ns = Array.from({ length: 30 }, (_, i) => i + 1);
    const file = join(tmp, 'many.yaml');
    writeFileSync(
      file,
      `name: many\nhosts:\n  hub:\n    interfaces:\n      br0: { kind: bridge, addr: 10.0.0.1/24 }\n` +
        ns.map((i) => `      v${i}: { master: br0 }\n`).join('') +
        `    listen: [ tcp:80 ]\n    namespaces:\n` +
        ns.map((i) => `      n${i}:\n        interfaces:\n          eth0: { addr: 10.0.0.${i + 10}/24 }\n`).join('') +
        `links:\n` +
        ns.map((i) => `  - [hub/n${i}:eth0, hub:v${i}]\n`).join(''),
    );
    const r = nflab('matrix', file, '--to', '10.0.0.1:80');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    const headers = lines.filter((l) => l.startsWith('destination'));
    expect(headers.length).toBeGreaterThan(1);
    expect(headers[0]).toMatch(/^destination +1 +2 +3/);
    expect(
      lines
        .filter((l) => l.startsWith('10.0.0.1:80'))
        .join(' ')
        .match(/\+/g),
    ).toHaveLength(31);
  });

  it('refuses bad input with one line and exit 2', () => {
    const cases: Array<[string[], RegExp]> = [
      [[kube, '--from', 'client,nope'], /^nflab: --from: no node "nope"; nodes: client, node1/],
      [[kube, '--to', '10.96.0.10'], /^nflab: --to takes auto or IP:PORT,\.\.\., not "10\.96\.0\.10"/],
      [[kube, '--to', '10.96.0.10:0'], /not "10\.96\.0\.10:0"/],
      [[kube, '--proto', 'icmp'], /^nflab: --proto is tcp or udp/],
      [[kube, '--jobs', '0'], /^nflab: --jobs takes a whole number, 1 or more/],
      [[], /^nflab: matrix needs one topology file/],
    ];
    for (const [args, msg] of cases) {
      const r = nflab('matrix', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, 'name: bad\nhosts:\n  a:\n    interfaces: { eth0: { addr: 10.0.0.1/99 } }\n');
    const r = nflab('matrix', bad);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.yaml:4:\d+: /);
  });

  it('says there is nothing to probe in a lab with no listener and no DNAT, rather than printing an empty grid', () => {
    const file = join(tmp, 'quiet.yaml');
    writeFileSync(
      file,
      'name: quiet\nhosts:\n  a:\n    interfaces: { eth0: { addr: 10.0.0.1/24 } }\n  b:\n    interfaces: { eth0: { addr: 10.0.0.2/24 } }\nlinks:\n  - [a:eth0, b:eth0]\n',
    );
    const r = nflab('matrix', file);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^nflab: nothing to probe: no node listens on tcp and no DNAT or REDIRECT rule/);
  });

  it('prints byte for byte the same matrix on one thread and across worker threads', () => {
    // Listeners, Services, a closed port, an address nobody has: 72 cells, enough to start workers.
    const to = [
      ...SERVICES,
      ...PODS,
      '10.244.1.2:81',
      '10.244.1.9:8080',
      '192.0.2.1:22',
      '10.96.0.10:443',
      '10.244.1.1:8080',
      '192.0.2.10:80',
    ];
    const one = nflab('matrix', kube, '--to', to.join(','), '--json', '--jobs', '1');
    const three = nflab('matrix', kube, '--to', to.join(','), '--json', '--jobs', '3');
    expect(one.code).toBe(0);
    expect(three.stderr).toBe('');
    expect(three.stdout).toBe(one.stdout);
    const cells = (JSON.parse(one.stdout) as { cells: Cell[] }).cells;
    expect(cells).toHaveLength(72);
    expect(new Set(cells.map((c) => c.result))).toEqual(new Set(['connected', 'refused', 'timeout']));
    expect(nflab('matrix', kube, '--to', to.join(','), '--jobs', '2').stdout).toBe(nflab('matrix', kube, '--to', to.join(',')).stdout);
  });

  it('runs kube-proxy-5000 across threads as on one, each cell as on a fresh lab', () => {
    const big = join(root, 'topologies', 'kube-proxy-5000.yaml');
    // svc0 (two pods), the NodePort of svc0, a Service with no pod in the lab, svc5000 (not in the rules yet).
    const to = ['10.96.0.10:9090', '192.168.0.1:30000', '10.96.0.11:9090', '10.96.19.146:9090'];
    const from = 'client,node,node/svc0-a,node/svc5001-b';
    const args = ['matrix', big, '--from', from, '--to', [...to, ...to.map((t) => t.replace(/:\d+$/, ':1'))].join(','), '--json'];
    const one = nflab(...args, '--jobs', '1');
    const two = nflab(...args, '--jobs', '2');
    expect(one.code).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    const cells = (JSON.parse(one.stdout) as { cells: Cell[] }).cells;
    const svc0 = cells.filter((c) => c.to === '10.96.0.10:9090');
    // The node has no default route, so its own connection to a ClusterIP fails before nat OUTPUT could DNAT it.
    expect(svc0.map((c) => c.result)).toEqual(['connected', 'no-route', 'connected', 'connected']);
    expect(svc0.filter((c) => c.result === 'connected').every((c) => c.decided_by?.target === 'DNAT')).toBe(true);
    expect(cells.filter((c) => c.to === '10.96.19.146:9090').every((c) => c.result !== 'connected')).toBe(true);
  });

  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!hasScript)("counts cells on a terminal's stderr and clears the line before the grid (under script(1)'s pty)", () => {
    const log = join(tmp, 'pty.log');
    const r = spawnSync('script', ['-qec', `${process.execPath} ${bin} matrix ${kube} --from client`, log], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const out = readFileSync(log, 'utf8');
    const CLEAR_LINE = '\r\u001b[K';
    expect(out).toContain(`\rnflab matrix: 6/6 cells${CLEAR_LINE}kube-proxy: tcp, 1 source × 6 destinations, seed 1`);
    // Not a terminal (the other tests): nothing on stderr.
    expect(nflab('matrix', kube, '--from', 'client').stderr).toBe('');
  });

  it('runs the nftables twin of kube-proxy-5000 across threads as on one', () => {
    const big = join(root, 'topologies', 'kube-proxy-5000-nftables.yaml');
    // svc0 (two pods), its NodePort, a Service with no pod in the lab, svc5000 (not in the ruleset yet).
    const to = ['172.30.0.10:80', '192.168.0.2:30000', '172.30.0.11:80', '172.30.19.146:80', '192.168.0.2:1'];
    const args = ['matrix', big, '--from', 'client,node,node/svc0-a,node/svc5001-b', '--to', to.join(','), '--json'];
    const one = nflab(...args, '--jobs', '1');
    const two = nflab(...args, '--jobs', '2');
    expect(one.code).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    const cells = (JSON.parse(one.stdout) as { cells: Cell[] }).cells;
    const to0 = (addr: string) => cells.filter((c) => c.to === addr).map((c) => c.result);
    // As in the iptables twin, the node itself has no route to a ClusterIP; a NodePort it reaches through nat output.
    expect(to0('172.30.0.10:80')).toEqual(['connected', 'no-route', 'connected', 'connected']);
    expect(to0('192.168.0.2:30000')).toEqual(Array(4).fill('connected'));
    expect(cells.filter((c) => c.result === 'connected').every((c) => c.decided_by?.rule_text?.includes('dnat to 10.180.0.'))).toBe(true);
    expect(to0('172.30.19.146:80')).not.toContain('connected');
    expect(to0('192.168.0.2:1')).toEqual(Array(4).fill('refused'));
  });

  it("--after takes the matrix of the state a scenario's exec steps leave, and --against with it shows what they changed", () => {
    const scenario = join(root, 'scenarios', 'docker-port-mapping.yaml');
    const after = nflab('matrix', docker, '--after', scenario);
    expect(after.stderr).toBe('');
    expect(after.code).toBe(0);
    expect(after.stdout.split('\n')[0]).toBe(`docker-port-mapping after ${scenario}: tcp, 4 sources × 2 destinations, seed 1`);
    // The scenario flushes nat/DOCKER: the published port is no longer a destination; the containers still listen.
    expect(after.stdout).not.toMatch(/:8080/);
    expect(after.stdout).toMatch(/^172\.17\.0\.2:80 {5}\+ {2}\+ {2}\+ {2}\+ {2}listen docker-host\/web$/m);

    const diff = nflab('matrix', docker, '--against', docker, '--after', scenario, '--json');
    expect(diff.code).toBe(1);
    const d = (JSON.parse(diff.stdout) as { differences: Array<{ from: string; to: string; a: Cell; b: Cell }> }).differences;
    expect(d.map((x) => x.to).sort()).toEqual([...Array(4).fill('172.17.0.1:8080'), ...Array(4).fill('198.51.100.1:8080')]);
    for (const x of d) {
      // The container's own published port: its bridge port is not in hairpin mode, so the DNATed SYN is lost (as in the kernel).
      if (x.from === 'docker-host/web') expect([x.a.result, x.a.decided_by]).toEqual(['timeout', null]);
      else expect([x.a.result, x.a.decided_by?.chain, x.a.decided_by?.target]).toEqual(['connected', 'DOCKER', 'DNAT']);
      expect([x.b.result, x.b.decided_by]).toEqual(['refused', null]);
    }
    const text = nflab('matrix', docker, '--against', docker, '--after', scenario);
    expect(text.stdout.split('\n')[0]).toBe(`8 of 16 cells differ (a: ${docker}, b: ${docker} after ${scenario}):`);

    // A scenario whose exec steps leave the rules as they were changes nothing.
    const same = join(tmp, 'noop.yaml');
    writeFileSync(
      same,
      `name: noop\ntopology: ${docker}\nsteps:\n  - exec: { on: docker-host, cmd: "iptables -N X" }\n  - exec: { on: docker-host, cmd: "iptables -X X" }\n`,
    );
    const none = nflab('matrix', docker, '--against', docker, '--after', same);
    expect([none.code, none.stdout]).toEqual([0, `no difference: all 16 cells are the same in ${docker} and ${docker} after ${same}\n`]);
  });

  it('--after refuses a scenario that runs commands on a node the topology lacks, or does not load', () => {
    const r = nflab('matrix', kube, '--after', join(root, 'scenarios', 'docker-port-mapping.yaml'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^nflab: --after .*docker-port-mapping\.yaml: an exec step runs on "docker-host", which .*kube-proxy\.yaml has no node for\n$/,
    );
    const missing = nflab('matrix', kube, '--after', join(tmp, 'nope.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });
});
