/**
 * `nflab export --format containerlab` through the CLI on every bundled lab:
 * the topology validates against containerlab's published JSON Schema (kept in
 * test/fixtures/containerlab, its source noted there), every nflab link is a
 * containerlab link, and every node's start-up script is valid POSIX sh.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadTopologyFile } from '../topology/load.js';
import { clabNodeName } from './containerlab.js';
import { scratchDir } from '../core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin', 'nflab.js');
const schema = JSON.parse(readFileSync(join(root, 'test/fixtures/containerlab/clab.schema.json'), 'utf8')) as object;
// The schema is draft-07 with editor keywords (markdownDescription) and one draft-2020 keyword (prefixItems) that
// draft-07 validators ignore; strict mode would refuse those, so it is off, and endpoints are checked by hand below.
const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
const tmp = scratchDir('nflab-clab-');
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

interface Clab {
  name: string;
  topology: {
    nodes: Record<string, { kind: string; image: string; binds: string[]; exec: string[] }>;
    links?: Array<{ endpoints: string[] }>;
  };
}

describe('nflab export --format containerlab', () => {
  for (const file of readdirSync(join(root, 'topologies')).filter((f) => f.endsWith('.yaml'))) {
    it(`${file}: valid against containerlab's schema, every node and link, start-up scripts that parse`, () => {
      const out = join(tmp, file);
      const r = spawnSync(process.execPath, [bin, 'export', join(root, 'topologies', file), '--format', 'containerlab', '-o', out], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const clabFile = r.stdout.trim();
      const doc = parse(readFileSync(clabFile, 'utf8')) as Clab;
      const ok = validate(doc);
      expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
      expect(ok).toBe(true);

      const topo = loadTopologyFile(join(root, 'topologies', file));
      if (!topo.ok) throw new Error('bundled topology does not load');
      expect(Object.keys(doc.topology.nodes).sort()).toEqual(topo.value.nodes.map((n) => clabNodeName(n.name)).sort());
      const links = (doc.topology.links ?? []).map((l) => l.endpoints.join(' '));
      for (const l of doc.topology.links ?? []) for (const e of l.endpoints) expect(e).toMatch(/^\S+:\S+$/);
      expect(links).toEqual(topo.value.links.map((l) => `${clabNodeName(l.a.node)}:${l.a.iface} ${clabNodeName(l.b.node)}:${l.b.iface}`));

      for (const [name, node] of Object.entries(doc.topology.nodes)) {
        expect(node.exec).toEqual(['sh /nflab/setup.sh']);
        const script = join(out, node.binds[0].split(':')[0]);
        const text = readFileSync(script, 'utf8');
        expect(text).toContain(`# nflab node ${topo.value.nodes.find((n) => clabNodeName(n.name) === name)!.name}:`);
        expect(spawnSync('sh', ['-n', script]).status, `${script} parses as sh`).toBe(0);
        if (has('shellcheck')) {
          const sc = spawnSync('shellcheck', ['-s', 'sh', '-S', 'warning', script], { encoding: 'utf8' });
          expect(sc.stdout, script).toBe('');
        }
      }
    });
  }

  it('carries rules, routes, sysctls and listeners into the start-up script', () => {
    const out = join(tmp, 'docker');
    spawnSync(process.execPath, [bin, 'export', join(root, 'topologies/docker-port-mapping.yaml'), '--format', 'containerlab', '-o', out]);
    const host = readFileSync(join(out, 'setup/docker-host.sh'), 'utf8');
    // Counters in the topology's text are not loaded (no -c), as nflab loads them.
    expect(host).toMatch(/^iptables-restore <<'NFLAB_RULES'\n\*filter\n/m);
    expect(host).toMatch(/-A DOCKER .*-j DNAT --to-destination 172\.17\.0\.2:80/);
    expect(host).toMatch(/^sw net\/ipv4\/ip_forward 1$/m);
    expect(host).toMatch(/^ip link add name docker0 type bridge$/m);
    const web = readFileSync(join(out, 'setup/docker-host-web.sh'), 'utf8');
    expect(web).toMatch(/^ip route add default via 172\.17\.0\.1$/m);
    expect(web).toMatch(/^nohup socat TCP-LISTEN:80,fork,reuseaddr 'SYSTEM:echo peer=/m);
  });

  it('carries native nftables into the start-up script, after the iptables rules', () => {
    const out = join(tmp, 'both');
    spawnSync(process.execPath, [
      bin,
      'export',
      join(root, 'topologies/iptables-and-nftables.yaml'),
      '--format',
      'containerlab',
      '-o',
      out,
    ]);
    const scripts = readdirSync(join(out, 'setup')).map((f) => readFileSync(join(out, 'setup', f), 'utf8'));
    const withNft = scripts.filter((t) => /^nft -f - <<'NFLAB_NFT'$/m.test(t));
    expect(withNft.length).toBeGreaterThan(0);
    for (const t of withNft) if (t.includes('iptables-restore')) expect(t.indexOf('iptables-restore')).toBeLessThan(t.indexOf('nft -f -'));
  });

  it('a schema violation is caught (the validator is not a no-op)', () => {
    expect(validate({ name: 'x', topology: { nodes: { 'a/b': { kind: 'linux' } } } })).toBe(false);
    expect(validate({ name: 'x', topology: { nodes: { a: { kind: 'linux', exec: 'not a list' } } } })).toBe(false);
  });
});
