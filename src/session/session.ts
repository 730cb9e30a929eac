/**
 * The one API every front end uses (terminal UI, websocket feed, CLI): load a
 * lab, run / pause / step it on virtual time, inject probes and commands, and
 * subscribe to what happens. Front ends never reach into the engine.
 */
import { type Result, ok, err, formatDiagnostic } from '../core/diagnostic.js';
import { Lab } from '../lab/lab.js';
import { topologyToJson } from '../topology/to-json.js';
import type { Topology } from '../topology/model.js';
import type { PacketTrace } from '../trace/steps.js';
import { startLifecycle, type SessionState } from './lifecycle.js';
import type { SessionEvent, SessionListener } from './events.js';
import { controlCommand, isControlCommand, type CommandResult, type NodeSummary, type SessionPort } from './port.js';
import { parseCommand, type ParsedCommand } from './command-language.js';
import type { ProbeOutcome } from '../apps/probes.js';
import type { SocketInfo } from '../node/sockets.js';
import { type Capture, CaptureError, startCapture } from '../capture/capture.js';
import { formatIpv4, parseIpv4 } from '../packet/ipv4.js';
import { clockTime, humanDuration } from '../core/time.js';
import { loadScenarioFile } from '../scenario/load.js';
import { runStep } from '../scenario/runner.js';
import type { StepReport } from '../scenario/report.js';
import { renderScenarioText } from '../scenario/text-report.js';
import { tableListing, type TableListing } from '../netfilter/iptables/list-view.js';
import type { TableName } from '../netfilter/types.js';
import { printRuleset } from '../nftables/print.js';
import { changesLab, computeMatrix, computeMatrixLive, matrixText, traceMatrixCell, type JournalEntry } from './matrix.js';
import type { MatrixAnswer, MatrixCellSpec, MatrixQuery, MatrixRunOptions, MatrixTraceAnswer } from './port.js';

export type { TableListing, TableName };

export type { SessionEvent, SessionListener } from './events.js';

export type { CommandResult, NodeSummary, SessionPort } from './port.js';

export class Session implements SessionPort {
  private lab: Lab;
  private readonly listeners = new Set<SessionListener>();
  private readonly lifecycle;
  private unsubscribeLab: () => void;
  private pendingProbes = 0;
  private capture: Capture | null = null;
  /** Commands that changed the lab since it was built, for a matrix of the lab as it is now. */
  private journal: JournalEntry[] = [];

  private constructor(
    readonly topology: Topology,
    readonly seed: number,
    lab: Lab,
  ) {
    this.lab = lab;
    this.unsubscribeLab = lab.tracer.subscribe((e) => this.emit(e));
    this.lifecycle = startLifecycle((state) => this.emit({ t_us: this.lab.now(), kind: 'sim.state', data: { state } }));
  }

  static create(topology: Topology, seed = 1): Result<Session> {
    const lab = Lab.build(topology, { seed, record: true });
    if (!lab.ok) return err(lab.error);
    return ok(new Session(topology, seed, lab.value));
  }

  get state(): SessionState {
    return this.lifecycle.state;
  }

  now(): number {
    return this.lab.now();
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

  run(): void {
    this.lifecycle.send({ type: 'RUN' });
  }

  pause(): void {
    this.lifecycle.send({ type: 'PAUSE' });
  }

  /** Runs exactly one event. Returns false when nothing is left to run. */
  step(): boolean {
    this.lifecycle.send({ type: 'STEP' });
    const ran = this.lab.scheduler.step();
    this.lifecycle.send(ran && this.lab.scheduler.pending() > 0 ? { type: 'STEPPED' } : { type: 'IDLE' });
    return ran;
  }

  /**
   * Runs a slice of at most `maxEvents` events while running; front ends call
   * this between renders so they never block. Stops early when the network is
   * quiet and no probe waits (timers such as TIME_WAIT are not worth running to).
   */
  advance(maxEvents = 2000): { ran: number; more: boolean } {
    if (this.state !== 'running') return { ran: 0, more: false };
    let ran = 0;
    while (ran < maxEvents) {
      if (this.lab.quiet() && this.pendingProbes === 0) break;
      if (!this.lab.scheduler.step()) break;
      ran++;
    }
    const more = !(this.lab.quiet() && this.pendingProbes === 0) && this.lab.scheduler.pending() > 0;
    if (!more) this.lifecycle.send({ type: 'IDLE' });
    return { ran, more };
  }

  /** Runs until the network is quiet (for scripted use and tests). */
  runToQuiet(maxEvents = 5_000_000): void {
    this.run();
    while (this.advance(maxEvents).more);
  }

  /** Stops the lifecycle machine and detaches from the lab; the session is unusable afterwards. */
  dispose(): void {
    this.capture?.stop();
    this.capture = null;
    this.unsubscribeLab();
    this.lifecycle.stop();
    this.listeners.clear();
  }

  /**
   * Rebuilds the lab from the topology, from time zero. The new lab is built
   * before the old one is let go: if building fails, the session keeps the old
   * lab (and its subscription) and says why.
   */
  reset(): CommandResult {
    const lab = Lab.build(this.topology, { seed: this.seed, record: true });
    if (!lab.ok) return { ok: false, output: `reset failed; the lab runs on unchanged:\n${lab.error.map(formatDiagnostic).join('\n')}` };
    // A capture belongs to the lab it started on.
    this.capture?.stop();
    this.capture = null;
    this.unsubscribeLab();
    // Packet ids go on from where the old lab stopped, so a viewer never confuses a new packet with an old one.
    lab.value.tracer.continueIdsFrom(this.lab.tracer.nextPacketId);
    this.lab = lab.value;
    this.pendingProbes = 0;
    this.journal = [];
    this.unsubscribeLab = this.lab.tracer.subscribe((e) => this.emit(e));
    this.lifecycle.send({ type: 'RESET' });
    return { ok: true, output: 'reset' };
  }

  nodeNames(): string[] {
    return [...this.lab.nodes.keys()];
  }

  /** A node by full name, or by the part after `/` when that is unique (`web` for `docker-host/web`). */
  resolveNode(name: string): string | null {
    if (this.lab.nodes.has(name)) return name;
    const hits = this.nodeNames().filter((n) => n.endsWith(`/${name}`));
    return hits.length === 1 ? hits[0] : null;
  }

  nodes(): NodeSummary[] {
    return [...this.lab.nodes.values()].map((n) => ({
      name: n.name,
      interfaces: [...n.devs.values()].map((d) => ({
        name: d.name,
        kind: d.kind,
        addrs: d.addrs.map((a) => `${formatIpv4(a.addr)}/${a.cidr.len}`),
        mac: d.mac,
        master: d.master?.name ?? null,
        peer: d.peerLabel,
      })),
    }));
  }

  /** A node's sockets (listeners and connections), or null for an unknown node. */
  sockets(node: string): SocketInfo[] | null {
    const name = this.resolveNode(node);
    return name ? this.lab.node(name)!.sockets.list() : null;
  }

  /**
   * A node's `iptables -t TABLE -L -n -v`, formatted a line at a time when asked
   * (live counters), for views of tables too large to print whole on every
   * change; it follows the lab through a reset. Null for an unknown node.
   */
  listing(node: string, table: TableName): TableListing | null {
    const name = this.resolveNode(node);
    if (!name) return null;
    return tableListing(() => this.lab.modulesOf(name)!.ruleset, table);
  }

  /**
   * A node's native nftables tables as `nft -a list ruleset` prints them, counters as they are now,
   * without the tables iptables-nft made (the inspector lists those as iptables does). Null for an
   * unknown node, '' when it has none.
   */
  nftTables(node: string): string | null {
    const name = this.resolveNode(node);
    if (!name) return null;
    const nft = this.lab.modulesOf(name)!.nft;
    return printRuleset(nft.rs, { handles: true, nowMs: nft.nowMs() }).replace(/\n$/, '');
  }

  trace(id: number): PacketTrace | undefined {
    return this.lab.tracer.traces.get(id);
  }

  recentTraces(limit = 200): PacketTrace[] {
    return [...this.lab.tracer.traces.values()].slice(-limit);
  }

  /** Runs a command in a node's shell: iptables, ip, conntrack, sysctl (what `exec` does in scenarios). */
  exec(node: string, cmd: string, stdin: string | null = null): CommandResult {
    const name = this.resolveNode(node);
    if (!name) return { ok: false, output: `no node "${node}"` };
    const r = this.lab.exec(name, cmd, stdin);
    this.note(name, cmd, stdin, r.exitCode);
    const u = r.update;
    const lines = [(r.stdout + r.stderr).replace(/\n$/, '')];
    if (u) lines.push(`(${u.backend} update: ${humanDuration(u.cost_us)}, ${u.why}; took effect at t=${clockTime(u.commit_us)})`);
    return { ok: r.exitCode === 0, output: lines.filter(Boolean).join('\n') };
  }

  private note(node: string, cmd: string, stdin: string | null, exitCode: number): void {
    // A command that failed changed nothing (iptables and nft changes are all or nothing).
    if (exitCode === 0 && changesLab(cmd)) this.journal.push({ node, cmd, stdin });
  }

  matrix(q: MatrixQuery, o: MatrixRunOptions = {}): Promise<MatrixAnswer> {
    // A snapshot of the journal: commands typed while the cells run belong to the next matrix.
    return computeMatrixLive(this.lab, this.topology, this.seed, [...this.journal], q, o);
  }

  matrixTrace(cell: MatrixCellSpec): MatrixTraceAnswer {
    return traceMatrixCell(this.topology, this.seed, this.journal, cell);
  }

  /** The terminal UI's and the feed's command language; see COMMAND_HELP. */
  command(line: string): CommandResult {
    const parsed = parseCommand(line, (n) => this.resolveNode(n));
    if ('error' in parsed) return { ok: false, output: parsed.error };
    return this.execute(parsed, line);
  }

  private execute(c: ParsedCommand, line: string): CommandResult {
    if (isControlCommand(c)) return controlCommand(c, this);
    switch (c.kind) {
      case 'reset':
        return this.reset();
      case 'scenario':
        return this.loadScenario(c.file);
      case 'capture-start':
        return this.startCapture(c.file, c.filter);
      case 'capture-stop':
        return this.stopCapture();
      case 'exec':
        return this.exec(c.node, c.cmd);
      case 'matrix':
        return matrixText(computeMatrix(this.lab, this.topology, this.seed, this.journal, c));
      case 'probe':
        return this.injectProbe(c.node, c.probe, c.to, c.proto, c.uid, line);
    }
  }

  private startCapture(file: string, filter: string[]): CommandResult {
    if (this.capture) return { ok: false, output: `already capturing to ${this.capture.file} (capture stop first)` };
    try {
      this.capture = startCapture(this.lab, file, filter);
    } catch (e) {
      if (e instanceof CaptureError) return { ok: false, output: e.message };
      throw e;
    }
    return { ok: true, output: `capturing ${this.capture.interfaces.length} interfaces to ${file}` };
  }

  private stopCapture(): CommandResult {
    const c = this.capture;
    if (!c) return { ok: false, output: 'no capture is running' };
    c.stop();
    this.capture = null;
    return { ok: true, output: `wrote ${c.frames} frames to ${c.file}` };
  }

  private injectProbe(
    node: string,
    kind: 'connect' | 'send' | 'ping',
    to: string,
    proto: 'tcp' | 'udp',
    uid: number,
    line: string,
  ): CommandResult {
    const [a, p] = to.split(':');
    const dst = parseIpv4(a);
    if (dst === null) return { ok: false, output: `not an address: ${to}` };
    const port = p === undefined ? 0 : Number(p);
    if (kind !== 'ping' && !(port >= 1 && port <= 65535)) return { ok: false, output: `${kind} needs IP:PORT` };
    let firstTrace: number | null = null;
    const off = this.lab.tracer.subscribe((e) => {
      if (firstTrace === null && e.kind === 'packet.new' && e.node === node) firstTrace = e.packet ?? null;
    });
    this.pendingProbes++;
    this.lab.probe(
      kind,
      node,
      { dst, port, proto, owner: { uid, gid: uid, groups: [] }, src: null, sport: null, timeout: 900_000, line: `nflab ${kind} ${to}\n` },
      (r: ProbeOutcome) => {
        this.pendingProbes--;
        this.emit({
          t_us: this.now(),
          kind: 'probe.result',
          data: { command: line, result: r.result, server: r.server, server_sees: r.serverSees, trace: r.trace?.id ?? firstTrace },
        });
      },
    );
    off();
    if (this.state === 'finished' || this.state === 'loaded') this.run();
    return { ok: true, output: `${kind} from ${node} to ${to} started` };
  }

  /**
   * Runs a scenario's steps on this lab. One written for another topology is
   * refused before any step runs, so the lab is left as it was; a failing
   * step is reported with what was expected and what was seen.
   */
  private loadScenario(file: string): CommandResult {
    const sc = loadScenarioFile(file);
    if (!sc.ok) return { ok: false, output: sc.error.map(formatDiagnostic).join('\n') };
    const want = sc.value.topology;
    const missing = want.nodes.map((n) => n.name).filter((n) => !this.lab.nodes.has(n));
    if (want.name !== this.topology.name || missing.length) {
      const why =
        want.name !== this.topology.name
          ? `is written for the topology "${want.name}" (${sc.value.topologyFile}), not "${this.topology.name}"`
          : `needs nodes this lab does not have: ${missing.join(', ')}`;
      return { ok: false, output: `scenario "${sc.value.name}" ${why}; nothing was run, the lab is as it was` };
    }
    // The steps run the lab's clock themselves; the lifecycle says so, so viewers see time move.
    this.lifecycle.send({ type: 'RUN' });
    const reports: StepReport[] = sc.value.steps.map((s, i) => {
      try {
        const r = runStep(this.lab, s, i + 1);
        if (s.kind === 'exec') for (const o of r.output ?? []) this.note(s.on, o.cmd, s.stdin, o.exit);
        return r;
      } catch (e) {
        const seen = e instanceof Error ? e.message : String(e);
        return {
          step: i + 1,
          kind: s.kind,
          name: s.name,
          passed: false,
          at_us: this.now(),
          failures: [{ expected: 'the step runs', seen }],
        };
      }
    });
    this.lifecycle.send({ type: 'IDLE' });
    const failed = reports.filter((r) => !r.passed).length;
    const summary = `${sc.value.name}: ${reports.length - failed} of ${reports.length} steps passed`;
    if (!failed) return { ok: true, output: summary };
    const report = renderScenarioText(
      { scenario: sc.value.name, file, topology: want.name, seed: sc.value.seed, passed: false, steps: reports },
      false,
    );
    return { ok: false, output: `${summary}\n${report}` };
  }
}
