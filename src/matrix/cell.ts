/**
 * One cell of a matrix: one probe on a fresh lab built from the topology, so no
 * cell sees another's conntrack entries, ARP caches or counters. A pure function
 * of (topology, seed, commands run first, cell). runner.ts gets the same answer
 * without rebuilding the lab for every cell.
 */
import { Lab } from '../lab/lab.js';
import { parseIpv4 } from '../packet/ipv4.js';
import type { ProbeOutcome } from '../apps/probes.js';
import { renderTraceText } from '../trace/render.js';
import { isRuleStep, type PacketTrace, type RuleTraceStep } from '../trace/steps.js';
import type { Topology } from '../topology/model.js';
import type { Proto } from './destinations.js';

export interface CellSpec {
  from: string;
  /** `IP:PORT`. */
  to: string;
  proto: Proto;
}

export interface CellResult extends CellSpec {
  /** What the client saw: connected, refused, timeout, unreachable, no-route (tcp); delivered, timeout, ... (udp). */
  result: string;
  /** The node whose socket answered. */
  server: string | null;
  /** The peer address the server saw, `ip:port`. */
  server_sees: string | null;
  /** The rule or policy step that dropped, rejected or DNATed the first packet; null when no rule decided. */
  decided_by: RuleTraceStep | null;
  /** The first packet's trace as `nflab trace` prints it; only when asked for (`--html`). */
  trace?: string;
}

/** A native nftables step (SPEC section 6) names its family; its statements are only in its rule text. */
function isNftStep(s: RuleTraceStep): boolean {
  return s.family !== undefined;
}

function isNatStep(s: RuleTraceStep): boolean {
  if (isNftStep(s)) {
    const words = (s.rule_text ?? '').split(' ');
    return words.includes('dnat') || words.includes('redirect');
  }
  return s.target === 'DNAT' || s.target === 'REDIRECT';
}

function isDropStep(s: RuleTraceStep): boolean {
  if (isNftStep(s)) return s.verdict === 'drop' && (s.policy === true || s.handle !== null);
  return s.verdict === 'DROP' && (s.policy === true || s.rule !== null);
}

/**
 * The deciding step of the first packet: where it was dropped or rejected, the
 * last DROP verdict (a rule's, or a chain policy's); where it went on, its first
 * DNAT or REDIRECT. Otherwise nothing decided: routing, the socket table or
 * rp_filter did.
 */
export function decidingStep(trace: PacketTrace | null): RuleTraceStep | null {
  if (!trace) return null;
  const rules = trace.steps.filter(isRuleStep);
  if (trace.outcome === 'dropped' || trace.outcome === 'rejected') {
    for (let i = rules.length - 1; i >= 0; i--) if (isDropStep(rules[i])) return rules[i];
    return null;
  }
  return rules.find(isNatStep) ?? null;
}

function packetLine(t: PacketTrace): string {
  const p = t.packet;
  return `${p.proto} ${p.src} → ${p.dst}${p.flags ? ` [${p.flags}]` : ''}`;
}

/**
 * Events one cell may take. A probe settles in a few hundred; a lab that loops
 * (a transparent proxy whose own connection is redirected back to it) never
 * does, and would otherwise run until memory ran out.
 */
const MAX_EVENTS = 20_000;
/** Virtual time a probe waits for its answer: as `nflab trace` does. */
const TIMEOUT_US = 900_000;

/** A command run inside a node before the cells (`--after`: a scenario's exec steps). */
export interface LabCommand {
  on: string;
  cmd: string;
  stdin: string | null;
}

/**
 * A lab as every cell starts from: built from the topology with the seed, then
 * with `after`'s commands run in order (rules, routes and sysctls as they
 * leave them). Throws on a topology that does not build: callers check first.
 */
export function cellLab(topo: Topology, seed: number, after: readonly LabCommand[] = []): Lab {
  const built = Lab.build(topo, { seed });
  if (!built.ok) throw new Error(`the topology does not build: ${built.error[0]?.message ?? ''}`);
  const lab = built.value;
  for (const c of after) lab.exec(c.on, c.cmd, c.stdin);
  return lab;
}

/** Runs one cell on a fresh lab built here and thrown away. */
export function runCell(topo: Topology, seed: number, cell: CellSpec, after: readonly LabCommand[] = []): CellResult {
  return probeCell(cellLab(topo, seed, after), cell);
}

/** Runs one cell's probe on `lab`, which must be as cellLab left it (runner.ts restores a used one). */
export function probeCell(lab: Lab, cell: CellSpec, withTrace = false): CellResult {
  // A cell reads only its first packet's trace: once that packet's fate is known, later packets go unrecorded.
  let first: number | null = null;
  const off = lab.tracer.subscribe((e) => {
    if (e.kind === 'packet.new' && first === null) first = e.packet ?? null;
    else if (e.kind === 'packet.end' && e.packet === first) lab.tracer.recording = false;
  });
  const o = runProbe(lab, cell);
  off();
  lab.tracer.recording = true;
  const t = o?.trace ?? null;
  return {
    ...cellOutcome(cell, o),
    ...(withTrace ? { trace: t ? `${packetLine(t)}\n${renderTraceText(t.steps, t.outcome)}` : 'no packet left the client' } : {}),
  };
}

/**
 * Starts the cell's probe on `lab` and runs the lab until the client has its
 * answer; null when it never comes within the event bound (unsettled).
 */
export function runProbe(lab: Lab, cell: CellSpec): ProbeOutcome | null {
  const [addr, port] = cell.to.split(':');
  let out: ProbeOutcome | null = null;
  lab.probe(
    cell.proto === 'udp' ? 'send' : 'connect',
    cell.from,
    {
      dst: parseIpv4(addr)!,
      port: Number(port),
      proto: cell.proto,
      owner: { uid: 0, gid: 0, groups: [] },
      src: null,
      sport: null,
      timeout: TIMEOUT_US,
      line: `nflab matrix ${cell.to}\n`,
    },
    (r) => (out = r),
  );
  // Only the client's answer matters: the cell stops there, not when the lab is quiet.
  for (let n = 0; out === null && n < MAX_EVENTS && lab.scheduler.step(); n++);
  return out;
}

/** What a cell records of its probe's outcome (`null`: it never settled). */
export function cellOutcome(cell: CellSpec, o: ProbeOutcome | null): CellResult {
  return {
    ...cell,
    result: o?.result ?? 'unsettled',
    server: o?.server ?? null,
    server_sees: o?.serverSees ?? null,
    decided_by: decidingStep(o?.trace ?? null),
  };
}
