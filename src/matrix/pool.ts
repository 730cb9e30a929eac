/**
 * Cells across CPU cores: worker threads (worker.ts) and this thread take
 * batches of cells from one queue as they become free (this thread only when
 * no front end is waiting on it), and every result goes
 * to its cell's place in the plan, so the output is the same whatever the
 * scheduling (and the same as one thread's: matrix-cli.test.ts compares them
 * byte for byte).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Topology } from '../topology/model.js';
import type { CellResult, CellSpec, LabCommand } from './cell.js';
import { CellRunner } from './runner.js';
import type { WorkerBatch, WorkerSetup } from './worker.js';

export interface PoolOptions {
  /** Threads running cells, this one included; default: the CPU cores available. */
  jobs?: number;
  /** Commands run in every lab before its cells (`--after`). */
  after?: readonly LabCommand[];
  /** Give every cell its first packet's trace (for --html). */
  traces?: boolean;
  /** A runner this thread already has for the same topology, seed and commands (saves building another lab). */
  runner?: CellRunner;
  /** Stops the run between batches: the promise rejects with MatrixCancelled and the workers end. */
  signal?: AbortSignal;
  /** Called after every batch with the cells done so far, for a front end's progress line. */
  onProgress?: (done: number, total: number) => void;
}

export class MatrixCancelled extends Error {
  constructor() {
    super('matrix stopped');
  }
}

/** Batches stay small so that the last ones spread over every thread, and this thread answers its workers often. */
const MAX_BATCH = 64;
/** Below this many cells a worker's start-up (a lab of its own) costs more than it saves. */
const MIN_PARALLEL_CELLS = 64;

function workerScript(): URL | null {
  // Run from TypeScript sources (vitest), there is no compiled worker to start: cells then run in this thread.
  const url = new URL('./worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : null;
}

export function defaultJobs(): number {
  return availableParallelism();
}

/** The results of `cells`, in their order. */
export async function runCellsParallel(
  topo: Topology,
  seed: number,
  cells: readonly CellSpec[],
  o: PoolOptions = {},
): Promise<CellResult[]> {
  const after = [...(o.after ?? [])];
  // Built only if this thread runs cells: a 40,000-rule lab takes a while to build.
  let runner = o.runner;
  const local = () => (runner ??= new CellRunner(topo, seed, after));
  const traces = o.traces ?? false;
  const jobs = Math.max(1, Math.floor(o.jobs ?? defaultJobs()));
  const script = workerScript();
  const parallel = jobs > 1 && cells.length >= MIN_PARALLEL_CELLS && script !== null;
  // A front end waits on this thread (a UI's keys, a feed's clients): with threads to spare, it runs no cells.
  const interactive = o.signal !== undefined || o.onProgress !== undefined;
  if (!parallel && !interactive) return cells.map((c) => local().run(c, traces));

  const size = Math.max(1, Math.min(MAX_BATCH, Math.ceil(cells.length / (Math.max(jobs, 2) * 8))));
  const batches: CellSpec[][] = [];
  for (let i = 0; i < cells.length; i += size) batches.push(cells.slice(i, i + size));
  const results: CellResult[][] = new Array<CellResult[]>(batches.length);
  let next = 0;
  let done = 0;

  const setup: WorkerSetup = { topo, seed, after, traces };
  const threads = parallel ? (interactive ? jobs : jobs - 1) : 0;
  const workers = script ? Array.from({ length: threads }, () => new Worker(script, { workerData: setup })) : [];
  let cellsDone = 0;
  let cancel = () => {};
  const onAbort = () => cancel();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const finish = () => {
        if (done === batches.length) resolve();
      };
      const counted = (n: number) => {
        cellsDone += n;
        o.onProgress?.(cellsDone, cells.length);
      };
      cancel = () => reject(new MatrixCancelled());
      if (o.signal?.aborted) return cancel();
      const give = (w: Worker) => {
        if (next >= batches.length) return;
        const batch = next++;
        w.postMessage({ batch, cells: batches[batch] } satisfies WorkerBatch);
      };
      for (const w of workers) {
        w.on('message', (m: { batch: number; results: CellResult[] }) => {
          results[m.batch] = m.results;
          done++;
          counted(m.results.length);
          give(w);
          finish();
        });
        w.on('error', reject);
        // A worker that dies without an error event (killed, out of memory) would otherwise leave its batch unanswered.
        w.on('exit', (code) => {
          if (done < batches.length) reject(new Error(`a matrix worker thread exited (code ${code}) before its cells were done`));
        });
        give(w);
      }
      // This thread runs batches too (unless a front end waits on it and workers do them all), yielding between
      // them so that workers' answers are taken in and answered.
      if (interactive && workers.length) return;
      const runLocal = () => {
        if (o.signal?.aborted) return;
        if (next >= batches.length) return finish();
        const batch = next++;
        try {
          results[batch] = batches[batch].map((c) => local().run(c, traces));
        } catch (e) {
          return reject(e instanceof Error ? e : new Error(String(e)));
        }
        done++;
        counted(results[batch].length);
        setImmediate(runLocal);
      };
      setImmediate(runLocal);
    });
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results.flat();
}
