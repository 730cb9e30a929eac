/**
 * How entries are shown: `conntrack -L` lines byte for byte as conntrack-tools
 * 1.4.7 prints them, and the plain object that `nflab run --json` reports carry.
 */
import { formatIpv4 } from '../../packet/ipv4.js';
import { PROTO_ICMP, PROTO_TCP, PROTO_UDP, protoName } from '../../packet/packet.js';
import { IPS_ASSURED, IPS_SEEN_REPLY, type CtTuple } from '../types.js';
import type { CtEntry } from './entry.js';
import { icmpCode, icmpType } from './tuple.js';

function l4Name(proto: number): string {
  return proto === PROTO_TCP || proto === PROTO_UDP || proto === PROTO_ICMP ? protoName(proto) : 'unknown';
}

function tupleText(t: CtTuple): string {
  const addrs = `src=${formatIpv4(t.src)} dst=${formatIpv4(t.dst)} `;
  if (t.proto === PROTO_ICMP) return `${addrs}type=${icmpType(t)} code=${icmpCode(t)} id=${t.sport} `;
  if (t.proto === PROTO_TCP || t.proto === PROTO_UDP) return `${addrs}sport=${t.sport} dport=${t.dport} `;
  return addrs;
}

/** One `conntrack -L` line, without the newline. */
export function formatEntry(e: CtEntry): string {
  let s = `${l4Name(e.orig.proto).padEnd(8)} ${e.orig.proto} ${e.expiresInSeconds()} `;
  const st = e.protoStateName();
  if (st) s += `${st} `;
  s += tupleText(e.orig);
  if (!(e.status & IPS_SEEN_REPLY)) s += '[UNREPLIED] ';
  s += tupleText(e.reply);
  if (e.status & IPS_ASSURED) s += '[ASSURED] ';
  s += `mark=${e.mark >>> 0} `;
  if (e.zone !== 0) s += `zone=${e.zone} `;
  return `${s}use=1`;
}

export interface PlainTuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  type?: number;
  code?: number;
  id?: number;
}

export interface PlainEntry {
  proto: string;
  state: string;
  mark: string;
  orig: PlainTuple;
  reply: PlainTuple;
  flags: string[];
  zone?: number;
  /** Seconds left, as `conntrack -L` shows. */
  timeout: number;
}

function plainTuple(t: CtTuple): PlainTuple {
  const out: PlainTuple = { src: formatIpv4(t.src), dst: formatIpv4(t.dst) };
  if (t.proto === PROTO_ICMP) {
    out.type = icmpType(t);
    out.code = icmpCode(t);
    out.id = t.sport;
  } else if (t.proto === PROTO_TCP || t.proto === PROTO_UDP) {
    out.sport = t.sport;
    out.dport = t.dport;
  }
  return out;
}

/** The entry as scenario reports show it; flags are the `conntrack -L` bracketed words. */
export function plainEntry(e: CtEntry): PlainEntry {
  const flags: string[] = [];
  if (!(e.status & IPS_SEEN_REPLY)) flags.push('UNREPLIED');
  if (e.status & IPS_ASSURED) flags.push('ASSURED');
  const out: PlainEntry = {
    proto: l4Name(e.orig.proto),
    state: e.protoStateName(),
    mark: `0x${(e.mark >>> 0).toString(16)}`,
    orig: plainTuple(e.orig),
    reply: plainTuple(e.reply),
    flags,
    timeout: e.expiresInSeconds(),
  };
  if (e.zone !== 0) out.zone = e.zone;
  return out;
}
