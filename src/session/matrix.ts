/**
 * The session's reachability matrix: the one place the session calls into
 * src/matrix (planMatrix, runMatrix, decidingStep), so a change there is
 * answered here alone.
 *
 * A matrix is asked of the session's lab as it is now: the topology plus every
 * command that changed it since it was built (`NODE iptables -A ...`, a
 * scenario's exec steps). Each cell is a fresh lab built from the topology with
 * those commands replayed on it, so no cell sees the session's conntrack
 * entries, counters or another cell's traffic (SPEC section 8), but every cell
 * sees the rules, routes and sysctls the user is looking at.
 */
import { splitShellWords } from '../core/shell.js';
import type { Lab } from '../lab/lab.js';
import { cellLab, cellOutcome, runProbe, type CellResult, type CellSpec, type LabCommand } from '../matrix/cell.js';
import { destinationText, type Proto } from '../matrix/destinations.js';
import { MatrixInputError, planMatrix, runMatrix, runMatrixParallel, type MatrixPlan } from '../matrix/matrix.js';
import { MatrixCancelled } from '../matrix/pool.js';
import { renderMatrixText } from '../matrix/render.js';
import { parseIpv4 } from '../packet/ipv4.js';
import type { Topology } from '../topology/model.js';
import type { PacketTrace } from '../trace/steps.js';

export type { CellResult as MatrixCell, CellSpec as MatrixCellSpec };

/** One command that changed a node, in the order it ran. */
export interface JournalEntry {
  node: string;
  cmd: string;
  stdin: string | null;
}

export interface MatrixQuery {
  /** Source nodes; null: every node with an address. */
  from: string[] | null;
  /** `IP:PORT` destinations; null: `--to auto`. */
  to: string[] | null;
  proto: Proto;
}

/** A computed matrix as front ends draw it: sources are columns, destinations rows, cells row by row. */
export interface MatrixView {
  lab: string;
  proto: Proto;
  seed: number;
  sources: string[];
  destinations: Array<{ to: string; why: string }>;
  /** `destinations.length × sources.length` cells: destination by destination, each source in order. */
  cells: CellResult[];
  /** How many commands changed the lab since it was built: the cells ran after replaying them. */
  changes: number;
}

const ITABLES_READ = new Set(['-L', '--list', '-S', '--list-rules', '-C', '--check']);
const IP_WRITE = new Set(['add', 'del', 'delete', 'change', 'replace', 'append', 'prepend', 'flush', 'set', 'a', 'd']);

/**
 * Whether a command run in a node can have changed what a fresh copy of the lab
 * needs replayed. Listings are left out (the node inspector lists a node on
 * every change, and a 40,000-rule listing per cell would cost seconds); so is
 * conntrack, whose entries no cell is meant to see.
 */
export function changesLab(cmd: string): boolean {
  const split = splitShellWords(cmd);
  if (!split.ok) return false;
  const [tool, ...args] = split.words;
  if (!tool) return false;
  if (tool.endsWith('-save') || tool === 'conntrack') return false;
  if (tool.startsWith('iptables') && !tool.endsWith('-restore')) return !args.some((a) => ITABLES_READ.has(a));
  if (tool === 'nft') return !args.some((a) => a === 'list' || a === '-c' || a === '--check');
  if (tool === 'ip') return args.some((a) => IP_WRITE.has(a));
  if (tool === 'sysctl') return args.some((a) => a.includes('='));
  return true;
}

/** A query the lab cannot answer (unknown node, bad destination, nothing to probe): one line for the user. */
export type MatrixAnswer = { ok: true; value: MatrixView } | { ok: false; error: string };

/** The session's journal as the commands a matrix runs before its cells. */
const afterOf = (journal: readonly JournalEntry[]): LabCommand[] => journal.map((j) => ({ on: j.node, cmd: j.cmd, stdin: j.stdin }));

/**
 * One cell on a fresh, replayed lab, probed as every matrix cell is, so its
 * result is the grid's. `traces` are every packet of the exchange up to the
 * client's answer, the probe's first packet first.
 */
function tracedCell(
  topo: Topology,
  seed: number,
  journal: readonly JournalEntry[],
  cell: CellSpec,
): { result: CellResult; traces: PacketTrace[] } {
  const lab = cellLab(topo, seed, afterOf(journal));
  const ids: number[] = [];
  const off = lab.tracer.subscribe((e) => {
    if (e.kind === 'packet.new' && e.packet !== undefined) ids.push(e.packet);
  });
  const o = runProbe(lab, cell);
  off();
  const first = o?.trace ?? null;
  const rest = ids.map((id) => lab.tracer.traces.get(id)).filter((t): t is PacketTrace => t !== undefined && t !== first);
  return { result: cellOutcome(cell, o), traces: first ? [first, ...rest] : rest };
}

/** How a front end runs a matrix without stopping to wait for it. */
export interface MatrixRunOptions {
  /** Stops the matrix between batches of cells; the answer is then `matrix stopped`. */
  signal?: AbortSignal;
  /** Cells done so far, after every batch. */
  onProgress?: (done: number, total: number) => void;
}

type Planned = { ok: true; plan: MatrixPlan } | { ok: false; error: string };

function planFor(lab: Lab, topo: Topology, seed: number, q: MatrixQuery): Planned {
  let plan: MatrixPlan;
  try {
    plan = planMatrix(lab, topo, { from: q.from, to: q.to, proto: q.proto, seed });
  } catch (e) {
    if (e instanceof MatrixInputError) return { ok: false, error: e.message };
    throw e;
  }
  if (!plan.to.length) return { ok: false, error: 'nothing to probe: nothing listens and no DNAT or REDIRECT rule leads anywhere' };
  if (!plan.from.length) return { ok: false, error: 'no source: no node has an address' };
  return { ok: true, plan };
}

function viewOf(topo: Topology, plan: MatrixPlan, cells: CellResult[], journal: readonly JournalEntry[]): MatrixAnswer {
  return {
    ok: true,
    value: {
      lab: topo.name,
      proto: plan.proto,
      seed: plan.seed,
      sources: plan.from,
      destinations: plan.to.map((d) => ({ to: destinationText(d), why: d.why })),
      cells,
      changes: journal.length,
    },
  };
}

/**
 * The matrix of `topo` with `journal` applied, in this thread (the `matrix` line
 * of the command language). `lab` is the session's lab as it is now: `--to auto`
 * reads its rules, so a DNAT added by hand is a destination.
 */
export function computeMatrix(lab: Lab, topo: Topology, seed: number, journal: readonly JournalEntry[], q: MatrixQuery): MatrixAnswer {
  const p = planFor(lab, topo, seed, q);
  if (!p.ok) return p;
  return viewOf(topo, p.plan, runMatrix(topo, { ...p.plan, after: afterOf(journal) }), journal);
}

/** computeMatrix across worker threads, answering between batches, so a UI or a feed stays live while it runs. */
export async function computeMatrixLive(
  lab: Lab,
  topo: Topology,
  seed: number,
  journal: readonly JournalEntry[],
  q: MatrixQuery,
  o: MatrixRunOptions,
): Promise<MatrixAnswer> {
  const p = planFor(lab, topo, seed, q);
  if (!p.ok) return p;
  try {
    const cells = await runMatrixParallel(topo, { ...p.plan, after: afterOf(journal) }, { signal: o.signal, onProgress: o.onProgress });
    return viewOf(topo, p.plan, cells, journal);
  } catch (e) {
    if (e instanceof MatrixCancelled) return { ok: false, error: e.message };
    throw e;
  }
}

/** One cell again, with every packet of its exchange traced: what the cell's row in a grid opens. */
export function traceMatrixCell(
  topo: Topology,
  seed: number,
  journal: readonly JournalEntry[],
  cell: CellSpec,
): { ok: true; value: { cell: CellResult; traces: PacketTrace[] } } | { ok: false; error: string } {
  if (!topo.nodes.some((n) => n.name === cell.from)) return { ok: false, error: `no node "${cell.from}"` };
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(cell.to);
  if (!m || parseIpv4(m[1]) === null || !(Number(m[2]) >= 1 && Number(m[2]) <= 65535))
    return { ok: false, error: `a cell's destination is IP:PORT, not "${cell.to}"` };
  const r = tracedCell(topo, seed, journal, cell);
  return { ok: true, value: { cell: r.result, traces: r.traces } };
}

/** What the `matrix` command prints: `nflab matrix`'s grid, naming how many changes the cells replayed. */
export function matrixText(m: MatrixAnswer): { ok: boolean; output: string } {
  if (!m.ok) return { ok: false, output: m.error };
  const v = m.value;
  const after = v.changes ? ` (after ${v.changes} change${v.changes === 1 ? '' : 's'})` : '';
  return { ok: true, output: renderMatrixText(`${v.lab}${after}`, viewPlan(v), v.cells).trimEnd() };
}

/** The plan a view was made from, for src/matrix's text rendering. */
function viewPlan(v: MatrixView): MatrixPlan {
  return {
    from: v.sources,
    to: v.destinations.map((d) => {
      const [a, p] = d.to.split(':');
      return { addr: parseIpv4(a)!, port: Number(p), why: d.why };
    }),
    proto: v.proto,
    seed: v.seed,
  };
}

/** A cell's deciding rule in words, as `nflab matrix` lists it. */
export { describeStep as describeDecision, symbol as cellSymbol } from '../matrix/render.js';
