/**
 * The feed's numbered event history: every session event gets the next id and
 * is serialised once, whatever the number of clients. The newest `capacity`
 * events are kept in a ring so a client that reconnects can get what it
 * missed; older ones are forgotten, so memory stays bounded on long runs.
 */
import type { SessionEvent } from '../session/session.js';
import type { TraceStep } from '../trace/steps.js';
import { endpointNode } from './graph.js';
import type { EventKind, EventMessage } from './protocol.js';

export interface LoggedEvent {
  id: number;
  kind: EventKind;
  /** The part of the kind before the dot, for `family.*` subscriptions. */
  family: string;
  /** Every node the event concerns: its own, and for a hop both link ends. */
  nodes: readonly string[];
  /** The whole `event` message, ready to send. */
  json: string;
}

export type ResumeAnswer =
  { ok: true; events: LoggedEvent[] } | { ok: false; code: 'resume-too-old' | 'resume-unknown-id'; message: string };

export class EventLog {
  private readonly ring: (LoggedEvent | undefined)[];
  private lastId = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`event log capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array<LoggedEvent | undefined>(capacity);
  }

  get last(): number {
    return this.lastId;
  }

  /** The oldest id still held; last + 1 when nothing is held. */
  get oldest(): number {
    return Math.max(1, this.lastId - this.capacity + 1);
  }

  append(e: SessionEvent): LoggedEvent {
    const id = ++this.lastId;
    const msg: EventMessage = { type: 'event', id, t_us: e.t_us, kind: e.kind };
    const node = 'node' in e ? e.node : undefined;
    const step = 'step' in e ? e.step : undefined;
    if (node !== undefined) msg.node = node;
    if ('packet' in e && e.packet !== undefined) msg.packet = e.packet;
    if (step !== undefined) msg.step = step;
    if ('outcome' in e && e.outcome !== undefined) msg.outcome = e.outcome;
    if ('data' in e && e.data !== undefined) msg.data = e.data;
    const dot = e.kind.indexOf('.');
    const rec: LoggedEvent = {
      id,
      kind: msg.kind,
      family: dot < 0 ? e.kind : e.kind.slice(0, dot),
      nodes: nodesOf(node, step),
      json: JSON.stringify(msg),
    };
    this.ring[id % this.capacity] = rec;
    return rec;
  }

  /** Events with ids after `lastSeen` up to `through` (inclusive), if all of them are still held. */
  after(lastSeen: number, through = this.lastId): ResumeAnswer {
    if (lastSeen > this.lastId) {
      return {
        ok: false,
        code: 'resume-unknown-id',
        message: `event ${lastSeen} was never sent: the newest id is ${this.lastId} (did the server restart?); start afresh from hello`,
      };
    }
    if (lastSeen + 1 < this.oldest) {
      return {
        ok: false,
        code: 'resume-too-old',
        message: `events ${lastSeen + 1}..${this.oldest - 1} are no longer buffered (the buffer holds ${this.oldest}..${this.lastId}); nothing was replayed, start afresh from hello`,
      };
    }
    const events: LoggedEvent[] = [];
    for (let id = lastSeen + 1; id <= through; id++) {
      const rec = this.ring[id % this.capacity];
      if (rec && rec.id === id) events.push(rec);
    }
    return { ok: true, events };
  }
}

function nodesOf(node: string | undefined, step: TraceStep | undefined): readonly string[] {
  const link = step && 'link' in step ? step.link : null;
  if (link) {
    const out = [endpointNode(link.from), endpointNode(link.to)];
    if (node !== undefined && !out.includes(node)) out.push(node);
    return out;
  }
  return node === undefined ? [] : [node];
}
