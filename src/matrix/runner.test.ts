/**
 * One lab put back between cells answers exactly as a fresh lab per cell: on
 * every bundled lab, in the plan's order and backwards (so no cell can lean on
 * what an earlier one left), and on rules that keep state of their own.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.js';
import { loadTopologyFile } from '../topology/load.js';
import { load } from '../topology/testing/testkit.js';
import type { Topology } from '../topology/model.js';
import { runCell, type CellSpec, type LabCommand } from './cell.js';
import { destinationText, type Proto } from './destinations.js';
import { planCells, planMatrix } from './matrix.js';
import { CellRunner } from './runner.js';

const dir = join(import.meta.dirname, '..', '..', 'topologies');
/**
 * The 5,000-Service labs take seconds per fresh lab and have hundreds of cells, so comparing every cell with a
 * fresh build never ends in CI; istio's looping cells take 20,000 events each. All three run in matrix-cli.test.ts.
 */
const SLOW = new Set(['kube-proxy-5000.yaml', 'kube-proxy-5000-nftables.yaml', 'istio-sidecar.yaml']);

function topology(file: string): Topology {
  const r = loadTopologyFile(join(dir, file));
  if (!r.ok) throw new Error(r.error[0].message);
  return r.value;
}

/** Every auto cell, plus cells to a port nobody listens on and to an address nobody has. */
function cellsOf(topo: Topology, proto: Proto): CellSpec[] {
  const built = Lab.build(topo, { seed: 1, record: false });
  if (!built.ok) throw new Error(built.error[0].message);
  const plan = planMatrix(built.value, topo, { from: null, to: null, proto, seed: 1 });
  const extra = plan.to.length ? [{ ...plan.to[0], port: 1 }] : [];
  const cells = planCells({ ...plan, to: [...plan.to, ...extra, { addr: 0x0a636363, port: 80, why: 'given' }] });
  return cells.map((c) => ({ ...c, to: c.to.includes(':') ? c.to : destinationText({ addr: 0, port: 0 }) }));
}

function both(topo: Topology, cells: CellSpec[], seed = 1, after: LabCommand[] = []) {
  const runner = new CellRunner(topo, seed, after);
  const fresh = cells.map((c) => runCell(topo, seed, c, after));
  const forward = cells.map((c) => runner.run(c));
  const backward = [...cells].reverse().map((c) => runner.run(c));
  return { runner, fresh, forward, backward: backward.reverse() };
}

describe('CellRunner', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && !SLOW.has(f));
  it.each(files)('%s: every cell as on a fresh lab, whatever the order', (file) => {
    const topo = topology(file);
    for (const proto of ['tcp', 'udp'] as const) {
      const cells = cellsOf(topo, proto);
      const r = both(topo, cells);
      expect(r.runner.freshReason).toBeNull();
      expect(JSON.stringify(r.forward)).toBe(JSON.stringify(r.fresh));
      expect(JSON.stringify(r.backward)).toBe(JSON.stringify(r.fresh));
    }
  });

  it('keeps one lab even for cells that leave conntrack entries, ARP entries and sockets behind', () => {
    const topo = topology('kube-proxy.yaml');
    const runner = new CellRunner(topo, 1);
    const cell = { from: 'client', to: '10.96.0.10:80', proto: 'tcp' as const };
    const first = runner.run(cell);
    // A second connection on a lab that kept the first one's state would get another source port and endpoint draw.
    expect(runner.run(cell)).toEqual(first);
    expect(runner.base.modulesOf('node1')!.conntrack.entries().length).toBeGreaterThan(0);
    expect(runner.run(cell)).toEqual(first);
  });

  const nth = (rule: string) =>
    load(`
      name: stateful
      hosts:
        a:
          interfaces: { eth0: { addr: 10.0.0.1/24 } }
        b:
          interfaces: { eth0: { addr: 10.0.0.2/24 } }
          listen: [ tcp:80 ]
          iptables: |
            *filter
            :INPUT ACCEPT [0:0]
            ${rule}
            COMMIT
      links:
        - [a:eth0, b:eth0]
    `);

  it.each([
    ['-A INPUT -p tcp -m statistic --mode nth --every 2 --packet 0 -j DROP', '-m statistic --mode nth'],
    ['-A INPUT -p tcp -m limit --limit 1/hour --limit-burst 1 -j ACCEPT\n            -A INPUT -p tcp --syn -j DROP', '-m limit'],
  ])('builds a fresh lab per cell where a rule keeps state of its own (%s)', (rule, why) => {
    const topo = nth(rule);
    const cells = [1, 2, 3].map(() => ({ from: 'a', to: '10.0.0.2:80', proto: 'tcp' as const }));
    const r = both(topo, cells);
    expect(r.runner.freshReason).toBe(`${why} keeps state between packets`);
    expect(r.forward).toEqual(r.fresh);
    // Every cell is its lab's first connection, so all agree.
    expect(new Set(r.forward.map((c) => JSON.stringify(c))).size).toBe(1);
  });

  it('builds a fresh lab per cell where an nft numgen inc counts, its count kept with its rule', () => {
    const topo = load(`
      name: numgen
      hosts:
        a:
          interfaces: { eth0: { addr: 10.0.0.1/24 } }
        b:
          interfaces: { eth0: { addr: 10.0.0.2/24 } }
          listen: [ tcp:80 ]
          nftables: |
            table inet t {
              chain c {
                type filter hook input priority 0;
                tcp flags syn numgen inc mod 2 vmap { 0 : accept, 1 : drop }
              }
            }
      links:
        - [a:eth0, b:eth0]
    `);
    const cells = [1, 2, 3].map(() => ({ from: 'a', to: '10.0.0.2:80', proto: 'tcp' as const }));
    const r = both(topo, cells);
    expect(r.runner.freshReason).toBe('nft numgen inc keeps state between packets');
    expect(r.forward).toEqual(r.fresh);
    expect(new Set(r.forward.map((c) => JSON.stringify(c))).size).toBe(1);
    expect(r.forward[0].result).toBe('connected');
  });

  it('runs --after commands before every cell, on the put-back lab as on fresh ones', () => {
    const topo = topology('kube-proxy.yaml');
    const after = [{ on: 'node1', cmd: 'iptables -I FORWARD 1 -p tcp --dport 8080 -j DROP', stdin: null }];
    const cells = cellsOf(topo, 'tcp');
    const r = both(topo, cells, 1, after);
    expect(JSON.stringify(r.forward)).toBe(JSON.stringify(r.fresh));
    // The client's connections cross node1's FORWARD to reach any pod, through a Service or not.
    const client = r.forward.filter((c) => c.from === 'client' && !c.to.endsWith(':1') && !c.to.startsWith('10.99.'));
    expect(client.length).toBe(6);
    for (const c of client) expect([c.to, c.result, c.decided_by?.chain]).toEqual([c.to, 'timeout', 'FORWARD']);
  });
});
