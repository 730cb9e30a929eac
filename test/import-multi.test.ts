/**
 * Several bundles make one lab: the docker-port-mapping bundle split in two, as
 * if the client and the Docker host had been snapshotted on two machines. Their
 * eth0s share 198.51.100.0/24 and nothing else joins them, so the import puts a
 * bridge between them, and the published port still answers across it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'nflab.js');
const tmp = scratchDir('nflab-import-multi-');

function nflab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The bundle's header and users/groups, then only the namespaces `keep` accepts. */
function split(text: string, keep: (ns: string) => boolean, host: string): string {
  const parts = text.split(/^(?=#@ns |#@end)/m);
  const head = parts[0].replace(/^#@host .*$/m, `#@host ${host}`);
  return (
    head +
    parts
      .slice(1)
      .filter((p) => p.startsWith('#@end') || keep(p.split('\n')[0]))
      .join('')
  );
}

describe('nflab import with several bundles', () => {
  it('joins interfaces of different hosts on one subnet through a bridge node', () => {
    const text = readFileSync(join(root, 'test/fixtures/bundles/docker-port-mapping.nflab'), 'utf8');
    const a = join(tmp, 'client.nflab');
    const b = join(tmp, 'docker.nflab');
    writeFileSync(
      a,
      split(text, (ns) => ns.endsWith('-client'), 'laptop'),
    );
    writeFileSync(
      b,
      split(text, (ns) => !ns.endsWith('-client'), 'server'),
    );
    const out = join(tmp, 'lab');
    const r = nflab('import', a, b, '-o', out, '--strip-prefix', 'nfi-rt1-');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /warning: .*client\.nflab, .*docker\.nflab: client:eth0, docker-host:eth0 share 198\.51\.100\.0\/24 with nothing joining them in the bundles: joined through a bridge host lan-198\.51\.100\.0-24/,
    );
    expect(r.stderr).toMatch(/lan-198\.51\.100\.0-24: a bridge joining client:eth0, docker-host:eth0 \(hosts on 198\.51\.100\.0\/24\)/);
    const topo = readFileSync(join(out, 'topology.yaml'), 'utf8');
    expect(topo).toMatch(
      /"lan-198\.51\.100\.0-24":[^\n]*\n\s+interfaces:\n\s+br0: \{ kind: bridge \}\n\s+p1: \{ master: br0 \}\n\s+p2: \{ master: br0 \}/,
    );
    expect(topo).toMatch(/- \["lan-198\.51\.100\.0-24:p1", "client:eth0"\]/);
    expect(nflab('check', join(out, 'topology.yaml')).code).toBe(0);
    const sc = join(tmp, 'sc.yaml');
    writeFileSync(
      sc,
      `topology: ${join(out, 'topology.yaml')}
steps:
  - connect: { from: client, to: 198.51.100.1:8080 }
    expect: { result: connected, server: docker-host-web, server_sees: 198.51.100.10 }
`,
    );
    const run = nflab('run', sc);
    expect(run.code, run.stdout).toBe(0);
  });

  it('a bundle with the root namespace: nodes HOST and HOST/NS, veths paired without netns names', () => {
    // As a real host's bundle: the Docker host is the root namespace and the containers are unnamed (docker) namespaces,
    // so no netns id can be resolved by name and every pair is found by peer index and netns id alone.
    const text = readFileSync(join(root, 'test/fixtures/bundles/docker-port-mapping.nflab'), 'utf8')
      .replace(/^#@host .*$/m, '#@host node7')
      .replace(/^#@ns netns nfi-rt1-docker-host$/m, '#@ns root')
      .replace(/^#@ns netns nfi-rt1-docker-host-(\w+)$/gm, '#@ns docker $1')
      .replace(/^nsid \d+ \(iproute2 netns name: .*\)$/gm, '');
    const file = join(tmp, 'root.nflab');
    writeFileSync(file, text);
    const out = join(tmp, 'root');
    const r = nflab('import', file, '-o', out, '--strip-prefix', 'nfi-rt1-');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/warning/);
    const topo = readFileSync(join(out, 'topology.yaml'), 'utf8');
    expect(topo).toMatch(/- \["node7:veth-web", "node7\/web:eth0"\]/);
    expect(topo).toMatch(/- \["node7:veth-db", "node7\/db:eth0"\]/);
    expect(topo).toMatch(/- \["node7:eth0", "node7\/client:eth0"\]/);
    const sc = join(tmp, 'sc-root.yaml');
    writeFileSync(
      sc,
      `topology: ${join(out, 'topology.yaml')}
steps:
  - connect: { from: node7/client, to: 198.51.100.1:8080 }
    expect: { result: connected, server: node7/web, server_sees: 198.51.100.10 }
`,
    );
    const run = nflab('run', sc);
    expect(run.code, run.stdout).toBe(0);
  });
});
