/**
 * A TCP endpoint: the handshake, in-order data, FIN and RST, and retransmission
 * on the virtual clock. It is a plain transition function over segments (it runs
 * per packet, so it is not an xstate machine); it knows nothing of IP: the node
 * hands it segments and gives it a way to send them.
 */
import type { Micros } from '../core/time.js';
import type { TimerHandle, Timers } from '../core/timers.js';
import type { Ipv4 } from '../packet/ipv4.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type TcpHeader } from '../packet/packet.js';

export type TcpState =
  'CLOSED' | 'SYN_SENT' | 'SYN_RECV' | 'ESTABLISHED' | 'FIN_WAIT1' | 'FIN_WAIT2' | 'CLOSING' | 'TIME_WAIT' | 'CLOSE_WAIT' | 'LAST_ACK';

/** Errors as the socket API reports them. */
export type SocketError =
  'ECONNREFUSED' | 'ECONNRESET' | 'ETIMEDOUT' | 'EHOSTUNREACH' | 'ENETUNREACH' | 'EACCES' | 'EPERM' | 'EINVAL' | 'ENOPROTOOPT' | 'EMSGSIZE';

export interface Segment {
  tcp: TcpHeader;
  payload: Uint8Array;
}

export interface TcpIo {
  timers: Timers;
  /** Emits a segment from this endpoint (the node adds IP and routes it); false when it never left (a local error). */
  send(ep: TcpEndpoint, seg: Segment): boolean | void;
  /** A fresh initial sequence number. */
  isn(): number;
}

export interface TcpHandlers {
  onConnected?(ep: TcpEndpoint): void;
  onData?(ep: TcpEndpoint, data: Uint8Array): void;
  /** The peer sent FIN: no more data will come. */
  onPeerClosed?(ep: TcpEndpoint): void;
  onError?(ep: TcpEndpoint, err: SocketError): void;
  onClosed?(ep: TcpEndpoint): void;
}

const SYN_RTO: Micros = 1_000_000;
const DATA_RTO: Micros = 200_000;
const SYN_RETRIES = 6;
const DATA_RETRIES = 15;
const TIME_WAIT: Micros = 60_000_000;
const WINDOW_SYN = 64240;
const WINDOW = 502;
const WSCALE = 7;

const seqAdd = (a: number, n: number): number => (a + n) >>> 0;
/** a < b in sequence space. */
const seqLt = (a: number, b: number): boolean => ((a - b) | 0) < 0;

interface Outstanding {
  seq: number;
  flags: number;
  payload: Uint8Array;
  /** Sequence space it occupies (SYN and FIN count one). */
  len: number;
}

export class TcpEndpoint {
  state: TcpState = 'CLOSED';
  /** Data, a SYN or a FIN is still unacknowledged and a retransmission timer will send it again. */
  get retransmitting(): boolean {
    return this.rtxTimer !== null && this.queue.length > 0 && this.state !== 'TIME_WAIT';
  }
  private iss = 0;
  private sndNxt = 0;
  private sndUna = 0;
  private rcvNxt = 0;
  private peerMss = 536;
  private tsRecent = 0;
  private readonly queue: Outstanding[] = [];
  private rtxTimer: TimerHandle | null = null;
  private rtxCount = 0;
  /** An RTO fired and nothing was acknowledged since (TCP_CA_Loss: the congestion window is one segment). */
  private inLoss = false;
  private finSent = false;
  /** close() in loss recovery: the FIN waits in the write queue until the window opens. */
  private finPending = false;
  /**
   * The last try to send the oldest unacknowledged segment failed here (OUTPUT
   * dropped it, no route): the kernel keeps it unsent at the head of the write
   * queue and retries on the zero-window probe timer (200 ms, doubling), with
   * no tail probe and no loss recovery, and a FIN joins it.
   */
  private headUnsent = false;
  handlers: TcpHandlers = {};

  constructor(
    private readonly io: TcpIo,
    readonly localAddr: Ipv4,
    readonly localPort: number,
    readonly remoteAddr: Ipv4,
    readonly remotePort: number,
    private readonly mss: number,
  ) {}

  connect(): void {
    this.iss = this.io.isn();
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.state = 'SYN_SENT';
    this.transmit(TCP_SYN, new Uint8Array(0));
  }

  /** Server side: answer a SYN that reached a listener. */
  acceptSyn(syn: TcpHeader): void {
    this.iss = this.io.isn();
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.rcvNxt = seqAdd(syn.seq, 1);
    if (syn.options.mss) this.peerMss = syn.options.mss;
    if (syn.options.timestamp) this.tsRecent = syn.options.timestamp[0];
    this.state = 'SYN_RECV';
    this.transmit(TCP_SYN | TCP_ACK, new Uint8Array(0));
  }

  write(data: Uint8Array): void {
    if (this.state !== 'ESTABLISHED' && this.state !== 'CLOSE_WAIT') return;
    for (let off = 0; off < data.length; off += this.peerMss) {
      this.transmit(TCP_PSH | TCP_ACK, data.subarray(off, Math.min(data.length, off + this.peerMss)));
    }
  }

  close(): void {
    if (this.finSent || this.finPending) return;
    if (this.state === 'ESTABLISHED') this.state = 'FIN_WAIT1';
    else if (this.state === 'CLOSE_WAIT') this.state = 'LAST_ACK';
    else if (this.state === 'SYN_SENT') return this.finish();
    else return;
    // In loss recovery the one-segment window is taken by the retransmitted head:
    // the kernel queues the FIN unsent (and a retransmission never takes it in).
    if (this.inLoss && this.queue.length) {
      this.finPending = true;
      return;
    }
    if (this.headUnsent && this.queue.length === 1 && !(this.queue[0].flags & TCP_SYN)) {
      // tcp_send_fin tacks the FIN onto the unsent segment at the tail and pushes it.
      const h = this.queue[0];
      h.flags |= TCP_FIN;
      h.len += 1;
      this.sndNxt = seqAdd(this.sndNxt, 1);
      this.finSent = true;
      this.headUnsent = !this.emit(h.flags, h.seq, h.payload);
      return;
    }
    this.sendFin();
  }

  private sendFin(): void {
    this.finSent = true;
    this.transmit(TCP_FIN | TCP_ACK, new Uint8Array(0));
  }

  /** Sends RST and forgets the connection. */
  abort(): void {
    if (this.state !== 'CLOSED' && this.state !== 'SYN_SENT' && this.state !== 'TIME_WAIT') {
      this.emit(TCP_RST | TCP_ACK, this.sndNxt, new Uint8Array(0));
    }
    this.finish();
  }

  /** An ICMP error about this connection arrived (already classified as an errno). */
  icmpError(err: SocketError): void {
    if (this.state === 'SYN_SENT' || this.state === 'SYN_RECV') this.fail(err);
  }

  receive(seg: Segment): void {
    const t = seg.tcp;
    if (t.options.timestamp) this.tsRecent = t.options.timestamp[0];
    if (this.state === 'SYN_SENT') return this.receiveInSynSent(t);
    if (this.state === 'CLOSED') return;
    if (t.flags & TCP_RST) {
      if (t.seq === this.rcvNxt || this.state === 'SYN_RECV') this.fail('ECONNRESET');
      return;
    }
    if (t.flags & TCP_SYN) {
      // A retransmitted SYN-ACK: our ACK was lost, repeat it.
      if (this.state === 'ESTABLISHED') this.emit(TCP_ACK, this.sndNxt, new Uint8Array(0));
      return;
    }
    if (!(t.flags & TCP_ACK)) return;
    this.processAck(t.ack);
    if (this.state === 'SYN_RECV') {
      if (this.sndUna !== this.sndNxt) return;
      this.state = 'ESTABLISHED';
      this.handlers.onConnected?.(this);
    }
    let acked = false;
    const hasData = seg.payload.length > 0;
    if ((hasData || t.flags & TCP_FIN) && t.seq !== this.rcvNxt) {
      // Out of order or a duplicate: acknowledge what we have and wait for retransmission.
      this.emit(TCP_ACK, this.sndNxt, new Uint8Array(0));
      return;
    }
    const sentBefore = this.sndNxt;
    if (hasData && this.acceptsData()) {
      this.rcvNxt = seqAdd(this.rcvNxt, seg.payload.length);
      this.handlers.onData?.(this, seg.payload);
      acked = this.sndNxt !== sentBefore;
    }
    if (t.flags & TCP_FIN) {
      this.rcvNxt = seqAdd(this.rcvNxt, 1);
      this.onFin();
      acked = acked || this.sndNxt !== sentBefore;
    }
    if ((hasData || t.flags & TCP_FIN) && !acked && (this.state as TcpState) !== 'CLOSED') {
      this.emit(TCP_ACK, this.sndNxt, new Uint8Array(0));
    }
  }

  private acceptsData(): boolean {
    return this.state === 'ESTABLISHED' || this.state === 'FIN_WAIT1' || this.state === 'FIN_WAIT2';
  }

  private receiveInSynSent(t: TcpHeader): void {
    const ackOk = (t.flags & TCP_ACK) !== 0 && t.ack === seqAdd(this.iss, 1);
    if (t.flags & TCP_RST) {
      if (ackOk) this.fail('ECONNREFUSED');
      return;
    }
    if (!(t.flags & TCP_SYN) || !ackOk) return;
    this.rcvNxt = seqAdd(t.seq, 1);
    if (t.options.mss) this.peerMss = t.options.mss;
    this.processAck(t.ack);
    this.state = 'ESTABLISHED';
    this.emit(TCP_ACK, this.sndNxt, new Uint8Array(0));
    this.handlers.onConnected?.(this);
  }

  private onFin(): void {
    switch (this.state) {
      case 'ESTABLISHED':
        this.state = 'CLOSE_WAIT';
        this.handlers.onPeerClosed?.(this);
        break;
      case 'FIN_WAIT1':
        // Our FIN not yet acknowledged: simultaneous close.
        this.state = 'CLOSING';
        this.handlers.onPeerClosed?.(this);
        break;
      case 'FIN_WAIT2':
        this.handlers.onPeerClosed?.(this);
        this.enterTimeWait();
        break;
      default:
        break;
    }
  }

  private processAck(ack: number): void {
    if (seqLt(this.sndNxt, ack) || !seqLt(this.sndUna, ack)) return;
    this.sndUna = ack;
    while (this.queue.length && !seqLt(ack, seqAdd(this.queue[0].seq, this.queue[0].len))) this.queue.shift();
    this.rtxCount = 0;
    this.inLoss = false;
    this.restartTimer();
    if (this.finPending) {
      this.finPending = false;
      this.sendFin();
    }
    if (this.finSent && this.sndUna === this.sndNxt) {
      if (this.state === 'FIN_WAIT1') this.state = 'FIN_WAIT2';
      else if (this.state === 'CLOSING') this.enterTimeWait();
      else if (this.state === 'LAST_ACK') this.finish();
    }
  }

  private enterTimeWait(): void {
    this.state = 'TIME_WAIT';
    this.stopTimer();
    this.rtxTimer = this.io.timers.at(this.io.timers.now() + TIME_WAIT, () => this.finish());
    this.handlers.onClosed?.(this);
  }

  private transmit(flags: number, payload: Uint8Array): void {
    const len = payload.length + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
    const seq = this.sndNxt;
    this.queue.push({ seq, flags, payload, len });
    this.sndNxt = seqAdd(this.sndNxt, len);
    const sent = this.emit(flags, seq, payload);
    if (seq === this.sndUna) this.headUnsent = !sent;
    if (!this.rtxTimer) this.restartTimer();
  }

  private emit(flags: number, seq: number, payload: Uint8Array): boolean {
    const syn = (flags & TCP_SYN) !== 0;
    const tsval = Math.floor(this.io.timers.now() / 1000) >>> 0;
    const tcp: TcpHeader = {
      sport: this.localPort,
      dport: this.remotePort,
      seq,
      ack: flags & TCP_ACK ? this.rcvNxt : 0,
      flags,
      window: syn ? WINDOW_SYN : WINDOW,
      options: syn
        ? { mss: this.mss, sackPermitted: true, timestamp: [tsval, this.tsRecent], wscale: WSCALE }
        : { timestamp: [tsval, this.tsRecent] },
    };
    return this.io.send(this, { tcp, payload }) !== false;
  }

  private restartTimer(): void {
    this.stopTimer();
    if (!this.queue.length || this.state === 'TIME_WAIT' || this.state === 'CLOSED') return;
    const head = this.queue[0];
    const syn = (head.flags & TCP_SYN) !== 0;
    const limit = syn ? (this.state === 'SYN_RECV' ? this.synackRetries : SYN_RETRIES) : DATA_RETRIES + 1;
    // Data: the first timer is the tail loss probe (after about one RTO_MIN, not
    // backed off, no loss recovery), then the RTO backs off from RTO_MIN:
    // 200, 400, 800, 1600 ms (measured on 6.18: 206, 414, 842, 1674 ms).
    const probe0 = syn || this.headUnsent;
    const wait = probe0 ? (syn ? SYN_RTO : DATA_RTO) * 2 ** this.rtxCount : DATA_RTO * 2 ** Math.max(0, this.rtxCount - 1);
    this.rtxTimer = this.io.timers.at(this.io.timers.now() + wait, () => {
      this.rtxTimer = null;
      if (this.rtxCount >= limit) return this.fail('ETIMEDOUT');
      if (!probe0 && this.rtxCount > 0) this.inLoss = true;
      this.rtxCount++;
      const h = this.collapseHead();
      if (h) this.headUnsent = !this.emit(h.flags, h.seq, h.payload);
      this.restartTimer();
    });
  }

  /**
   * tcp_retrans_try_collapse: a retransmitted segment takes in the segments
   * queued behind it while they fit one MSS, flags and all, so a FIN queued
   * behind unacknowledged data is sent again with it. The merge is kept, as the
   * kernel merges the queued buffers themselves.
   */
  private collapseHead(): Outstanding | undefined {
    const h = this.queue[0];
    if (!h || h.flags & TCP_SYN) return h;
    while (this.queue.length > 1) {
      const next = this.queue[1];
      if (next.flags & TCP_SYN || h.payload.length + next.payload.length > this.peerMss) break;
      const payload = new Uint8Array(h.payload.length + next.payload.length);
      payload.set(h.payload);
      payload.set(next.payload, h.payload.length);
      this.queue.splice(0, 2, { seq: h.seq, flags: h.flags | next.flags, payload, len: h.len + next.len });
      return this.collapseHead();
    }
    return h;
  }

  private stopTimer(): void {
    this.rtxTimer?.cancel();
    this.rtxTimer = null;
  }

  private fail(err: SocketError): void {
    this.finish();
    this.handlers.onError?.(this, err);
  }

  private finish(): void {
    const wasOpen = this.state !== 'CLOSED' && this.state !== 'TIME_WAIT';
    this.state = 'CLOSED';
    this.stopTimer();
    this.queue.length = 0;
    this.onRemove?.(this);
    if (wasOpen) this.handlers.onClosed?.(this);
  }

  /** SYN-ACK retransmissions of a passive open (`net.ipv4.tcp_synack_retries`, 5 by default). */
  synackRetries = 5;

  /** Set by the socket table: called once when the endpoint is gone. */
  onRemove: ((ep: TcpEndpoint) => void) | null = null;
}
