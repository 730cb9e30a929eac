/**
 * `nflab matrix` once its files are loaded: one matrix, or the difference of
 * two (`--against`). Returns what to print and the exit code; the CLI owns the
 * process. Bad requests throw MatrixInputError (one line, exit 2).
 */
import { Lab } from '../lab/lab.js';
import type { Topology } from '../topology/model.js';
import type { CellResult } from './cell.js';
import { autoDestinations, destinationText, type Destination, type Proto } from './destinations.js';
import {
  cellId,
  defaultSources,
  diffMatrices,
  MatrixInputError,
  parseDestination,
  planCells,
  planMatrix,
  runMatrix,
  type MatrixPlan,
} from './matrix.js';
import { renderDiffText, renderMatrixText } from './render.js';

export interface MatrixOptions {
  from: string[] | null;
  to: string[] | null;
  proto: Proto;
  seed: number;
  json: boolean;
}

export interface LoadedTopology {
  /** As the user named it, for messages. */
  name: string;
  topo: Topology;
}

function build(t: LoadedTopology, seed: number): Lab {
  const r = Lab.build(t.topo, { seed, record: false });
  // The CLI has already checked the topology builds; reaching this is a bug, not bad input.
  if (!r.ok) throw new Error(`${t.name} does not build`);
  return r.value;
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

export function matrixOne(t: LoadedTopology, o: MatrixOptions): { stdout: string; code: number } {
  const plan = planMatrix(build(t, o.seed), t.topo, o);
  if (!plan.to.length) throw nothingToProbe(o.proto);
  const cells = runMatrix(t.topo, plan);
  const stdout = o.json ? JSON.stringify({ cells }, null, 2) + '\n' : renderMatrixText(t.topo.name, plan, cells);
  return { stdout, code: 0 };
}

function union<T>(a: T[], b: T[], key: (x: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const x of [...a, ...b]) if (!seen.has(key(x))) seen.set(key(x), x);
  return [...seen.values()];
}

/** One matrix over both topologies' sources and destinations, run on each; the cells that differ. */
export function matrixAgainst(a: LoadedTopology, b: LoadedTopology, o: MatrixOptions): { stdout: string; code: number } {
  const names = (t: Topology) => t.nodes.map((n) => n.name);
  const from = o.from ?? union(defaultSources(a.topo), defaultSources(b.topo), String);
  for (const f of from)
    if (!names(a.topo).includes(f) && !names(b.topo).includes(f))
      throw new MatrixInputError(`--from: no node "${f}" in ${a.name} or ${b.name}`);
  const labA = build(a, o.seed);
  const labB = build(b, o.seed);
  const to: Destination[] = o.to
    ? o.to.map(parseDestination)
    : union(autoDestinations(labA, a.topo, o.proto), autoDestinations(labB, b.topo, o.proto), destinationText).sort(
        (x, y) => x.addr - y.addr || x.port - y.port,
      );
  if (!to.length) throw nothingToProbe(o.proto);
  const plan: MatrixPlan = { from, to, proto: o.proto, seed: o.seed };
  const run = (t: Topology): Map<string, CellResult> => {
    const part: MatrixPlan = { ...plan, from: from.filter((f) => names(t).includes(f)) };
    return new Map(runMatrix(t, part).map((c) => [cellId(c), c]));
  };
  const cells = planCells(plan);
  const diffs = diffMatrices(cells, run(a.topo), run(b.topo));
  const stdout = o.json ? JSON.stringify({ differences: diffs }, null, 2) + '\n' : renderDiffText(a.name, b.name, cells.length, diffs);
  return { stdout, code: diffs.length ? 1 : 0 };
}
