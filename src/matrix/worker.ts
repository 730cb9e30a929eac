/**
 * A worker thread of pool.ts: builds its own lab once (its own copy of the
 * compiled rules: threads share no objects) and runs the batches of cells it is
 * sent, answering each batch with its results in the order given.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Topology } from '../topology/model.js';
import type { CellSpec, LabCommand } from './cell.js';
import { CellRunner } from './runner.js';

export interface WorkerSetup {
  topo: Topology;
  seed: number;
  after: LabCommand[];
  traces: boolean;
}

export interface WorkerBatch {
  batch: number;
  cells: CellSpec[];
}

const setup = workerData as WorkerSetup;
const runner = new CellRunner(setup.topo, setup.seed, setup.after);
parentPort!.on('message', (m: WorkerBatch) => {
  parentPort!.postMessage({ batch: m.batch, results: m.cells.map((c) => runner.run(c, setup.traces)) });
});
