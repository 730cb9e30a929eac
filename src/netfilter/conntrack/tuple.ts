/**
 * Conntrack tuples: extraction from a packet, inversion, equality and a numeric
 * hash (so lookups never build strings). ICMP keeps the echo id in `sport` and
 * `type << 8 | code` in `dport`, as CtTuple documents.
 */
import type { CtTuple } from '../types.js';
import { PROTO_ICMP, PROTO_TCP, PROTO_UDP, type Packet } from '../../packet/packet.js';

/** Query types whose answer is the reply direction of the same entry (kernel's invmap). */
const ICMP_INVERSE: Readonly<Record<number, number>> = { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17 };

/** ICMP types that may open an entry (a request, never its answer). */
export function icmpTypeStartsFlow(type: number): boolean {
  return type === 8 || type === 13 || type === 15 || type === 17;
}

export function icmpHasInverse(type: number): boolean {
  return ICMP_INVERSE[type] !== undefined;
}

/** Error types whose payload quotes the offending packet; they are tracked as RELATED, never on their own. */
export function isIcmpError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

export function icmpType(t: CtTuple): number {
  return t.dport >>> 8;
}

export function icmpCode(t: CtTuple): number {
  return t.dport & 0xff;
}

/** The tuple of a packet as conntrack sees it; null for an ICMP message that has no inverse (cannot be tracked). */
export function tupleOf(p: Packet): CtTuple | null {
  if (p.proto === PROTO_TCP && p.tcp) return { src: p.src, dst: p.dst, proto: PROTO_TCP, sport: p.tcp.sport, dport: p.tcp.dport };
  if (p.proto === PROTO_UDP && p.udp) return { src: p.src, dst: p.dst, proto: PROTO_UDP, sport: p.udp.sport, dport: p.udp.dport };
  if (p.proto === PROTO_ICMP && p.icmp) {
    return { src: p.src, dst: p.dst, proto: PROTO_ICMP, sport: p.icmp.id, dport: (p.icmp.type << 8) | p.icmp.code };
  }
  // Protocols without ports are tracked by addresses alone, like the kernel's generic tracker.
  return { src: p.src, dst: p.dst, proto: p.proto, sport: 0, dport: 0 };
}

/** The tuple a reply would carry; for ICMP the answer type, or null when the type has none. */
export function invertTuple(t: CtTuple): CtTuple | null {
  if (t.proto === PROTO_ICMP) {
    const inv = ICMP_INVERSE[t.dport >>> 8];
    if (inv === undefined) return null;
    return { src: t.dst, dst: t.src, proto: t.proto, sport: t.sport, dport: (inv << 8) | (t.dport & 0xff) };
  }
  return { src: t.dst, dst: t.src, proto: t.proto, sport: t.dport, dport: t.sport };
}

export function tupleEquals(a: CtTuple, b: CtTuple): boolean {
  return a.src === b.src && a.dst === b.dst && a.proto === b.proto && a.sport === b.sport && a.dport === b.dport;
}

export function copyTuple(t: CtTuple): CtTuple {
  return { src: t.src, dst: t.dst, proto: t.proto, sport: t.sport, dport: t.dport };
}

/** A 32-bit mix of the tuple and zone; only a bucket index, equality is always checked. */
export function tupleHash(t: CtTuple, zone: number): number {
  let h = Math.imul(t.src ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ t.dst, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ ((t.sport << 16) | t.dport), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ (t.proto << 16) ^ zone, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
