/**
 * A reachability matrix: which sources reach which destinations, each cell on
 * the lab as it was built (cell.ts; runner.ts puts one lab back between cells,
 * pool.ts spreads cells over threads), and the difference between two matrices.
 */
import { parseIpv4 } from '../packet/ipv4.js';
import type { Lab } from '../lab/lab.js';
import type { Topology } from '../topology/model.js';
import type { CellResult, CellSpec, LabCommand } from './cell.js';
import { runCellsParallel, type PoolOptions } from './pool.js';
import { CellRunner } from './runner.js';
import { autoDestinations, destinationText, nodeAddrs, type Destination, type Proto } from './destinations.js';

export interface MatrixRequest {
  /** Source nodes; null: every node with an address other than loopback. */
  from: string[] | null;
  /** `IP:PORT` destinations; null: `--to auto`. */
  to: string[] | null;
  proto: Proto;
  seed: number;
  /** Commands run in the lab before the cells; planMatrix's lab must already have run them. */
  after?: LabCommand[];
}

export interface MatrixPlan {
  from: string[];
  to: Destination[];
  proto: Proto;
  seed: number;
  /** Commands run in the lab before the cells (`--after`: a scenario's exec steps); none when absent. */
  after?: LabCommand[];
}

/** A request the lab cannot answer: the CLI prints it as one line and exits 2. */
export class MatrixInputError extends Error {}

export function defaultSources(topo: Topology): string[] {
  return topo.nodes.filter((n) => nodeAddrs(n).length > 0).map((n) => n.name);
}

/** `IP:PORT`, with a port in 1..65535; anything else is a MatrixInputError naming the bad item. */
export function parseDestination(text: string): Destination {
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(text);
  const addr = m ? parseIpv4(m[1]) : null;
  const port = m ? Number(m[2]) : 0;
  if (addr === null || !(port >= 1 && port <= 65535)) throw new MatrixInputError(`--to takes auto or IP:PORT,..., not "${text}"`);
  return { addr, port, why: 'given' };
}

/** Resolves sources and destinations against a built lab (for `--to auto`'s rule reading). */
export function planMatrix(lab: Lab, topo: Topology, req: MatrixRequest): MatrixPlan {
  const from = req.from ?? defaultSources(topo);
  for (const f of from)
    if (!topo.nodes.some((n) => n.name === f))
      throw new MatrixInputError(`--from: no node "${f}"; nodes: ${topo.nodes.map((n) => n.name).join(', ')}`);
  const to = req.to ? req.to.map(parseDestination) : autoDestinations(lab, topo, req.proto);
  return { from, to, proto: req.proto, seed: req.seed, ...(req.after?.length ? { after: req.after } : {}) };
}

/** The cells of a plan, destination by destination (the grid's rows), each source in order. */
export function planCells(plan: MatrixPlan): CellSpec[] {
  return plan.to.flatMap((d) => plan.from.map((from) => ({ from, to: destinationText(d), proto: plan.proto })));
}

/** Every cell of the plan, in planCells' order, in this thread. */
export function runMatrix(topo: Topology, plan: MatrixPlan): CellResult[] {
  const runner = new CellRunner(topo, plan.seed, plan.after ?? []);
  return planCells(plan).map((c) => runner.run(c));
}

/** runMatrix's answer, byte for byte, with the cells spread over `jobs` threads (default: every core). */
export function runMatrixParallel(topo: Topology, plan: MatrixPlan, o: Omit<PoolOptions, 'after'> = {}): Promise<CellResult[]> {
  return runCellsParallel(topo, plan.seed, planCells(plan), { ...o, after: plan.after ?? [] });
}

export interface Difference extends CellSpec {
  a: CellResult | null;
  b: CellResult | null;
}

/** What makes two cells the same: result, server, what it saw, and the deciding rule by its place and text (its number may shift). */
function cellKey(c: CellResult | null): string {
  if (!c) return 'absent';
  const d = c.decided_by;
  const rule = d ? [d.node, d.hook, d.table, d.chain, d.verdict, d.target ?? '', d.policy ? 'policy' : (d.rule_text ?? '')] : null;
  return JSON.stringify([c.result, c.server, c.server_sees, rule]);
}

/** The cells that differ between two runs of the same plan, in the plan's order. */
export function diffMatrices(cells: CellSpec[], a: Map<string, CellResult>, b: Map<string, CellResult>): Difference[] {
  const out: Difference[] = [];
  for (const c of cells) {
    const k = cellId(c);
    const ca = a.get(k) ?? null;
    const cb = b.get(k) ?? null;
    if (cellKey(ca) !== cellKey(cb)) out.push({ ...c, a: ca, b: cb });
  }
  return out;
}

export function cellId(c: CellSpec): string {
  return `${c.from}|${c.to}|${c.proto}`;
}
