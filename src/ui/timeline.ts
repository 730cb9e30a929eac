/**
 * The timeline: session events kept in a bounded ring, turned into text only
 * when a row is drawn. The listener runs once per engine event, so it does no
 * formatting, only a push.
 */
import type { SessionEvent } from '../session/session.js';
import { clockTime, humanDuration } from '../core/time.js';
import { type Line, MARK, type Tone, verdictTone } from './style.js';
import { packetLabel, stepText, stepTone } from './trace-lines.js';

/**
 * Step kinds that make the timeline too long to read; the packet inspector
 * shows them. Conntrack's own new/update/destroy events stay.
 */
const DETAIL_KINDS = new Set(['packet.verdict', 'packet.hop', 'packet.step']);

export class Timeline {
  private readonly ring: SessionEvent[] = [];
  private start = 0;
  /** Counts every event ever pushed, so views can tell something changed. */
  version = 0;
  /** Events pushed out of the front so far: row i today was row i + evicted at the start. */
  evicted = 0;

  constructor(
    readonly capacity = 5000,
    public detail = false,
  ) {}

  push(e: SessionEvent): void {
    this.version++;
    if (!this.detail && DETAIL_KINDS.has(e.kind)) return;
    if (this.ring.length < this.capacity) this.ring.push(e);
    else {
      this.ring[this.start] = e;
      this.start = (this.start + 1) % this.capacity;
      this.evicted++;
    }
  }

  get length(): number {
    return this.ring.length;
  }

  at(i: number): SessionEvent {
    return this.ring[(this.start + i) % this.ring.length];
  }

  clear(): void {
    this.ring.length = 0;
    this.start = 0;
    this.evicted = 0;
    this.version++;
  }
}

/** The packet trace an event points at, if any (what Enter on a timeline row opens). */
export function eventTrace(e: SessionEvent): number | null {
  if (e.kind === 'probe.result') return e.data.trace;
  return 'packet' in e && typeof e.packet === 'number' ? e.packet : null;
}

/** Virtual time, in the one unit the UI shows times in (seconds with microseconds). */
export function formatMicros(us: number): string {
  return clockTime(us);
}

export function eventLine(e: SessionEvent): Line {
  const t = formatMicros(e.t_us).padStart(11);
  const body = describe(e);
  return { text: `${t} ${MARK[body.tone]} ${body.text}`, tone: body.tone };
}

function describe(e: SessionEvent): { text: string; tone: Tone } {
  switch (e.kind) {
    case 'sim.state':
      return { text: `session ${e.data.state}`, tone: 'dim' };
    case 'probe.result': {
      const d = e.data;
      const extra = d.server ? ` by ${d.server}${d.server_sees ? ` (saw ${d.server_sees})` : ''}` : '';
      return { text: `${d.command}: ${d.result}${extra}`, tone: verdictTone(d.result) };
    }
    case 'packet.new':
      return { text: `#${e.packet} ${e.node}: new ${packetLabel(e.data)}`, tone: 'info' };
    case 'packet.end':
      return { text: `#${e.packet} ${e.node}: ${e.outcome}`, tone: verdictTone(e.outcome) };
    case 'rules.update': {
      const u = e.data;
      return {
        text: `${e.node}: ${u.backend} rule update, ${humanDuration(u.cost_us)} (${u.why}); takes effect at t=${clockTime(u.commit_us)}`,
        tone: 'nat',
      };
    }
    case 'rules.changed':
      return { text: `${e.node}: rules changed (${e.data})`, tone: 'nat' };
    case 'log':
      return { text: `${e.node}: LOG ${e.data}`, tone: 'info' };
    case 'conntrack.new':
    case 'conntrack.update':
    case 'conntrack.destroy':
      return { text: `${e.node}: ${e.kind} ${conntrackText(e.data)}`, tone: 'conntrack' };
    default:
      return { text: `#${e.packet} ${e.node}: ${stepText(e.step)}`, tone: stepTone(e.step) };
  }
}

interface CtTuple {
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  type?: number;
  code?: number;
  id?: number;
}

function tupleText(t: CtTuple | undefined): string {
  if (!t) return '?';
  if (t.sport !== undefined) return `${t.src}:${t.sport} > ${t.dst}:${t.dport}`;
  return `${t.src} > ${t.dst}${t.type !== undefined ? ` type ${t.type} code ${t.code}${t.id !== undefined ? ` id ${t.id}` : ''}` : ''}`;
}

/** A conntrack entry as the feed carries it (the same JSON shape as `nflab run --json`'s `conntrack` field). */
export function conntrackText(data: unknown): string {
  if (!data || typeof data !== 'object') return '';
  const e = data as { proto?: string; state?: string; orig?: CtTuple; reply?: CtTuple; flags?: string[] };
  const flags = e.flags?.length ? ` [${e.flags.join(',')}]` : '';
  return `${e.proto ?? ''} ${e.state ?? ''} ${tupleText(e.orig)} / reply ${tupleText(e.reply)}${flags}`.replace(/\s+/g, ' ').trim();
}
