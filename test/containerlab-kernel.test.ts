/**
 * The containerlab export's start-up scripts, run on the kernel: containerlab
 * itself is not installed here, so the test does what it would (one network
 * namespace per container, the links as veth pairs with their names, then
 * `sh /nflab/setup.sh` in each) and sends traffic through the result.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kernelAvailable } from './kernel/harness.js';
import { loadTopologyFile } from '../src/topology/load.js';
import { scratchDir } from '../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'nflab.js');
const k = kernelAvailable();
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const ok = k.ok && has('socat');

function sh(cmd: string) {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

describe.skipIf(!ok)(
  `containerlab export, its setup scripts on the kernel (${ok ? k.why : k.ok ? 'socat is not installed' : k.why})`,
  () => {
    const p = `nfi-${process.pid}-cl`;
    const out = scratchDir('nflab-clab-k-');
    let nodes: string[] = [];
    const ns = (node: string) => `${p}-${node}`;

    beforeAll(() => {
      const r = spawnSync(
        process.execPath,
        [bin, 'export', join(root, 'topologies/docker-port-mapping.yaml'), '--format', 'containerlab', '-o', out],
        {
          encoding: 'utf8',
        },
      );
      if (r.status !== 0) throw new Error(r.stderr);
      const clab = parse(readFileSync(r.stdout.trim(), 'utf8')) as {
        topology: { nodes: Record<string, { binds: string[] }>; links: Array<{ endpoints: string[] }> };
      };
      nodes = Object.keys(clab.topology.nodes);
      for (const n of nodes) expect(sh(`ip netns add ${ns(n)}`).code).toBe(0);
      for (const l of clab.topology.links) {
        const [a, b] = l.endpoints.map((e) => e.split(':'));
        const add = sh(`ip link add name ${a[1]} netns ${ns(a[0])} type veth peer name ${b[1]} netns ${ns(b[0])}`);
        expect(add.code, add.stderr).toBe(0);
        sh(`ip -n ${ns(a[0])} link set ${a[1]} up; ip -n ${ns(b[0])} link set ${b[1]} up`);
      }
      for (const [n, spec] of Object.entries(clab.topology.nodes)) {
        const script = join(out, spec.binds[0].split(':')[0]);
        const s = sh(`ip netns exec ${ns(n)} sh ${script}`);
        expect(s.code, `${n}: ${s.stderr}`).toBe(0);
        expect(s.stderr, n).toBe('');
      }
      // Bridge ports forward only once they have left the listening state.
      sh(
        `for i in $(seq 1 40); do ip -n ${ns('docker-host')} -d link show veth-web | grep -q 'state forwarding' && break; sleep 0.1; done; sleep 0.3`,
      );
    });

    afterAll(() => {
      for (const n of nodes) {
        sh(`for pid in $(ip netns pids ${ns(n)}); do kill -KILL $pid; done; ip netns delete ${ns(n)}`);
      }
    });

    it('the published port reaches the container, which sees the client', () => {
      const r = sh(`echo hello | ip netns exec ${ns('client')} socat -t 2 - TCP:198.51.100.1:8080,connect-timeout=3`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^peer=198\.51\.100\.10 port=\d+\nhello\n$/);
    });

    it('the rules, MACs and sysctls are those of the topology', () => {
      const topo = loadTopologyFile(join(root, 'topologies/docker-port-mapping.yaml'));
      if (!topo.ok) throw new Error('the bundled topology does not load');
      const norm = (t: string) => t.replace(/^#.*\n/gm, '').replace(/\[\d+:\d+\]/g, '[0:0]');
      for (const n of topo.value.nodes) {
        const c = n.name.replace('/', '-');
        const kernel = norm(sh(`ip netns exec ${ns(c)} iptables-save`).stdout);
        const nflab = spawnSync(process.execPath, [bin, 'save', join(root, 'topologies/docker-port-mapping.yaml'), '--node', n.name], {
          encoding: 'utf8',
        });
        expect(kernel, n.name).toBe(norm(nflab.stdout));
        const links = JSON.parse(sh(`ip -n ${ns(c)} -j link show`).stdout) as Array<{ ifname: string; address: string }>;
        for (const i of n.interfaces)
          if (i.name !== 'lo') expect(links.find((l) => l.ifname === i.name)?.address, `${n.name}:${i.name}`).toBe(i.mac);
      }
      expect(sh(`ip netns exec ${ns('docker-host')} cat /proc/sys/net/ipv4/ip_forward`).stdout.trim()).toBe('1');
      expect(sh(`ip netns exec ${ns('client')} cat /proc/sys/net/ipv4/ip_forward`).stdout.trim()).toBe('0');
    });
  },
);
