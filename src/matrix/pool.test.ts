/**
 * The pool as a front end drives it: progress after every batch, the answer in
 * the plan's order whatever the batching, and a signal that stops it early.
 * (From TypeScript sources there is no compiled worker, so the cells run in
 * this thread, in the same batches; matrix-cli.test.ts runs the threads.)
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.js';
import { loadTopologyFile } from '../topology/load.js';
import { planCells, planMatrix, runMatrix } from './matrix.js';
import { MatrixCancelled, runCellsParallel } from './pool.js';

const file = join(import.meta.dirname, '..', '..', 'topologies', 'kube-proxy.yaml');

function plan() {
  const t = loadTopologyFile(file);
  if (!t.ok) throw new Error(t.error[0].message);
  const lab = Lab.build(t.value, { seed: 1, record: false });
  if (!lab.ok) throw new Error(lab.error[0].message);
  return { topo: t.value, plan: planMatrix(lab.value, t.value, { from: null, to: null, proto: 'tcp', seed: 1 }) };
}

describe('runCellsParallel with a front end waiting', () => {
  it('reports every batch and answers as one straight run does', async () => {
    const { topo, plan: p } = plan();
    const cells = planCells(p);
    const seen: Array<[number, number]> = [];
    const got = await runCellsParallel(topo, 1, cells, { onProgress: (done, total) => seen.push([done, total]) });
    expect(got).toEqual(runMatrix(topo, p));
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.every(([, total]) => total === cells.length)).toBe(true);
    expect(seen.map(([done]) => done)).toEqual([...seen.map(([done]) => done)].sort((a, b) => a - b));
    expect(seen.at(-1)).toEqual([cells.length, cells.length]);
  });

  it('stops between batches when its signal aborts, and says so', async () => {
    const { topo, plan: p } = plan();
    const cells = planCells(p);
    const stop = new AbortController();
    let last = 0;
    const run = runCellsParallel(topo, 1, cells, {
      signal: stop.signal,
      onProgress: (done) => {
        last = done;
        stop.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(MatrixCancelled);
    expect(last).toBeGreaterThan(0);
    expect(last).toBeLessThan(cells.length);
  });

  it('does not start when its signal has already aborted', async () => {
    const { topo, plan: p } = plan();
    let progressed = false;
    const run = runCellsParallel(topo, 1, planCells(p), { signal: AbortSignal.abort(), onProgress: () => (progressed = true) });
    await expect(run).rejects.toBeInstanceOf(MatrixCancelled);
    expect(progressed).toBe(false);
  });
});
