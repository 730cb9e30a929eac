/**
 * The matrix against the kernel, cell by cell: two bundled labs (policy
 * routing: 55 cells of every result; Docker port mapping: 16 cells through
 * DNAT, MASQUERADE and a FORWARD policy) built for real from their export
 * (`nflab export --format netns`), every cell probed in its namespace as the
 * matrix probes it, conntrack flushed in every namespace between cells so that
 * each starts, as a matrix cell does, with no entries.
 *
 * The kernel's answers are kept in matrix-kernel-recorded.ts, so nflab's
 * matrix is checked against them everywhere; where namespaces work the kernel
 * is asked again and must still give them (NFLAB_RECORD_MATRIX=1 rewrites
 * the file instead). A cell is compared by result, answering node and the
 * address the server saw (ports are each side's own ephemeral choice).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopologyFile } from '../../src/topology/load.js';
import type { Topology } from '../../src/topology/model.js';
import { planCells, planMatrix, runMatrix } from '../../src/matrix/matrix.js';
import { CellRunner } from '../../src/matrix/runner.js';
import { KernelLab, kernelAvailable } from '../kernel/harness.js';
import { RECORDED, type KernelCell } from './matrix-kernel-recorded.js';

const root = join(import.meta.dirname, '..', '..');
const LABS = ['policy-routing', 'docker-port-mapping'] as const;
const record = process.env.NFLAB_RECORD_MATRIX === '1';
const k = kernelAvailable();
if (!k.ok) console.warn(`matrix kernel check: the kernel is not asked (${k.why}); nflab is checked against the recorded answers only`);

function topology(name: string): Topology {
  const r = loadTopologyFile(join(root, 'topologies', `${name}.yaml`));
  if (!r.ok) throw new Error(r.error[0].message);
  return r.value;
}

const addrOf = (sees: string | null | undefined) => (sees ? sees.slice(0, sees.lastIndexOf(':')) : null);

/** nflab's matrix of the lab (every source, --to auto), as the kernel answers are kept. */
function nflabCells(name: string): KernelCell[] {
  const topo = topology(name);
  const plan = planMatrix(new CellRunner(topo, 1).base, topo, { from: null, to: null, proto: 'tcp', seed: 1 });
  return runMatrix(topo, plan).map((c) => ({ from: c.from, to: c.to, result: c.result, server: c.server, sees: addrOf(c.server_sees) }));
}

const fresh: Record<string, KernelCell[]> = {};
const labs: KernelLab[] = [];
afterAll(() => {
  for (const l of labs) l.down();
  if (record && Object.keys(fresh).length === LABS.length) {
    const body = JSON.stringify(fresh, null, 2);
    writeFileSync(
      join(import.meta.dirname, 'matrix-kernel-recorded.ts'),
      `/** The kernel's answers to matrix-kernel.test.ts's cells (NFLAB_RECORD_MATRIX=1 writes this file). */\n` +
        `export interface KernelCell {\n  from: string;\n  to: string;\n  result: string;\n  server: string | null;\n  sees: string | null;\n}\n\n` +
        `export const RECORDED: Record<string, KernelCell[]> = ${body};\n`,
    );
  }
});

describe('the matrix against the kernel', () => {
  it.each(LABS)("%s: nflab gives the kernel's recorded answer in every cell", (name) => {
    const recorded = RECORDED[name];
    expect(recorded.length).toBeGreaterThanOrEqual(16);
    const ours = nflabCells(name);
    expect(ours.map((c) => c.to + ' ' + c.from)).toEqual(recorded.map((c) => c.to + ' ' + c.from));
    // Includes a container connecting to its own published port: the bridge port has hairpin_mode off, so the kernel times out.
    expect(ours).toEqual(recorded);
  });

  it('covers at least 30 cells on one lab and every kind of result', () => {
    expect(RECORDED['policy-routing'].length).toBeGreaterThanOrEqual(30);
    const results = new Set(Object.values(RECORDED).flatMap((cells) => cells.map((c) => c.result)));
    expect([...results].sort()).toEqual(['connected', 'no-route', 'timeout', 'unreachable']);
  });

  it.skipIf(!k.ok).each(LABS)(
    `%s: the kernel still answers as recorded, cell by cell (${k.why})`,
    (name) => {
      const topo = topology(name);
      const lab = KernelLab.up(topo, { prefix: `nm${process.pid}x${labs.length + 1}` });
      labs.push(lab);
      const plan = planMatrix(new CellRunner(topo, 1).base, topo, { from: null, to: null, proto: 'tcp', seed: 1 });
      const cells: KernelCell[] = [];
      for (const c of planCells(plan)) {
        for (const n of topo.nodes) lab.exec(n.name, ['conntrack', '-F']);
        const [ip, port] = c.to.split(':');
        let a = lab.connect(c.from, ip, Number(port), { line: `nflab matrix ${c.to}` });
        // A probe that times out under load is asked once more before it counts (KERNEL-LAB-NOTES).
        if (a.result === 'timeout') a = lab.connect(c.from, ip, Number(port), { line: `nflab matrix ${c.to}` });
        cells.push({ from: c.from, to: c.to, result: a.result, server: a.server ?? null, sees: addrOf(a.serverSees) });
      }
      lab.down();
      fresh[name] = cells;
      if (!record) expect(cells).toEqual(RECORDED[name]);
    },
    300_000,
  );
});
