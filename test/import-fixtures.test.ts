/**
 * Real-world bundles (test/fixtures/bundles, rebuilt by make-real-world.sh): a
 * Docker host and a kube-proxy node set up in namespaces as dockerd and
 * kube-proxy set them up, snapshotted on the kernel. They import cleanly
 * through the CLI and the imported labs behave as those hosts did.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'nflab.js');
const tmp = scratchDir('nflab-import-fx-');

function nflab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function importFixture(name: string): string {
  const out = join(tmp, name);
  const r = nflab('import', join(root, 'test/fixtures/bundles', `${name}.nflab`), '-o', out, '--strip-prefix', 'nfi-rw-');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).not.toMatch(/warning|error/);
  expect(r.stderr).toMatch(/nothing approximated/);
  const topo = join(out, 'topology.yaml');
  expect(nflab('check', topo).code).toBe(0);
  return topo;
}

function runScenario(topo: string, steps: string): void {
  const file = join(tmp, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `topology: ${topo}\nseed: 1\nsteps:\n${steps}`);
  const r = nflab('run', file);
  expect(r.code, r.stdout).toBe(0);
}

describe('real-world bundles import cleanly', () => {
  it('a Docker host: published port, the user network, the default bridge and its isolation', () => {
    const topo = importFixture('docker-host');
    runScenario(
      topo,
      `  - connect: { from: client, to: 198.51.100.1:8080 }
    expect: { result: connected, server: web, server_sees: 198.51.100.10, passes: ["docker nat/DOCKER#3"] }
  - name: direct access to the container from outside is dropped in raw PREROUTING
    connect: { from: client, to: 192.0.2.2:80 }
    expect: { result: timeout, passes: ["docker raw/PREROUTING#1"] }
  - name: the default bridge refuses what does not come from it
    connect: { from: client, to: 172.17.0.2:5432 }
    expect: { result: timeout }
  - name: from the default bridge, the published port is served by docker-proxy (nat DOCKER returns for docker0)
    connect: { from: db, to: 198.51.100.1:8080 }
    expect: { result: connected, server: docker, passes: ["docker nat/DOCKER#2"] }
`,
    );
  });

  it('a kube-proxy node: the ClusterIP reaches its three endpoints', () => {
    const topo = importFixture('kube-proxy-node');
    runScenario(
      topo,
      `  - connect: { from: client-pod, to: 172.30.1.1:80, repeat: 30 }
    expect: { result: connected, distribution: { pod1: "10%..60%", pod2: "10%..60%", pod3: "10%..60%" } }
`,
    );
  });
});
