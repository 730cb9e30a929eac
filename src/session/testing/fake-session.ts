/**
 * The one stand-in session for front-end tests (UI and feed). It speaks
 * SessionPort with the session's own lifecycle machine and command parser, so
 * state changes, `sim.state` events and the answers to `help`, `run`, `pause`,
 * `step`, `reset` and `nodes` are the real session's (fake-session.test.ts
 * holds the two side by side). What the engine would do is scripted: tests
 * queue the events a run would report (`enqueue`), and answer node commands
 * (`answer`).
 */
import { formatIpv4 } from '../../packet/ipv4.js';
import type { SocketInfo } from '../../node/sockets.js';
import type { Topology } from '../../topology/model.js';
import { topologyToJson } from '../../topology/to-json.js';
import type { PacketTrace } from '../../trace/steps.js';
import { parseCommand } from '../command-language.js';
import type { SessionEvent, SessionListener } from '../events.js';
import { startLifecycle, type SessionState } from '../lifecycle.js';
import { matrixText } from '../matrix.js';
import {
  controlCommand,
  isControlCommand,
  type CommandResult,
  type MatrixAnswer,
  type MatrixCellSpec,
  type MatrixQuery,
  type MatrixRunOptions,
  type MatrixTraceAnswer,
  type NodeSummary,
  type SessionPort,
} from '../port.js';

const LOOPBACK = { name: 'lo', kind: 'loopback', addrs: ['127.0.0.1/8'], mac: '00:00:00:00:00:00', master: null, peer: null };

/** The nodes and interfaces a lab built from `topo` shows, as Session.nodes() lists them. */
export function summariesOf(topo: Topology): NodeSummary[] {
  const peer = new Map<string, string>();
  for (const l of topo.links) {
    peer.set(`${l.a.node}:${l.a.iface}`, `${l.b.node}:${l.b.iface}`);
    peer.set(`${l.b.node}:${l.b.iface}`, `${l.a.node}:${l.a.iface}`);
  }
  return topo.nodes.map((n) => ({
    name: n.name,
    interfaces: [
      LOOPBACK,
      ...n.interfaces
        .filter((i) => i.name !== 'lo')
        .map((i) => ({
          name: i.name,
          kind: i.kind,
          addrs: i.addrs.map((a) => `${formatIpv4(a.addr)}/${a.cidr.len}`),
          mac: i.mac,
          master: i.master,
          peer: peer.get(`${n.name}:${i.name}`) ?? null,
        })),
    ],
  }));
}

export class FakeSession implements SessionPort {
  t = 0;
  /** Packet traces by id, for `trace` and `recentTraces`: tests put what their events point at. */
  readonly traces = new Map<number, PacketTrace>();
  /** Every line the fake did not carry out itself (probes, exec, load, capture), in order. */
  readonly received: string[] = [];
  /** The answer to those lines; by default, success with no output. */
  answer: (line: string) => CommandResult = () => ({ ok: true, output: '' });
  /** Every matrix asked for, in order. */
  readonly matrixQueries: MatrixQuery[] = [];
  /** What `matrix` answers; tests script it (src/session/matrix.test.ts has the real one). */
  matrixAnswer: (q: MatrixQuery) => MatrixAnswer = () => ({ ok: false, error: 'no matrix scripted' });
  /** How `matrix()` arrives: at once by default; tests of progress and Esc script a slower one. */
  matrixRun: (q: MatrixQuery, o: MatrixRunOptions) => Promise<MatrixAnswer> = (q) => Promise.resolve(this.matrixAnswer(q));
  /** What opening a cell answers. */
  matrixTraceAnswer: (c: MatrixCellSpec) => MatrixTraceAnswer = () => ({ ok: false, error: 'no cell trace scripted' });
  private readonly listeners = new Set<SessionListener>();
  private queue: SessionEvent[] = [];
  private readonly lifecycle = startLifecycle((state) => this.emit({ t_us: this.t, kind: 'sim.state', data: { state } }));
  private readonly summaries: NodeSummary[];

  constructor(readonly topology: Topology) {
    this.summaries = summariesOf(topology);
  }

  get state(): SessionState {
    return this.lifecycle.state;
  }

  now(): number {
    return this.t;
  }

  topologyJson(): unknown {
    return topologyToJson(this.topology);
  }

  subscribe(l: SessionListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private emit(e: SessionEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** Queues events a run would report: `step` and `advance` deliver them in order, the clock following their times. */
  enqueue(...events: SessionEvent[]): void {
    this.queue.push(...events);
  }

  /** Reports an event now, as the engine does outside a run (a command's `rules.changed`). */
  report(e: SessionEvent): void {
    this.emit(e);
  }

  private runOne(): boolean {
    const e = this.queue.shift();
    if (!e) return false;
    this.t = Math.max(this.t, e.t_us);
    this.emit(e);
    return true;
  }

  run(): void {
    this.lifecycle.send({ type: 'RUN' });
  }

  pause(): void {
    this.lifecycle.send({ type: 'PAUSE' });
  }

  step(): boolean {
    this.lifecycle.send({ type: 'STEP' });
    const ran = this.runOne();
    this.lifecycle.send(ran && this.queue.length > 0 ? { type: 'STEPPED' } : { type: 'IDLE' });
    return ran;
  }

  advance(maxEvents = 2000): { ran: number; more: boolean } {
    if (this.state !== 'running') return { ran: 0, more: false };
    let ran = 0;
    while (ran < maxEvents && this.runOne()) ran++;
    const more = this.queue.length > 0;
    if (!more) this.lifecycle.send({ type: 'IDLE' });
    return { ran, more };
  }

  command(line: string): CommandResult {
    const c = parseCommand(line, (n) => this.resolveNode(n));
    if ('error' in c) return { ok: false, output: c.error };
    if (isControlCommand(c)) return controlCommand(c, this);
    switch (c.kind) {
      case 'reset':
        this.queue = [];
        this.traces.clear();
        this.t = 0;
        this.lifecycle.send({ type: 'RESET' });
        return { ok: true, output: 'reset' };
      case 'matrix':
        this.matrixQueries.push(c);
        return matrixText(this.matrixAnswer(c));
      default:
        this.received.push(line);
        return this.answer(line);
    }
  }

  exec(node: string, cmd: string): CommandResult {
    const line = `${node} ${cmd}`;
    this.received.push(line);
    return this.answer(line);
  }

  nodes(): NodeSummary[] {
    return this.summaries;
  }

  nodeNames(): string[] {
    return this.summaries.map((n) => n.name);
  }

  resolveNode(name: string): string | null {
    const names = this.nodeNames();
    if (names.includes(name)) return name;
    const hits = names.filter((n) => n.endsWith(`/${name}`));
    return hits.length === 1 ? hits[0] : null;
  }

  sockets(node: string): SocketInfo[] | null {
    return this.resolveNode(node) ? [] : null;
  }

  trace(id: number): PacketTrace | undefined {
    return this.traces.get(id);
  }

  recentTraces(limit = 200): PacketTrace[] {
    return [...this.traces.values()].slice(-limit);
  }

  matrix(q: MatrixQuery, o: MatrixRunOptions = {}): Promise<MatrixAnswer> {
    this.matrixQueries.push(q);
    return this.matrixRun(q, o);
  }

  matrixTrace(cell: MatrixCellSpec): MatrixTraceAnswer {
    return this.matrixTraceAnswer(cell);
  }
}
