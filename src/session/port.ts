/**
 * The session API both front ends (terminal UI, websocket feed) program
 * against. `Session` implements it on the engine; session/testing/ has the
 * one stand-in for front-end tests, so the two never copy the session's
 * listener and command plumbing.
 */
import type { Topology } from '../topology/model.js';
import type { PacketTrace } from '../trace/steps.js';
import type { SocketInfo } from '../node/sockets.js';
import type { SessionListener } from './events.js';
import type { SessionState } from './lifecycle.js';
import { clockTime } from '../core/time.js';
import { COMMAND_HELP, type ControlCommand, type ParsedCommand } from './command-language.js';
import type { MatrixAnswer, MatrixCell, MatrixCellSpec, MatrixQuery, MatrixRunOptions } from './matrix.js';

export type { MatrixAnswer, MatrixCell, MatrixCellSpec, MatrixQuery, MatrixRunOptions, MatrixView } from './matrix.js';

/** A cell again with every packet of its exchange traced, the probe's first packet first. */
export type MatrixTraceAnswer = { ok: true; value: { cell: MatrixCell; traces: PacketTrace[] } } | { ok: false; error: string };

export interface CommandResult {
  ok: boolean;
  /** What to show the user (command output, or the error). */
  output: string;
}

export interface NodeSummary {
  name: string;
  interfaces: Array<{ name: string; kind: string; addrs: string[]; mac: string; master: string | null; peer: string | null }>;
}

export interface SessionPort {
  readonly topology: Topology;
  readonly state: SessionState;
  now(): number;
  topologyJson(): unknown;
  subscribe(l: SessionListener): () => void;
  run(): void;
  pause(): void;
  /** Runs exactly one event. Returns false when nothing is left to run. */
  step(): boolean;
  /** Runs at most `maxEvents` events while running; `more` says whether to call again. */
  advance(maxEvents?: number): { ran: number; more: boolean };
  /** The command language (COMMAND_HELP). */
  command(line: string): CommandResult;
  /** A command in a node's shell (iptables, ip, conntrack, sysctl). */
  exec(node: string, cmd: string): CommandResult;
  nodes(): NodeSummary[];
  nodeNames(): string[];
  resolveNode(name: string): string | null;
  sockets(node: string): SocketInfo[] | null;
  trace(id: number): PacketTrace | undefined;
  recentTraces(limit?: number): PacketTrace[];
  /**
   * Who reaches what on the lab as it is now (the topology and every command
   * that changed it since), each cell a probe on its own fresh copy. The cells
   * run across worker threads and this thread answers between batches, so a
   * front end stays live; `o.signal` stops it.
   */
  matrix(q: MatrixQuery, o?: MatrixRunOptions): Promise<MatrixAnswer>;
  /** One cell of a matrix again, traced: what opening a cell shows. */
  matrixTrace(cell: MatrixCellSpec): MatrixTraceAnswer;
}

const CONTROL = new Set(['help', 'run', 'pause', 'step', 'nodes']);

/** Commands whose answer is only the session's own control, answered alike by the session and its stand-in in tests. */
export function isControlCommand(c: ParsedCommand): c is ControlCommand {
  return CONTROL.has(c.kind);
}

export function controlCommand(c: ControlCommand, s: Pick<SessionPort, 'run' | 'pause' | 'step' | 'now' | 'nodeNames'>): CommandResult {
  switch (c.kind) {
    case 'help':
      return { ok: true, output: COMMAND_HELP };
    case 'run':
      s.run();
      return { ok: true, output: 'running' };
    case 'pause':
      s.pause();
      return { ok: true, output: 'paused' };
    case 'step': {
      let n = 0;
      while (n < c.count && s.step()) n++;
      return { ok: true, output: `ran ${n} event${n === 1 ? '' : 's'}; t=${clockTime(s.now())}` };
    }
    case 'nodes':
      return { ok: true, output: s.nodeNames().join('\n') };
  }
}

export { cellSymbol, describeDecision } from './matrix.js';
