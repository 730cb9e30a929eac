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

export class FeedClient {
  filter = new Filter(EVERYTHING);
  alive = true;
  /** The most bytes ever seen waiting for this client (for tests and stats). */
  peakQueued = 0;
  sent = 0;
  /** The newest event id when hello was sent: a resume replays up to here, later ones came live. */
  helloLast = 0;

  constructor(
    readonly ws: WebSocket,
    private readonly queueLimit: number,
    private readonly onSlow: (c: FeedClient) => void,
  ) {}

  sendMessage(m: ServerMessage): void {
    this.sendRaw(JSON.stringify(m));
  }

  sendEvent(e: LoggedEvent): void {
    if (this.filter.matches(e)) this.sendRaw(e.json);
  }

  /** Replies and events share one queue, so a client that only sends commands is held to the same bound. */
  sendRaw(json: string): void {
    if (!this.alive) return;
    const queued = this.ws.bufferedAmount;
    if (queued > this.peakQueued) this.peakQueued = queued;
    if (queued + json.length > this.queueLimit) {
      this.onSlow(this);
      return;
    }
    this.ws.send(json);
    this.sent++;
  }
}
