/**
 * Collects packet traces and turns them into the event stream every front end
 * subscribes to. When nobody records, the packet path skips all of this: no
 * summaries, no strings.
 */
import type { Micros } from '../core/time.js';
import type { Packet } from '../packet/packet.js';
import { type Outcome, type PacketTrace, summarizePacket, type TraceStep } from './steps.js';
import type { LabEvent, LabListener, StepEventKind } from './events.js';

/** A copy of a packet's netfilter view as it entered a table. */
export interface TableSnapshot {
  node: string;
  hook: string;
  table: string;
  /** A native nft base chain's entry: its family and chain (`table` is the nft table's name). */
  nft?: { family: string; chain: string };
  skb: unknown;
}

function kindOf(step: TraceStep): StepEventKind {
  if ('link' in step) return 'packet.hop';
  if ('hook' in step) return 'packet.verdict';
  if ('deliver' in step) return 'packet.deliver';
  if ('drop' in step) return 'packet.drop';
  return 'packet.step';
}

export class Tracer {
  private nextId = 1;
  private readonly listeners = new Set<LabListener>();
  /** Every trace of the run, by id (only while recording). */
  readonly traces = new Map<number, PacketTrace>();
  /** Keeps the newest traces only, so long runs do not grow memory without bound. */
  maxTraces = 20_000;
  /** The packet as it entered each table, for "why not" answers; kept beside the trace, never serialised with it. */
  private readonly snapshots = new WeakMap<PacketTrace, TableSnapshot[]>();

  constructor(
    private readonly now: () => Micros,
    public recording = true,
  ) {}

  /** The id the next packet will get. */
  get nextPacketId(): number {
    return this.nextId;
  }

  /** Numbers this tracer's packets from `id` on: a session reset keeps ids unique for the session's life. */
  continueIdsFrom(id: number): void {
    if (Number.isSafeInteger(id) && id > this.nextId) this.nextId = id;
  }

  subscribe(l: LabListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  get active(): boolean {
    return this.recording;
  }

  begin(node: string, pkt: Packet, mark: number): PacketTrace | null {
    if (!this.recording) return null;
    const t: PacketTrace = { id: this.nextId++, packet: summarizePacket(pkt, mark), steps: [], outcome: 'in-flight' };
    this.traces.set(t.id, t);
    if (this.traces.size > this.maxTraces) {
      const oldest = this.traces.keys().next().value;
      if (oldest !== undefined) this.traces.delete(oldest);
    }
    this.emit({ t_us: this.now(), kind: 'packet.new', packet: t.id, node, data: t.packet });
    return t;
  }

  step(t: PacketTrace | null, step: TraceStep): void {
    if (!t) return;
    t.steps.push(step);
    this.emit({ t_us: this.now(), kind: kindOf(step), packet: t.id, node: step.node, step });
  }

  end(t: PacketTrace | null, outcome: Outcome, node: string): void {
    if (!t || t.outcome !== 'in-flight') return;
    t.outcome = outcome;
    this.emit({ t_us: this.now(), kind: 'packet.end', packet: t.id, node, outcome });
  }

  snapshot(t: PacketTrace, snap: TableSnapshot): void {
    let list = this.snapshots.get(t);
    if (!list) this.snapshots.set(t, (list = []));
    list.push(snap);
  }

  snapshotsOf(t: PacketTrace): readonly TableSnapshot[] {
    return this.snapshots.get(t) ?? [];
  }

  emit(e: LabEvent): void {
    for (const l of this.listeners) l(e);
  }

  hasListeners(): boolean {
    return this.listeners.size > 0;
  }
}
