import type { Ipv4 } from './ipv4.js';

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

/** TCP flag bits as they sit in the header's flags byte. */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

export interface TcpHeader {
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** Options present on the segment, by kind (2 = MSS with its value). Absent kinds are not there. */
  options: { mss?: number; sackPermitted?: boolean; wscale?: number; timestamp?: [number, number] };
}

export interface UdpHeader {
  sport: number;
  dport: number;
}

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETER_PROBLEM = 12;

export const ICMP_NET_UNREACH = 0;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PROT_UNREACH = 2;
export const ICMP_PORT_UNREACH = 3;
export const ICMP_FRAG_NEEDED = 4;
export const ICMP_NET_PROHIBITED = 9;
export const ICMP_HOST_PROHIBITED = 10;
export const ICMP_ADMIN_PROHIBITED = 13;

export interface IcmpHeader {
  type: number;
  code: number;
  /** Echo identifier and sequence; zero for errors. */
  id: number;
  seq: number;
  /** Next-hop MTU for fragmentation-needed. */
  mtu?: number;
  /** For errors: the offending packet's IP header and first 8 payload bytes, parsed. */
  quoted?: Packet;
}

/**
 * An IPv4 packet with its headers as fields. The wire module turns it into bytes
 * (with checksums) when bytes are needed; the packet path works on fields.
 */
export interface Packet {
  src: Ipv4;
  dst: Ipv4;
  proto: number;
  ttl: number;
  tos: number;
  /** IP identification. */
  id: number;
  df: boolean;
  /** Fragment offset in 8-byte units, and the more-fragments bit. */
  fragOffset: number;
  moreFragments: boolean;
  /** IP options length in bytes (0 for a plain header). */
  ipOptionsLen: number;
  tcp?: TcpHeader;
  udp?: UdpHeader;
  icmp?: IcmpHeader;
  payload: Uint8Array;
}

export function l4HeaderLength(p: Packet): number {
  if (p.tcp) return 20 + tcpOptionsLength(p.tcp);
  if (p.udp) return 8;
  if (p.icmp) return 8 + (p.icmp.quoted ? quotedLength(p.icmp.quoted) : 0);
  return 0;
}

export function tcpOptionsLength(t: TcpHeader): number {
  let n = 0;
  if (t.options.mss !== undefined) n += 4;
  if (t.options.sackPermitted) n += 2;
  if (t.options.timestamp) n += 10;
  if (t.options.wscale !== undefined) n += 3;
  return (n + 3) & ~3;
}

/** Linux quotes as much of the offending packet as fits in a 576-byte error (RFC 1812), not only its first 8 payload bytes. */
export const ICMP_QUOTE_MAX = 576 - 20 - 8;

function quotedLength(q: Packet): number {
  return Math.min(packetLength(q), ICMP_QUOTE_MAX);
}

/** Total length as the IP header's total-length field says. */
export function packetLength(p: Packet): number {
  return 20 + p.ipOptionsLen + l4HeaderLength(p) + p.payload.length;
}

export function clonePacket(p: Packet): Packet {
  return {
    ...p,
    tcp: p.tcp && { ...p.tcp, options: { ...p.tcp.options } },
    udp: p.udp && { ...p.udp },
    icmp: p.icmp && { ...p.icmp, quoted: p.icmp.quoted && clonePacket(p.icmp.quoted) },
  };
}

/** Source and destination ports for TCP/UDP; 0 otherwise. */
export function sport(p: Packet): number {
  return p.tcp ? p.tcp.sport : p.udp ? p.udp.sport : 0;
}

export function dport(p: Packet): number {
  return p.tcp ? p.tcp.dport : p.udp ? p.udp.dport : 0;
}

export function protoName(proto: number): string {
  return proto === PROTO_TCP ? 'tcp' : proto === PROTO_UDP ? 'udp' : proto === PROTO_ICMP ? 'icmp' : String(proto);
}

export function tcpFlagsText(flags: number): string {
  const names: string[] = [];
  if (flags & TCP_SYN) names.push('SYN');
  if (flags & TCP_ACK) names.push('ACK');
  if (flags & TCP_FIN) names.push('FIN');
  if (flags & TCP_RST) names.push('RST');
  if (flags & TCP_PSH) names.push('PSH');
  if (flags & TCP_URG) names.push('URG');
  if (flags & TCP_ECE) names.push('ECE');
  if (flags & TCP_CWR) names.push('CWR');
  return names.join(',');
}
