/**
 * `nflab matrix` once its files are loaded: one matrix, or the difference of
 * two (`--against`). Returns what to print and the exit code; the CLI owns the
 * process. Bad requests throw MatrixInputError (one line, exit 2).
 */
import type { Topology } from '../topology/model.js';
import type { CellResult, LabCommand } from './cell.js';
import { autoDestinations, destinationText, type Destination, type Proto } from './destinations.js';
import {
  cellId,
  defaultSources,
  diffMatrices,
  MatrixInputError,
  parseDestination,
  planCells,
  planMatrix,
  type MatrixPlan,
} from './matrix.js';
import { runCellsParallel } from './pool.js';
import { renderMatrixHtml } from './html.js';
import { renderDiffText, renderMatrixText } from './render.js';
import { CellRunner } from './runner.js';

export interface MatrixOptions {
  from: string[] | null;
  to: string[] | null;
  proto: Proto;
  seed: number;
  json: boolean;
  /** Threads; default: every core. */
  jobs?: number;
  /** Also render the page of --html FILE (one matrix only). */
  html?: boolean;
  /** Cells done so far, after every batch (with --against, of each side in turn). */
  onProgress?: (done: number, total: number) => void;
}

export interface LoadedTopology {
  /** As the user named it, for messages. */
  name: string;
  topo: Topology;
  /** Commands run before the cells (`--after SCENARIO`'s exec steps). */
  after?: LabCommand[];
  /** The file the commands came from, for headings. */
  afterName?: string;
}

/** How output names a side: the topology, and the scenario it is taken after. */
function label(t: LoadedTopology, name: string): string {
  return t.afterName ? `${name} after ${t.afterName}` : name;
}

function runnerFor(t: LoadedTopology, seed: number): CellRunner {
  for (const c of t.after ?? [])
    if (!t.topo.nodes.some((n) => n.name === c.on))
      throw new MatrixInputError(`--after ${t.afterName ?? ''}: an exec step runs on "${c.on}", which ${t.name} has no node for`);
  try {
    return new CellRunner(t.topo, seed, t.after ?? []);
  } catch (e) {
    // The CLI has already checked the topology builds; an --after command on a node it lacks is bad input.
    throw new MatrixInputError(`${t.name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function nothingToProbe(proto: Proto): MatrixInputError {
  return new MatrixInputError(
    `nothing to probe: no node listens on ${proto} and no DNAT or REDIRECT rule leads to a ${proto} port; give --to IP:PORT,...`,
  );
}

export function parseProto(text: string | undefined): Proto {
  if (text === undefined) return 'tcp';
  if (text !== 'tcp' && text !== 'udp') throw new MatrixInputError(`--proto is tcp or udp, not "${text}"`);
  return text;
}

/** `--to auto|IP:PORT,...` → null for auto, else the checked list. */
export function parseTo(text: string | undefined): string[] | null {
  if (text === undefined || text === 'auto') return null;
  const items = text.split(',');
  for (const i of items) parseDestination(i);
  return items;
}

export function parseFrom(text: string | undefined): string[] | null {
  if (text === undefined) return null;
  const items = text.split(',');
  if (items.some((i) => i === '')) throw new MatrixInputError(`--from takes NODE,NODE,..., not "${text}"`);
  return items;
}

export interface MatrixOutput {
  stdout: string;
  code: number;
  /** The --html page, when asked for. */
  html?: string;
}

export async function matrixOne(t: LoadedTopology, o: MatrixOptions): Promise<MatrixOutput> {
  const runner = runnerFor(t, o.seed);
  const plan = planMatrix(runner.base, t.topo, { ...o, ...(t.after?.length ? { after: t.after } : {}) });
  if (!plan.to.length) throw nothingToProbe(o.proto);
  const cells = await runCellsParallel(t.topo, o.seed, planCells(plan), {
    jobs: o.jobs,
    after: t.after ?? [],
    runner,
    traces: o.html === true,
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  if (o.html) {
    const html = renderMatrixHtml(label(t, t.topo.name), plan, cells);
    for (const c of cells) delete c.trace;
    return { stdout: renderMatrixText(label(t, t.topo.name), plan, cells), code: 0, html };
  }
  const stdout = o.json ? JSON.stringify({ cells }, null, 2) + '\n' : renderMatrixText(label(t, t.topo.name), plan, cells);
  return { stdout, code: 0 };
}

function union<T>(a: T[], b: T[], key: (x: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const x of [...a, ...b]) if (!seen.has(key(x))) seen.set(key(x), x);
  return [...seen.values()];
}

/** One matrix over both topologies' sources and destinations, run on each; the cells that differ. */
export async function matrixAgainst(a: LoadedTopology, b: LoadedTopology, o: MatrixOptions): Promise<MatrixOutput> {
  const names = (t: Topology) => t.nodes.map((n) => n.name);
  const from = o.from ?? union(defaultSources(a.topo), defaultSources(b.topo), String);
  for (const f of from)
    if (!names(a.topo).includes(f) && !names(b.topo).includes(f))
      throw new MatrixInputError(`--from: no node "${f}" in ${a.name} or ${b.name}`);
  const runA = runnerFor(a, o.seed);
  const runB = runnerFor(b, o.seed);
  const to: Destination[] = o.to
    ? o.to.map(parseDestination)
    : union(autoDestinations(runA.base, a.topo, o.proto), autoDestinations(runB.base, b.topo, o.proto), destinationText).sort(
        (x, y) => x.addr - y.addr || x.port - y.port,
      );
  if (!to.length) throw nothingToProbe(o.proto);
  const plan: MatrixPlan = { from, to, proto: o.proto, seed: o.seed };
  const run = async (t: LoadedTopology, runner: CellRunner): Promise<Map<string, CellResult>> => {
    const part: MatrixPlan = { ...plan, from: from.filter((f) => names(t.topo).includes(f)) };
    const cells = await runCellsParallel(t.topo, o.seed, planCells(part), {
      jobs: o.jobs,
      after: t.after ?? [],
      runner,
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    return new Map(cells.map((c) => [cellId(c), c]));
  };
  const cells = planCells(plan);
  const diffs = diffMatrices(cells, await run(a, runA), await run(b, runB));
  const stdout = o.json
    ? JSON.stringify({ differences: diffs }, null, 2) + '\n'
    : renderDiffText(label(a, a.name), label(b, b.name), cells.length, diffs);
  return { stdout, code: diffs.length ? 1 : 0 };
}
