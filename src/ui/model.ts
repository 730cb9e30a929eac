/**
 * Everything the terminal UI knows and does, without React: which pane has
 * focus, what is selected, the command line, and what each key does. The ink
 * components only draw this model, which keeps the behaviour testable and the
 * components pure.
 */
import type { SessionEvent, TableListing, TableName } from '../session/session.js';
import { parseCommand } from '../session/command-language.js';
import type { MatrixAnswer, MatrixCell } from '../session/port.js';
import type { PacketTrace } from '../trace/steps.js';
import { MATRIX_CHROME, MatrixGrid } from './matrix-grid.js';
import type { ListenSpec } from '../topology/model.js';
import { complete, localFiles } from './completion.js';
import { Driver, type DriverOptions } from './driver.js';
import { History } from './history.js';
import type { KeyInfo, KeyPress } from './keys.js';
import { computeLayout, type Inspector, type Layout, type PaneKind } from './layout.js';
import { LineEditor } from './line-editor.js';
import { type NodeReport, nodeReport } from './node-report.js';
import { bodyRows } from './panes/frame.js';
import { HELP_LINES } from './panes/help-pane.js';
import { traceLines } from './trace-lines.js';
import type { Line } from './style.js';
import { eventTrace, formatMicros, Timeline } from './timeline.js';
import { derivedCommand, suggestedCommand } from './welcome.js';
import { topologyView, type TopologyView } from './topology-lines.js';
import type { UiSession } from './ui-session.js';

export type { KeyInfo } from './keys.js';

/** Command lines that leave the UI, as well as `q` outside the command line. */
const QUIT = new Set(['q', 'quit', 'exit', ':q', ':quit', 'q!', ':q!']);

type Scrolled = 'packet' | 'node' | 'output' | 'help';

/** A matrix cell's exchange, traced on its own copy of the lab: the packet inspector shows it instead of a packet of the session's. */
export interface CellTrace {
  cell: MatrixCell;
  traces: PacketTrace[];
  index: number;
}

const MAX_MESSAGES = 50;

export class UiModel {
  readonly timeline = new Timeline();
  readonly history = new History();
  readonly driver: Driver;
  readonly listen = new Map<string, ListenSpec[]>();
  topo: TopologyView;
  focus: PaneKind = 'topology';
  inspector: Inspector = 'node';
  selectedNode: string | null;
  report: NodeReport | null = null;
  private reportDirty = true;
  /** Live rule listings of the nodes shown so far, kept: indexing 20,000 chains again on every visit is not free. */
  private readonly listings = new Map<string, TableListing | null>();
  packetId: number | null = null;
  /** The last matrix computed (the `matrix` command), with its cursor. */
  matrix: MatrixGrid | null = null;
  /** The opened matrix cell's packets; null when the packet inspector shows a packet of the session's. */
  cellTrace: CellTrace | null = null;
  /** Which inspector Esc on the matrix goes back to. */
  private beforeMatrix: 'packet' | 'node' = 'node';
  /** Starts the matrix after the "computing" message is on screen (building the lab's copies takes a moment). */
  private readonly defer: (f: () => void) => void;
  /** The matrix being computed, for Esc to stop. */
  private matrixRun: AbortController | null = null;
  /** How far it is, for the status line; null when no matrix runs. */
  matrixProgress: string | null = null;
  /**
   * Selected timeline event, counted from the first event ever kept so the
   * selection stays on its event while old ones are pushed out; null follows
   * the newest event.
   */
  private cursorAbs: number | null = null;
  readonly offsets: Record<Scrolled, number> = { packet: 0, node: 0, output: 0, help: 0 };
  /** Columns scrolled sideways, for output wider than its pane. */
  readonly shifts: Record<Scrolled, number> = { packet: 0, node: 0, output: 0, help: 0 };
  cmdActive = false;
  readonly editor = new LineEditor();
  /** Set once the user quits: keys after that in the same read are not acted on. */
  private quitting = false;
  /** Where focus was before help or a command's output took it, for Esc to return there. */
  private focusBefore: PaneKind | null = null;
  messages: Line[] = [];
  output: { command: string; lines: string[]; ok: boolean; title?: string; wrap?: boolean } | null = null;
  packets = 0;
  layout: Layout = computeLayout(80, 24, 'node');
  private lastInspector: 'packet' | 'node' | 'matrix' = 'node';
  private drawnAt = -Infinity;
  private reportAt = -Infinity;
  private readonly clock: () => number;
  private cols = 80;
  private rows = 24;
  private readonly unsubscribe: () => void;

  constructor(
    readonly session: UiSession,
    /** Asks for a redraw; called after every slice and every handled key. */
    private readonly changed: () => void,
    readonly quit: (code: number) => void,
    driverOptions: DriverOptions = {},
  ) {
    for (const n of session.topology.nodes) this.listen.set(n.name, n.listen);
    this.topo = topologyView(session.nodes(), this.listen);
    this.selectedNode = this.topo.nodes[0] ?? null;
    this.clock = driverOptions.clock ?? (() => performance.now());
    this.defer = driverOptions.defer ?? ((f) => setTimeout(f, 40));
    this.driver = new Driver(session, () => this.afterSlice(), driverOptions);
    this.unsubscribe = session.subscribe((e) => this.onEvent(e));
    this.timeline.push({ t_us: session.now(), kind: 'sim.state', data: { state: session.state } });
    this.welcome();
  }

  /** The first screen: what the lab is (its description) and one command to try, taken from it where it says "Try:". */
  private welcome(): void {
    const t = this.session.topology;
    const hint =
      suggestedCommand(t.description, (n) => this.session.resolveNode(n) !== null) ?? derivedCommand(this.session.nodes(), this.listen);
    if (t.description) {
      this.output = { command: '', title: `About ${t.name}`, lines: [t.description.trim()], ok: true, wrap: true };
      this.inspector = 'output';
      this.focusBefore = 'topology';
    }
    if (hint) this.say({ text: `try  :${hint}   (Esc: the node inspector, ? help)`, tone: 'dim' });
  }

  dispose(): void {
    this.unsubscribe();
    this.driver.stop();
  }

  /** Called by the engine once per event: a push and a flag, nothing more. */
  private onEvent(e: SessionEvent): void {
    this.timeline.push(e);
    if (e.kind === 'packet.new') this.packets++;
    else if (e.kind === 'sim.state') {
      if (e.data.state === 'running') this.driver.kick();
      this.changed();
    } else if (e.kind === 'probe.result') {
      const d = e.data;
      this.say({
        text: `${d.command}: ${d.result}${d.server ? ` (server ${d.server}${d.server_sees ? `, saw ${d.server_sees}` : ''})` : ''}`,
        tone: d.result === 'connected' || d.result === 'reply' || d.result === 'delivered' ? 'accept' : 'drop',
      });
      // The probe's first packet is what the user wants to see next.
      if (d.trace !== null) {
        this.packetId = d.trace;
        this.cellTrace = null;
        this.offsets.packet = this.shifts.packet = 0;
        const about = this.inspector === 'output' && this.output?.title !== undefined;
        if (about || (this.inspector === 'node' && !this.layout.wide)) this.showInspector('packet');
      }
      this.changed();
    }
    this.reportDirty = true;
  }

  /** While running, redraw about 20 times a second, and once more when the run stops. */
  private afterSlice(): void {
    const now = this.clock();
    if (this.session.state === 'running' && now - this.drawnAt < 50) return;
    this.drawnAt = now;
    this.changed();
  }

  /** The selected timeline row today, or null when following. */
  get timelineCursor(): number | null {
    return this.cursorAbs === null ? null : Math.max(0, this.cursorAbs - this.timeline.evicted);
  }

  /** Sets the terminal size; returns the layout to draw. */
  resize(cols: number, rows: number): Layout {
    this.cols = cols;
    this.rows = rows;
    this.layout = computeLayout(cols, rows, this.inspector);
    if (!this.layout.order.includes(this.focus)) this.focus = this.layout.order[0];
    return this.layout;
  }

  /**
   * The node report. Its short sections are gathered again only when
   * something happened since, and while running at most twice a second; the
   * rule listings are live views that format only the rows drawn, so a node
   * with 40,000 rules costs what 40 rows cost.
   */
  nodeReport(): NodeReport | null {
    if (!this.selectedNode) return null;
    const busy = this.session.state === 'running' && this.clock() - this.reportAt < 500;
    if ((this.reportDirty && !busy) || this.report?.node !== this.selectedNode) {
      this.reportAt = this.clock();
      const node = this.selectedNode;
      const cache = this.listings;
      const listing = this.session.listing
        ? (table: string) => {
            const key = `${node} ${table}`;
            if (!cache.has(key)) cache.set(key, this.session.listing!(node, table as TableName));
            return cache.get(key)!;
          }
        : null;
      this.report = nodeReport(
        node,
        (cmd) => this.session.exec(node, cmd),
        this.listen.get(node) ?? [],
        this.session.sockets?.(node) ?? null,
        listing,
        this.session.nftTables ? () => this.session.nftTables!(node) : null,
      );
      this.reportDirty = false;
    } else if (this.reportDirty) this.report?.refresh();
    return this.report;
  }

  say(...lines: Line[]): void {
    this.messages.push(...lines);
    if (this.messages.length > MAX_MESSAGES) this.messages.splice(0, this.messages.length - MAX_MESSAGES);
  }

  private showInspector(i: Inspector, focus = false): void {
    if (i === 'matrix' && (this.inspector === 'packet' || this.inspector === 'node')) this.beforeMatrix = this.inspector;
    if (i === 'packet' || i === 'node' || i === 'matrix') this.lastInspector = i;
    else if (this.focus !== 'help' && this.focus !== 'output') this.focusBefore = this.focus;
    this.inspector = i;
    this.layout = computeLayout(this.cols, this.rows, i);
    if (focus || !this.layout.order.includes(this.focus)) this.focus = i;
  }

  private paneHeight(kind: PaneKind): number {
    for (const c of this.layout.columns) for (const p of c.panes) if (p.kind === kind) return p.height;
    return this.layout.bottom?.kind === kind ? this.layout.bottom.height : 10;
  }

  get cmdValue(): string {
    return this.editor.value;
  }

  /** One key; see keys(). */
  key(input: string, k: KeyInfo): void {
    this.keys([{ input, key: k }]);
  }

  /**
   * Every key of one terminal read, in order (a paste, fast typing, or keys
   * queued while the UI was busy), then one redraw.
   */
  keys(presses: KeyPress[]): void {
    for (const { input, key: k } of presses) {
      if (this.quitting) break;
      try {
        if (k.ctrl && input === 'c') this.leave();
        else if (this.cmdActive) this.commandKey(input, k);
        else if (k.meta && !k.escape && input) {
          // ESC and a key in one read: in the panes, Esc then the key.
          this.normalKey('', { ...k, meta: false, escape: true });
          if (this.cmdActive) this.commandKey(input, { ...k, meta: false });
          else this.normalKey(input, { ...k, meta: false });
        } else this.normalKey(input, k);
      } catch (e) {
        this.say({ text: `error: ${e instanceof Error ? e.message : String(e)}`, tone: 'error' });
      }
    }
    this.changed();
  }

  private leave(): void {
    this.quitting = true;
    this.quit(0);
  }

  private commandKey(input: string, k: KeyInfo): void {
    if (k.escape && !input) {
      // Esc abandons what was typed, as in vi's command line.
      this.editor.set('');
      this.cmdActive = false;
      return;
    }
    if (k.return) {
      const line = this.editor.value.trim();
      this.editor.set('');
      this.cmdActive = false;
      if (line) this.execute(line);
      return;
    }
    if (k.upArrow) {
      const h = this.history.up(this.editor.value);
      if (h !== null) this.editor.set(h);
      return;
    }
    if (k.downArrow) {
      const h = this.history.down();
      if (h !== null) this.editor.set(h);
      return;
    }
    if (k.tab) {
      const before = this.editor.value.slice(0, this.editor.cursor);
      const after = this.editor.value.slice(this.editor.cursor);
      const c = complete(before, this.topo.nodes, localFiles);
      this.editor.set(c.line + after);
      this.editor.cursor = c.line.length;
      if (c.choices.length) this.say({ text: c.choices.join('  '), tone: 'dim' });
      return;
    }
    this.editor.edit(input, k);
  }

  /** Runs one line of the command language; errors are shown, never thrown. */
  execute(line: string): void {
    this.history.add(line);
    if (QUIT.has(line)) return this.leave();
    if (line.split(' ')[0] === 'matrix') return this.startMatrix(line);
    let r: { ok: boolean; output: string };
    try {
      r = this.session.command(line);
    } catch (e) {
      r = { ok: false, output: e instanceof Error ? e.message : String(e) };
    }
    const word = line.split(' ')[0];
    if (word === 'reset' && r.ok) {
      this.timeline.clear();
      this.packetId = null;
      this.packets = 0;
      this.cursorAbs = null;
      this.driver.resetCount();
      this.timeline.push({ t_us: this.session.now(), kind: 'sim.state', data: { state: this.session.state } });
      // What the old lab printed and said no longer holds: the output pane and the messages go too.
      this.output = null;
      this.messages = [];
      this.offsets.packet = this.offsets.output = 0;
      // A matrix and its cells were of the lab as it was, commands and all.
      this.matrix = null;
      this.cellTrace = null;
      if (this.lastInspector === 'matrix') this.lastInspector = 'node';
      if (this.inspector === 'output' || this.inspector === 'packet' || this.inspector === 'matrix') this.showInspector('node');
    }
    this.reportDirty = true;
    if (word === 'run') this.driver.resetCount();
    const multi = r.output.includes('\n');
    if (multi) {
      this.output = { command: line, lines: r.output.split('\n'), ok: r.ok };
      this.offsets.output = this.shifts.output = 0;
      this.showInspector('output');
      const n = this.output.lines.length;
      const size = n > 2000 ? ` (${n.toLocaleString('en-US')} lines: PgUp/PgDn page, Home/End)` : '';
      // A scenario's first line is its summary ("2 of 3 steps passed"), worth reading without the pane.
      const head = word === 'load' ? ` ${this.output.lines[0]};` : '';
      this.say({
        text: `> ${line}:${head} ${r.ok ? 'see the output pane' : 'failed, see the output pane'}${size}`,
        tone: r.ok ? 'dim' : 'error',
      });
    } else {
      this.say(
        { text: `> ${line}`, tone: 'dim' },
        { text: r.ok ? r.output || 'ok' : `error: ${r.output}`, tone: r.ok ? undefined : 'error' },
      );
    }
    this.driver.kick();
    this.changed();
  }

  private normalKey(input: string, k: KeyInfo): void {
    const order = this.layout.order;
    if (input === ':') {
      this.cmdActive = true;
      return;
    }
    if (input === 'q') return this.leave();
    if (input === '?') return this.showInspector('help', true);
    if (k.escape) {
      if (this.matrixRun) return this.matrixRun.abort();
      if (this.inspector === 'help' || this.inspector === 'output') {
        this.showInspector(this.lastInspector);
        if (this.focusBefore && this.layout.order.includes(this.focusBefore)) this.focus = this.focusBefore;
        this.focusBefore = null;
      } else if (this.inspector === 'packet' && this.cellTrace && this.matrix) this.showInspector('matrix', true);
      else if (this.inspector === 'matrix') this.showInspector(this.beforeMatrix, this.focus === 'matrix');
      return;
    }
    if (k.tab) {
      const i = order.indexOf(this.focus);
      this.focus = order[(i + (k.shift ? order.length - 1 : 1)) % order.length];
      return;
    }
    if (input >= '1' && input <= '9' && Number(input) <= order.length) {
      this.focus = order[Number(input) - 1];
      return;
    }
    switch (input) {
      case ' ':
        if (this.session.state === 'running') this.session.pause();
        else this.runSession();
        return;
      case 'r':
        return this.runSession();
      case 'p':
        this.session.pause();
        return;
      case 's':
        this.stepOnce();
        return;
      case 'a':
        this.timeline.detail = !this.timeline.detail;
        this.say({
          text: this.timeline.detail ? 'timeline: every step of every packet (from now on)' : 'timeline: packets, results and changes only',
          tone: 'dim',
        });
        return;
    }
    this.paneKey(input, k);
  }

  private runSession(): void {
    this.driver.resetCount();
    this.session.run();
    this.driver.kick();
  }

  private stepOnce(): void {
    const ran = this.session.step();
    if (ran) this.driver.events++;
    this.say({ text: ran ? `stepped one event; t=${formatMicros(this.session.now())}` : 'nothing left to run', tone: 'dim' });
  }

  private paneKey(input: string, k: KeyInfo): void {
    const rows = bodyRows(this.paneHeight(this.focus));
    const delta =
      k.upArrow || input === 'k'
        ? -1
        : k.downArrow || input === 'j'
          ? 1
          : k.pageUp
            ? -Math.max(1, rows - 1)
            : k.pageDown
              ? Math.max(1, rows - 1)
              : 0;
    switch (this.focus) {
      case 'topology': {
        const nodes = this.topo.nodes;
        if (!nodes.length) return;
        if (delta) {
          const i = Math.max(0, Math.min(nodes.length - 1, nodes.indexOf(this.selectedNode ?? nodes[0]) + Math.sign(delta)));
          this.selectNode(nodes[i]);
        }
        if (k.return) this.showInspector('node');
        return;
      }
      case 'timeline': {
        const n = this.timeline.length;
        if (!n) return;
        if (k.end || input === 'G') this.cursorAbs = null;
        else if (k.home || input === 'g') this.cursorAbs = this.timeline.evicted;
        else if (delta) {
          const cur = this.timelineCursor ?? n - 1;
          this.cursorAbs = this.timeline.evicted + Math.max(0, Math.min(n - 1, cur + delta));
        }
        if (k.return) this.openTimelineRow();
        return;
      }
      case 'packet':
        if (input === '[' || input === ']') return this.nextPacket(input === ']' ? 1 : -1);
        return this.scroll('packet', delta, k);
      case 'matrix':
        return this.matrixKey(input, k, rows);
      case 'node':
        if (input === '[' || input === ']') return this.jumpSection(input === ']' ? 1 : -1);
        return this.scroll('node', delta, k);
      case 'output':
      case 'help':
        return this.scroll(this.focus, delta, k);
    }
  }

  /** Lines in a scrolled pane, so scrolling stops at the end instead of running past it. */
  private contentLength(which: Scrolled): number {
    switch (which) {
      case 'node':
        return this.nodeReport()?.lines.length ?? 0;
      case 'output':
        return this.output?.lines.length ?? 0;
      case 'help':
        return HELP_LINES.length;
      case 'packet': {
        const t = this.shownTrace();
        return t ? traceLines(t).length : 0;
      }
    }
  }

  private scroll(which: Scrolled, delta: number, k: KeyInfo): void {
    if (k.leftArrow || k.rightArrow) this.shifts[which] = Math.max(0, this.shifts[which] + (k.rightArrow ? 8 : -8));
    const rows = bodyRows(this.paneHeight(which));
    const last = Math.max(0, this.contentLength(which) - rows);
    if (k.home) this.offsets[which] = this.shifts[which] = 0;
    else if (k.end) this.offsets[which] = last;
    else if (delta) this.offsets[which] = Math.max(0, Math.min(last, this.offsets[which] + delta));
  }

  selectNode(name: string): void {
    if (name !== this.selectedNode) this.offsets.node = 0;
    this.selectedNode = name;
  }

  private openTimelineRow(): void {
    const n = this.timeline.length;
    const e = this.timeline.at(this.timelineCursor ?? n - 1);
    const id = eventTrace(e);
    if (id === null) {
      this.say({ text: 'this event is not about a packet', tone: 'dim' });
      return;
    }
    this.openPacket(id);
  }

  openPacket(id: number): void {
    this.packetId = id;
    this.cellTrace = null;
    this.offsets.packet = 0;
    this.showInspector('packet');
  }

  private nextPacket(dir: number): void {
    const ct = this.cellTrace;
    if (ct) {
      ct.index = Math.max(0, Math.min(ct.traces.length - 1, ct.index + dir));
      this.offsets.packet = 0;
      return;
    }
    const ids = this.session.recentTraces().map((t) => t.id);
    if (!ids.length) return;
    const i = this.packetId === null ? -1 : ids.indexOf(this.packetId);
    const j = i < 0 ? (dir > 0 ? 0 : ids.length - 1) : Math.max(0, Math.min(ids.length - 1, i + dir));
    this.packetId = ids[j];
    this.offsets.packet = 0;
  }

  private jumpSection(dir: number): void {
    const r = this.nodeReport();
    if (!r) return;
    const off = this.offsets.node;
    const starts = r.sections.map((s) => s.start);
    const next = dir > 0 ? starts.find((s) => s > off) : [...starts].reverse().find((s) => s < off);
    if (next !== undefined) this.offsets.node = next;
  }

  /** The packet the packet inspector shows: the opened cell's, or the session's selected one. */
  shownTrace(): PacketTrace | null {
    if (this.cellTrace) return this.cellTrace.traces[this.cellTrace.index] ?? null;
    return this.packetId === null ? null : (this.session.trace(this.packetId) ?? null);
  }

  /**
   * `matrix [--from ...] [--to ...] [--proto ...]`: every cell runs on its own
   * copy of the lab, across worker threads, while the UI goes on answering keys;
   * a progress line counts the cells and Esc stops the run.
   */
  private startMatrix(line: string): void {
    const c = parseCommand(line, (n) => this.session.resolveNode(n));
    if ('error' in c || c.kind !== 'matrix') {
      this.say({ text: `> ${line}`, tone: 'dim' }, { text: `error: ${'error' in c ? c.error : 'not a matrix command'}`, tone: 'error' });
      return;
    }
    if (this.matrixRun) {
      this.say({ text: `> ${line}`, tone: 'dim' }, { text: 'error: a matrix is still being computed (Esc stops it)', tone: 'error' });
      return;
    }
    const run = new AbortController();
    this.matrixRun = run;
    this.matrixProgress = 'matrix starting  Esc stops';
    this.say({ text: `> ${line}: computing (every cell on its own copy of the lab; Esc stops)...`, tone: 'dim' });
    this.changed();
    const t0 = this.clock();
    let shownAt = t0;
    const progress = (done: number, total: number) => {
      // Redrawn at most a few times a second: a grid of 40,000 cells reports after every batch.
      if (this.clock() - shownAt < 250) return;
      shownAt = this.clock();
      this.matrixProgress = `matrix ${done}/${total} cells  Esc stops`;
      this.changed();
    };
    this.defer(() => {
      this.session.matrix(c, { signal: run.signal, onProgress: progress }).then(
        (m) => this.matrixDone(m, Math.round(this.clock() - t0), run.signal.aborted),
        (e: unknown) => this.matrixDone({ ok: false, error: e instanceof Error ? e.message : String(e) }, 0, false),
      );
    });
  }

  private matrixDone(m: MatrixAnswer, ms: number, stopped: boolean): void {
    this.matrixRun = null;
    this.matrixProgress = null;
    if (stopped && !m.ok) this.say({ text: 'matrix stopped; the grid shown before, if any, is unchanged', tone: 'dim' });
    else if (!m.ok) this.say({ text: `error: ${m.error}`, tone: 'error' });
    else {
      const v = m.value;
      this.matrix = new MatrixGrid(v);
      this.cellTrace = null;
      const after = v.changes ? `, after ${v.changes} change${v.changes === 1 ? '' : 's'}` : '';
      this.say({
        text: `matrix: ${v.sources.length} sources × ${v.destinations.length} destinations${after} in ${ms} ms; arrows move, Enter opens a cell's trace`,
        tone: 'dim',
      });
      this.showInspector('matrix', true);
    }
    this.changed();
  }

  private matrixKey(input: string, k: KeyInfo, rows: number): void {
    const g = this.matrix;
    if (!g) return;
    const page = Math.max(1, rows - MATRIX_CHROME - 1);
    if (k.upArrow || input === 'k') g.move(-1, 0);
    else if (k.downArrow || input === 'j') g.move(1, 0);
    else if (k.leftArrow || input === 'h') g.move(0, -1);
    else if (k.rightArrow || input === 'l') g.move(0, 1);
    else if (k.pageUp) g.move(-page, 0);
    else if (k.pageDown) g.move(page, 0);
    else if (k.home || input === 'g') g.move(-g.rows, -g.cols);
    else if (k.end || input === 'G') g.move(g.rows, g.cols);
    else if (k.return) this.openCell();
  }

  /** Enter on a cell: the cell's probe again on its own copy of the lab, every packet traced, in the packet inspector. */
  private openCell(): void {
    const cell = this.matrix?.selected;
    if (!cell) return;
    const r = this.session.matrixTrace({ from: cell.from, to: cell.to, proto: cell.proto });
    if (!r.ok) {
      this.say({ text: `error: ${r.error}`, tone: 'error' });
      return;
    }
    this.cellTrace = { cell: r.value.cell, traces: r.value.traces, index: 0 };
    this.offsets.packet = this.shifts.packet = 0;
    this.showInspector('packet', true);
  }
}
