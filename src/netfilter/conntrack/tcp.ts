/**
 * TCP connection tracking: the kernel's state table and window tracking
 * (nf_conntrack_proto_tcp), rewritten. Each direction keeps what it has sent
 * (`end`), the furthest the peer allowed it to send (`maxend`) and the largest
 * window it advertised (`maxwin`); a segment outside those bounds is INVALID.
 */
import type { Micros } from '../../core/time.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TCP_URG, type Packet } from '../../packet/packet.js';

export enum TcpState {
  NONE = 0,
  SYN_SENT = 1,
  SYN_RECV = 2,
  ESTABLISHED = 3,
  FIN_WAIT = 4,
  CLOSE_WAIT = 5,
  LAST_ACK = 6,
  TIME_WAIT = 7,
  CLOSE = 8,
  SYN_SENT2 = 9,
  /** Table value: the segment is invalid. */
  IV = 10,
  /** Table value: let the segment pass without touching the state. */
  IG = 11,
}

export const TCP_STATE_NAMES: readonly string[] = [
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
  'SYN_SENT2',
];

/** Which flags the segment carries, in the kernel's precedence (RST, SYN, FIN, ACK). */
const enum Idx {
  SYN = 0,
  SYNACK = 1,
  FIN = 2,
  ACK = 3,
  RST = 4,
  NONE = 5,
}

// Per-direction flag bits (kernel values, visible as CTA_PROTOINFO_TCP_FLAGS).
const F_WSCALE = 0x01;
const F_SACK_PERM = 0x02;
const F_CLOSE_INIT = 0x04;
const F_BE_LIBERAL = 0x08;
const F_DATA_UNACK = 0x10;
const F_MAXACK_SET = 0x20;
// Connection-wide flags kept in lastFlags.
const F_CHALLENGE_ACK = 0x40;
const F_SIMULTANEOUS_OPEN = 0x80;

const S = TcpState;
const sSS = S.SYN_SENT,
  sSR = S.SYN_RECV,
  sES = S.ESTABLISHED,
  sFW = S.FIN_WAIT,
  sCW = S.CLOSE_WAIT;
const sLA = S.LAST_ACK,
  sTW = S.TIME_WAIT,
  sCL = S.CLOSE,
  sS2 = S.SYN_SENT2,
  sIV = S.IV,
  sIG = S.IG;

/** [direction][flag index][old state] → new state; columns: NO SS SR ES FW CW LA TW CL S2 (kernel 6.x). */
const TABLE: readonly (readonly (readonly TcpState[])[])[] = [
  [
    /* syn    */ [sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2],
    /* synack */ [sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR],
    /* fin    */ [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /* ack    */ [sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV],
    /* rst    */ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /* none   */ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
  [
    /* syn    */ [sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2],
    /* synack */ [sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR],
    /* fin    */ [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /* ack    */ [sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG],
    /* rst    */ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /* none   */ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
];

/** Timeouts in seconds by state, plus the two pseudo-states RETRANS and UNACK; sysctl names alongside. */
export const TCP_TIMEOUTS: ReadonlyArray<readonly [string, number]> = [
  ['syn_sent', 120], // NONE: the kernel reuses SYN_SENT
  ['syn_sent', 120],
  ['syn_recv', 60],
  ['established', 432000],
  ['fin_wait', 120],
  ['close_wait', 60],
  ['last_ack', 30],
  ['time_wait', 120],
  ['close', 10],
  ['syn_sent', 120], // SYN_SENT2 has no sysctl of its own
  ['max_retrans', 300],
  ['unacknowledged', 300],
];
const T_RETRANS = 10;
const T_UNACK = 11;

export interface TcpSide {
  end: number;
  maxend: number;
  maxwin: number;
  maxack: number;
  scale: number;
  flags: number;
}

const side = (): TcpSide => ({ end: 0, maxend: 0, maxwin: 0, maxack: 0, scale: 0, flags: 0 });

export class TcpConn {
  state: TcpState = S.NONE;
  seen: [TcpSide, TcpSide] = [side(), side()];
  lastDir = 0;
  lastIndex: Idx = Idx.NONE;
  lastSeq = 0;
  lastAck = 0;
  lastEnd = 0;
  lastWin = 0;
  lastWscale = 0;
  lastFlags = 0;
  retrans = 0;
}

/** What the tracker needs from the table: tunables and entry status. */
export interface TcpEnv {
  /** Timeout in µs for a TCP_TIMEOUTS index (sysctl-aware). */
  timeout(index: number): Micros;
  loose: boolean;
  beLiberal: boolean;
  ignoreInvalidRst: boolean;
  maxRetrans: number;
}

export type TcpResult =
  | { kind: 'accept'; timeout: Micros | null; changed: boolean; assure: boolean; kill: boolean }
  | { kind: 'ignore' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'repeat' };

const before = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const after = (a: number, b: number): boolean => ((b - a) | 0) < 0;
const u32 = (n: number): number => n >>> 0;

/** Flag combinations that are legal at all (PSH, ECE, CWR aside); anything else is INVALID before any state. */
function validFlags(f: number): boolean {
  const x = f & (TCP_FIN | TCP_SYN | TCP_RST | TCP_ACK | TCP_URG);
  switch (x) {
    case TCP_SYN:
    case TCP_SYN | TCP_URG:
    case TCP_SYN | TCP_ACK:
    case TCP_RST:
    case TCP_RST | TCP_ACK:
    case TCP_FIN | TCP_ACK:
    case TCP_FIN | TCP_ACK | TCP_URG:
    case TCP_ACK:
    case TCP_ACK | TCP_URG:
      return true;
    default:
      return false;
  }
}

function indexOf(f: number): Idx {
  if (f & TCP_RST) return Idx.RST;
  if (f & TCP_SYN) return f & TCP_ACK ? Idx.SYNACK : Idx.SYN;
  if (f & TCP_FIN) return Idx.FIN;
  if (f & TCP_ACK) return Idx.ACK;
  return Idx.NONE;
}

function segEnd(p: Packet): number {
  const t = p.tcp!;
  return u32(t.seq + p.payload.length + (t.flags & TCP_SYN ? 1 : 0) + (t.flags & TCP_FIN ? 1 : 0));
}

function readOptions(p: Packet, s: TcpSide): void {
  const o = p.tcp!.options;
  s.scale = 0;
  s.flags &= F_BE_LIBERAL;
  if (o.sackPermitted) s.flags |= F_SACK_PERM;
  if (o.wscale !== undefined) {
    s.scale = Math.min(o.wscale, 14);
    s.flags |= F_WSCALE;
  }
}

function initSender(snd: TcpSide, rcv: TcpSide, p: Packet, end: number, win: number, dir: number): void {
  snd.end = snd.maxend = end;
  snd.maxwin = win === 0 ? 1 : win;
  readOptions(p, snd);
  // Window scaling only counts when both SYNs carried the option.
  if (dir === 1 && !(snd.flags & F_WSCALE && rcv.flags & F_WSCALE)) snd.scale = rcv.scale = 0;
}

/** Sets up a fresh (unconfirmed) entry from its first segment; false when that segment cannot open one. */
export function tcpNew(c: TcpConn, p: Packet, env: TcpEnv): boolean {
  const t = p.tcp!;
  const ns = TABLE[0][indexOf(t.flags)][S.NONE];
  if (ns >= S.IV) return false;
  const s0 = c.seen[0];
  s0.end = segEnd(p);
  s0.maxwin = t.window === 0 ? 1 : t.window;
  if (ns === S.SYN_SENT) {
    s0.maxend = s0.end;
    readOptions(p, s0);
  } else {
    // Picking up a connection mid-stream (nf_conntrack_tcp_loose): no history, so be liberal.
    if (!env.loose) return false;
    s0.maxend = u32(s0.end + s0.maxwin);
    s0.flags = c.seen[1].flags = F_SACK_PERM | F_BE_LIBERAL;
  }
  c.lastIndex = Idx.NONE;
  return true;
}

type WinResult = 'accept' | 'ignore' | 'invalid';

function inWindow(c: TcpConn, dir: number, index: Idx, p: Packet, env: TcpEnv): { r: WinResult; why: string } {
  const t = p.tcp!;
  const snd = c.seen[dir];
  const rcv = c.seen[1 - dir];
  let seq = t.seq >>> 0;
  let ack = t.ack >>> 0;
  let sack = ack;
  const winRaw = t.window;
  let win = winRaw;
  let end = segEnd(p);
  const liberal = (): boolean => env.beLiberal || (snd.flags & F_BE_LIBERAL) !== 0;
  const bad = (r: WinResult, why: string): { r: WinResult; why: string } => (liberal() ? { r: 'accept', why: '' } : { r, why });
  const syn = (t.flags & TCP_SYN) !== 0;
  const hasAck = (t.flags & TCP_ACK) !== 0;

  if (snd.maxwin === 0) {
    if (syn) {
      initSender(snd, rcv, p, end, win, dir);
      if (!hasAck) return { r: 'accept', why: '' };
    } else {
      snd.end = end;
      const swin = u32(win * 2 ** snd.scale);
      snd.maxwin = swin === 0 ? 1 : swin;
      snd.maxend = u32(end + snd.maxwin);
      if (rcv.maxwin === 0) rcv.end = rcv.maxend = sack;
      else if (sack === u32(rcv.end + 1)) rcv.end = u32(rcv.end + 1);
    }
  } else if (syn && after(end, snd.end) && (c.state === S.SYN_SENT || c.state === S.SYN_RECV)) {
    // A SYN (or SYN/ACK) with a newer sequence re-initialises this direction.
    initSender(snd, rcv, p, end, win, dir);
    if (dir === 1 && !hasAck) return { r: 'accept', why: '' };
  }

  if (!hasAck) ack = sack = rcv.end;
  else if (t.flags & TCP_RST && ack === 0) ack = sack = rcv.end;

  if (t.flags & TCP_RST && seq === 0 && c.state === S.SYN_SENT) seq = end = snd.end;

  const maxAckWin = snd.maxwin > 66000 ? snd.maxwin : 66000;
  if (!before(seq, u32(snd.maxend + 1))) {
    const overshot = u32(end - snd.maxend + 1);
    const ackOk = after(sack, u32(rcv.end - maxAckWin - 1));
    const inRecv = rcv.maxwin !== 0 && after(end, u32(snd.end - rcv.maxwin - 1));
    if (inRecv && ackOk && overshot <= rcv.maxwin && before(sack, u32(rcv.end + 1))) {
      snd.end = end;
      snd.flags |= F_DATA_UNACK;
      return bad('ignore', 'bytes more than expected');
    }
    return bad('invalid', 'SEQ is over upper bound (over the window of the receiver)');
  }
  if (!before(sack, u32(rcv.end + 1))) return bad('invalid', 'ACK is over upper bound (ACKed data not seen yet)');
  if (rcv.maxwin !== 0 && !after(end, u32(snd.end - rcv.maxwin - 1))) {
    return bad('ignore', 'SEQ is under lower bound (already ACKed data retransmitted)');
  }
  if (!after(sack, u32(rcv.end - maxAckWin - 1))) return bad('ignore', 'ignored ACK under lower bound (possible overly delayed)');

  if (!syn) win = u32(win * 2 ** snd.scale);
  const swin = u32(win + (sack - ack));
  if (snd.maxwin < swin) snd.maxwin = swin;
  if (after(end, snd.end)) {
    snd.end = end;
    snd.flags |= F_DATA_UNACK;
  }
  if (hasAck) {
    if (!(snd.flags & F_MAXACK_SET)) {
      snd.maxack = ack;
      snd.flags |= F_MAXACK_SET;
    } else if (after(ack, snd.maxack)) snd.maxack = ack;
  }
  if (rcv.maxwin !== 0 && after(end, snd.maxend)) rcv.maxwin = u32(rcv.maxwin + (end - snd.maxend));
  if (after(u32(sack + win), u32(rcv.maxend - 1))) {
    rcv.maxend = u32(sack + win);
    if (win === 0) rcv.maxend = u32(rcv.maxend + 1);
  }
  if (ack === rcv.end) rcv.flags &= ~F_DATA_UNACK;

  if (index === Idx.ACK) {
    if (c.lastDir === dir && c.lastSeq === seq && c.lastAck === ack && c.lastEnd === end && c.lastWin === winRaw) c.retrans++;
    else {
      c.lastDir = dir;
      c.lastSeq = seq;
      c.lastAck = ack;
      c.lastEnd = end;
      c.lastWin = winRaw;
      c.retrans = 0;
    }
  }
  return { r: 'accept', why: '' };
}

/**
 * One segment through the tracker (nf_conntrack_tcp_packet). `dir` is 0 for the
 * original direction; `seenReply`/`assured` are the entry's status bits before
 * this packet. The caller applies the result to the entry.
 */
export function tcpPacket(
  c: TcpConn,
  p: Packet,
  dir: number,
  confirmed: boolean,
  seenReply: boolean,
  assured: boolean,
  env: TcpEnv,
): TcpResult {
  const t = p.tcp!;
  if (!validFlags(t.flags)) return { kind: 'invalid', reason: 'invalid tcp flag combination' };
  if (!confirmed && c.state === S.NONE && c.seen[0].maxwin === 0 && !tcpNew(c, p, env)) return { kind: 'invalid', reason: 'invalid new' };

  let oldState = c.state;
  const index = indexOf(t.flags);
  let newState = TABLE[dir][index][oldState];
  let skipWindow = false;

  let ignored = false;
  switch (newState) {
    case S.SYN_SENT:
      if (oldState < S.TIME_WAIT) break;
      // A SYN reopening a closed/aborted connection: the old entry goes, the packet is looked up again.
      if ((c.seen[dir].flags | c.seen[1 - dir].flags) & F_CLOSE_INIT || (c.lastDir === dir && c.lastIndex === Idx.RST)) {
        return { kind: 'repeat' };
      }
      ignored = true;
      break;
    case S.IG:
      ignored = true;
      break;
    case S.IV:
      return { kind: 'invalid', reason: 'packet invalid in this state' };
    case S.TIME_WAIT:
      if (oldState === S.LAST_ACK && index === Idx.ACK && c.lastDir !== dir && c.lastIndex === Idx.SYN && c.lastFlags & F_CHALLENGE_ACK) {
        c.lastFlags &= ~F_CHALLENGE_ACK;
        return { kind: 'ignore' };
      }
      break;
    case S.SYN_SENT2:
      c.lastFlags |= F_SIMULTANEOUS_OPEN;
      break;
    case S.SYN_RECV:
      if (dir === 1 && index === Idx.ACK && c.lastFlags & F_SIMULTANEOUS_OPEN) newState = S.ESTABLISHED;
      break;
    case S.CLOSE: {
      if (index !== Idx.RST) break;
      if (oldState >= S.FIN_WAIT && oldState <= S.CLOSE) {
        skipWindow = true;
        break;
      }
      const peer = c.seen[1 - dir];
      if (peer.flags & F_MAXACK_SET && c.lastIndex !== Idx.SYN) {
        const seq = t.seq >>> 0;
        const established = oldState === S.ESTABLISHED && assured;
        if (seq === 0 && !established) break;
        if (before(seq, peer.maxack) && !env.ignoreInvalidRst) return { kind: 'invalid', reason: 'invalid rst' };
        if (!established || seq === peer.maxack) break;
        if (c.lastIndex === Idx.ACK && c.lastDir === dir && seq === c.lastEnd) break;
        // An inexact RST keeps the state, so a challenge ACK can still follow.
        newState = oldState;
      }
      if (((seenReply && c.lastIndex === Idx.SYN) || (!assured && c.lastIndex === Idx.ACK)) && t.ack >>> 0 === c.lastEnd) {
        skipWindow = true;
        break;
      }
      if (oldState === S.SYN_SENT && c.lastIndex === Idx.ACK && c.lastDir === 1 && t.seq >>> 0 === c.lastAck) skipWindow = true;
      break;
    }
    default:
      break;
  }

  if (ignored) {
    if (index === Idx.SYNACK && c.lastIndex === Idx.SYN && c.lastDir !== dir && t.ack >>> 0 === c.lastEnd) {
      // The SYN/ACK answers a SYN we ignored: both ends are in sync, we were not.
      oldState = S.SYN_SENT;
      newState = S.SYN_RECV;
      const ls = c.seen[c.lastDir];
      ls.end = ls.maxend = c.lastEnd;
      ls.maxwin = c.lastWin === 0 ? 1 : c.lastWin;
      ls.scale = c.lastWscale;
      c.lastFlags &= ~F_CHALLENGE_ACK;
      ls.flags = c.lastFlags;
      const rs = c.seen[dir];
      rs.end = rs.maxend = rs.maxwin = rs.maxack = rs.scale = 0;
      rs.flags &= F_BE_LIBERAL;
    } else {
      c.lastIndex = index;
      c.lastDir = dir;
      c.lastSeq = t.seq >>> 0;
      c.lastEnd = segEnd(p);
      c.lastWin = t.window;
      if (index === Idx.SYN && dir === 0) {
        c.lastFlags = c.lastWscale = 0;
        const o = t.options;
        if (o.wscale !== undefined) {
          c.lastFlags |= F_WSCALE;
          c.lastWscale = Math.min(o.wscale, 14);
        }
        if (o.sackPermitted) c.lastFlags |= F_SACK_PERM;
        if (oldState === S.LAST_ACK) c.lastFlags |= F_CHALLENGE_ACK;
      }
      if (oldState === S.SYN_SENT && index === Idx.ACK && dir === 1) c.lastAck = t.ack >>> 0;
      return { kind: 'ignore' };
    }
  }

  if (!skipWindow) {
    const w = inWindow(c, dir, index, p, env);
    if (w.r === 'ignore') return { kind: 'ignore' };
    if (w.r === 'invalid') return { kind: 'invalid', reason: w.why };
  }

  c.lastIndex = index;
  c.lastDir = dir;
  c.state = newState;
  if (oldState !== newState && newState === S.FIN_WAIT) c.seen[dir].flags |= F_CLOSE_INIT;

  const tState = env.timeout(newState);
  let timeout: Micros;
  if (c.retrans >= env.maxRetrans && tState > env.timeout(T_RETRANS)) timeout = env.timeout(T_RETRANS);
  else if (index === Idx.RST) timeout = env.timeout(S.CLOSE);
  else if ((c.seen[0].flags | c.seen[1].flags) & F_DATA_UNACK && tState > env.timeout(T_UNACK)) timeout = env.timeout(T_UNACK);
  else if (c.lastWin === 0 && tState > env.timeout(T_RETRANS)) timeout = env.timeout(T_RETRANS);
  else timeout = tState;

  const changed = oldState !== newState;
  if (!seenReply) {
    // A connection whose only answer is a RST is gone at once.
    if (t.flags & TCP_RST) return { kind: 'accept', timeout: null, changed, assure: false, kill: true };
    // A retransmitted SYN does not extend the entry's life.
    if (index === Idx.SYN && oldState === S.SYN_SENT) return { kind: 'accept', timeout: null, changed, assure: false, kill: false };
    if (newState === S.ESTABLISHED && timeout > env.timeout(T_UNACK)) timeout = env.timeout(T_UNACK);
    return { kind: 'accept', timeout, changed, assure: false, kill: false };
  }
  const assure = !assured && (oldState === S.SYN_RECV || oldState === S.ESTABLISHED) && newState === S.ESTABLISHED;
  return { kind: 'accept', timeout, changed, assure, kill: false };
}
