/**
 * One connected viewer: what it subscribed to, and a bounded send queue. The
 * queue is the socket's own buffer (`bufferedAmount`): when a client reads
 * too slowly for it to drain, the client is told and dropped instead of
 * letting the server hold an ever-growing backlog or pausing the simulation.
 */
import type { WebSocket } from 'ws';
import type { LoggedEvent } from './event-log.js';
import type { ServerMessage, Subscription } from './protocol.js';

/** Application close codes (4000-4999 are free for applications). */
export const CLOSE_SLOW = 4008;
export const CLOSE_SHUTDOWN = 1001;

export class Filter {
  private readonly nodes: ReadonlySet<string> | null;
  private readonly kinds: ReadonlySet<string> | null;

  constructor(readonly subscription: Subscription) {
    this.nodes = subscription.nodes ? new Set(subscription.nodes) : null;
    this.kinds = subscription.kinds ? new Set(subscription.kinds) : null;
  }

  /** Events that concern no node (sim.state, a probe's result without one) pass any node filter. */
  matches(e: LoggedEvent): boolean {
    if (this.kinds && !this.kinds.has(e.kind) && !this.kinds.has(`${e.family}.*`)) return false;
    if (!this.nodes || e.nodes.length === 0) return true;
    for (const n of e.nodes) if (this.nodes.has(n)) return true;
    return false;
  }
}

export const EVERYTHING: Subscription = { nodes: null, kinds: null };

/** Bulk data (replays, chunks of a long output) is written only while the socket holds less than this. */
const BULK_LOW_WATER = 512 * 1024;

export class FeedClient {
  filter = new Filter(EVERYTHING);
  alive = true;
  /** The most bytes ever seen waiting for this client (for tests and stats). */
  peakQueued = 0;
  sent = 0;
  /** The newest event id when hello was sent: a resume replays up to here, later ones came live. */
  helloLast = 0;
  /** The matrix this client asked for and is waiting on; stopped when the client leaves or asks for another. */
  matrixRun: AbortController | null = null;
  /** Messages waiting behind bulk data, in order, from `backlogHead` on; `live` ones count against the queue limit. */
  private backlog: Array<{ json: string; bulk: boolean }> = [];
  private backlogHead = 0;
  private backlogLive = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  /** Bulk bytes queued or written but not yet handed to the kernel. */
  private bulkPending = 0;
  private inflightBulk = 0;

  constructor(
    readonly ws: WebSocket,
    private readonly queueLimit: number,
    private readonly onSlow: (c: FeedClient) => void,
  ) {}

  sendMessage(m: ServerMessage, bulk = false): void {
    this.sendRaw(JSON.stringify(m), bulk);
  }

  sendEvent(e: LoggedEvent): void {
    if (this.filter.matches(e)) this.sendRaw(e.json);
  }

  /** Bulk bytes this client has yet to receive (a new long output is cut short past a bound). */
  get bulkBacklog(): number {
    return this.bulkPending;
  }

  /**
   * Replies and events share one queue, so a client that only sends commands
   * is held to the same bound. Bulk messages (a replay, the chunks of a long
   * output) are written as the client reads them and never make it "slow";
   * whatever comes after them waits in order and does count.
   */
  sendRaw(json: string, bulk = false): void {
    if (!this.alive) return;
    if (bulk) this.bulkPending += json.length;
    if (this.waiting() === 0 && (!bulk || this.ws.bufferedAmount < BULK_LOW_WATER)) {
      if (!bulk && this.tooSlow(json.length)) return;
      this.write(json, bulk);
      return;
    }
    if (!bulk && this.tooSlow(json.length)) return;
    this.backlog.push({ json, bulk });
    if (!bulk) this.backlogLive += json.length;
    this.scheduleFlush();
  }

  private waiting(): number {
    return this.backlog.length - this.backlogHead;
  }

  /** Write callbacks drain the backlog; this covers a socket that fills with data written without one. */
  private scheduleFlush(): void {
    if (this.flushTimer || !this.alive) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flush();
      if (this.waiting()) this.scheduleFlush();
    }, 10);
    this.flushTimer.unref();
  }

  /** Forgets what waits (the connection is gone). */
  discard(): void {
    this.alive = false;
    this.backlog = [];
    this.backlogHead = 0;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  private tooSlow(adding: number): boolean {
    const queued = this.ws.bufferedAmount - this.inflightBulk + this.backlogLive;
    if (queued > this.peakQueued) this.peakQueued = queued;
    if (queued + adding <= this.queueLimit) return false;
    this.onSlow(this);
    return true;
  }

  private write(json: string, bulk: boolean): void {
    this.sent++;
    if (!bulk) {
      this.ws.send(json, this.waiting() ? () => this.flush() : undefined);
      return;
    }
    this.inflightBulk += json.length;
    this.ws.send(json, () => {
      this.inflightBulk -= json.length;
      this.bulkPending -= json.length;
      this.flush();
    });
  }

  private flush(): void {
    while (this.alive && this.waiting()) {
      const head = this.backlog[this.backlogHead];
      if (head.bulk && this.ws.bufferedAmount >= BULK_LOW_WATER) break;
      this.backlogHead++;
      if (!head.bulk) this.backlogLive -= head.json.length;
      this.write(head.json, head.bulk);
    }
    // A replay of thousands of events would make shift() quadratic; drop the sent part now and then instead.
    if (this.waiting() === 0) {
      this.backlog = [];
      this.backlogHead = 0;
    } else if (this.backlogHead > 1024 && this.backlogHead * 2 > this.backlog.length) {
      this.backlog = this.backlog.slice(this.backlogHead);
      this.backlogHead = 0;
    }
  }
}
