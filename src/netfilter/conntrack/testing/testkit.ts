/** Helpers for the conntrack and NAT tests: a manual clock, packet and skb builders, a tiny pipeline. */
import type { Micros } from '../../../core/time.js';
import type { TimerHandle, Timers } from '../../../core/timers.js';
import { parseIpv4 } from '../../../packet/ipv4.js';
import { PROTO_ICMP, PROTO_TCP, PROTO_UDP, TCP_ACK, type Packet, type TcpHeader } from '../../../packet/packet.js';
import type { Skb } from '../../types.js';
import { makeSkb } from '../../testing/packets.js';

export class ManualClock implements Timers {
  private t = 0;
  private seq = 0;
  private queue: Array<{ at: Micros; seq: number; fn: () => void; dead: boolean }> = [];

  now(): Micros {
    return this.t;
  }

  at(at: Micros, fn: () => void): TimerHandle {
    const ev = { at: Math.max(at, this.t), seq: this.seq++, fn, dead: false };
    this.queue.push(ev);
    return { cancel: () => void (ev.dead = true) };
  }

  /** Advances virtual time, running due callbacks in (time, order) order. */
  advance(us: Micros): void {
    const until = this.t + us;
    for (;;) {
      this.queue = this.queue.filter((e) => !e.dead);
      this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.queue[0];
      if (!next || next.at > until) break;
      this.queue.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = until;
  }
}

export const ip = (s: string): number => parseIpv4(s)!;

function base(src: string, dst: string, proto: number): Packet {
  return {
    src: ip(src),
    dst: ip(dst),
    proto,
    ttl: 64,
    tos: 0,
    id: 0,
    df: true,
    fragOffset: 0,
    moreFragments: false,
    ipOptionsLen: 0,
    payload: new Uint8Array(0),
  };
}

export function tcp(
  src: string,
  sport: number,
  dst: string,
  dport: number,
  flags: number,
  seq: number,
  ack = 0,
  len = 0,
  extra: Partial<TcpHeader> = {},
): Packet {
  const p = base(src, dst, PROTO_TCP);
  p.tcp = { sport, dport, seq: seq >>> 0, ack: flags & TCP_ACK ? ack >>> 0 : 0, flags, window: 64240, options: {}, ...extra };
  p.payload = new Uint8Array(len);
  return p;
}

export function udp(src: string, sport: number, dst: string, dport: number, len = 4): Packet {
  const p = base(src, dst, PROTO_UDP);
  p.udp = { sport, dport };
  p.payload = new Uint8Array(len);
  return p;
}

export function icmpEcho(src: string, dst: string, id: number, seq: number, reply = false): Packet {
  const p = base(src, dst, PROTO_ICMP);
  p.icmp = { type: reply ? 0 : 8, code: 0, id, seq };
  return p;
}

export function icmpError(src: string, dst: string, type: number, code: number, quoted: Packet): Packet {
  const p = base(src, dst, PROTO_ICMP);
  p.icmp = { type, code, id: 0, seq: 0, quoted };
  return p;
}

export function skbOf(pkt: Packet, inIf: string | null = null, outIf: string | null = null): Skb {
  // Before conntrack has seen it: no state yet.
  return makeSkb(pkt, { inIf, outIf, ctState: 'INVALID' });
}
