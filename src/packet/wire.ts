/**
 * Packets as bytes: IPv4 with TCP, UDP or ICMP, Ethernet framing and ARP. The
 * packet path works on `Packet` fields; these are for pcap export, byte-level
 * tests and anything that must see real headers. Decoding validates lengths and
 * checksums and never throws: bad input is a diagnostic.
 */
import { err, ok, type Result } from '../core/diagnostic.js';
import { checksumValid, internetChecksum, pseudoHeaderSum } from './checksum.js';
import type { Ipv4 } from './ipv4.js';
import {
  ICMP_QUOTE_MAX,
  ICMP_DEST_UNREACH,
  ICMP_FRAG_NEEDED,
  ICMP_PARAMETER_PROBLEM,
  ICMP_REDIRECT,
  ICMP_TIME_EXCEEDED,
  PROTO_ICMP,
  PROTO_TCP,
  PROTO_UDP,
  tcpOptionsLength,
  type IcmpHeader,
  type Packet,
  type TcpHeader,
} from './packet.js';

// IPv4 header field offsets (RFC 791).
const IP_VER_IHL = 0;
const IP_TOS = 1;
const IP_TOTLEN = 2;
const IP_ID = 4;
const IP_FRAG = 6;
const IP_TTL = 8;
const IP_PROTO = 9;
const IP_CSUM = 10;
const IP_SRC = 12;
const IP_DST = 16;
const IP_FLAG_DF = 0x4000;
const IP_FLAG_MF = 0x2000;

// TCP (RFC 9293) and UDP (RFC 768) offsets, relative to the L4 header.
const TCP_SEQ = 4;
const TCP_ACK = 8;
const TCP_OFF = 12;
const TCP_FLAGS = 13;
const TCP_WIN = 14;
const TCP_CSUM = 16;
const UDP_LEN = 4;
const UDP_CSUM = 6;
const ICMP_CSUM = 2;

const TCPOPT_EOL = 0;
const TCPOPT_NOP = 1;
const TCPOPT_MSS = 2;
const TCPOPT_WSCALE = 3;
const TCPOPT_SACK_PERM = 4;
const TCPOPT_TIMESTAMP = 8;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;

const ICMP_ERRORS = new Set([ICMP_DEST_UNREACH, ICMP_REDIRECT, ICMP_TIME_EXCEEDED, ICMP_PARAMETER_PROBLEM]);

const isFirstFragment = (p: Packet): boolean => p.fragOffset === 0;

const put16 = (b: Uint8Array, at: number, v: number): void => {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
};
const put32 = (b: Uint8Array, at: number, v: number): void => {
  put16(b, at, v >>> 16);
  put16(b, at + 2, v & 0xffff);
};
const get16 = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];
const get32 = (b: Uint8Array, at: number): number => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

/** Writes TCP options in the layout Linux's tcp_options_write uses, so lengths match tcpOptionsLength. */
function writeTcpOptions(b: Uint8Array, at: number, o: TcpHeader['options']): void {
  let i = at;
  const bytes = (...vs: number[]) => {
    for (const v of vs) b[i++] = v;
  };
  if (o.mss !== undefined) {
    bytes(TCPOPT_MSS, 4);
    put16(b, i, o.mss);
    i += 2;
  }
  if (o.timestamp) {
    if (o.sackPermitted) bytes(TCPOPT_SACK_PERM, 2);
    else bytes(TCPOPT_NOP, TCPOPT_NOP);
    bytes(TCPOPT_TIMESTAMP, 10);
    put32(b, i, o.timestamp[0]);
    put32(b, i + 4, o.timestamp[1]);
    i += 8;
  } else if (o.sackPermitted) {
    bytes(TCPOPT_NOP, TCPOPT_NOP, TCPOPT_SACK_PERM, 2);
  }
  if (o.wscale !== undefined) bytes(TCPOPT_NOP, TCPOPT_WSCALE, 3, o.wscale);
}

function l4Length(p: Packet): number {
  if (!isFirstFragment(p)) return 0;
  if (p.tcp) return 20 + tcpOptionsLength(p.tcp);
  if (p.udp) return 8;
  if (p.icmp) return 8;
  return 0;
}

/** The bytes of an IPv4 packet, with every checksum computed. */
export function encodeIpv4(p: Packet): Uint8Array {
  const quoted = isFirstFragment(p) && p.icmp?.quoted ? encodeQuoted(p.icmp.quoted) : null;
  const ihl = 20 + p.ipOptionsLen;
  const l4 = l4Length(p);
  const total = ihl + l4 + (quoted?.length ?? 0) + p.payload.length;
  const b = new Uint8Array(total);
  b[IP_VER_IHL] = 0x40 | (ihl >>> 2);
  b[IP_TOS] = p.tos;
  put16(b, IP_TOTLEN, total);
  put16(b, IP_ID, p.id);
  put16(b, IP_FRAG, (p.df ? IP_FLAG_DF : 0) | (p.moreFragments ? IP_FLAG_MF : 0) | (p.fragOffset & 0x1fff));
  b[IP_TTL] = p.ttl;
  b[IP_PROTO] = p.proto;
  put32(b, IP_SRC, p.src);
  put32(b, IP_DST, p.dst);
  b.fill(TCPOPT_NOP, 20, ihl); // IP option contents are not modelled: NOPs keep the length honest.
  put16(b, IP_CSUM, internetChecksum(b, 0, ihl));
  const data = ihl + l4;
  if (quoted) b.set(quoted, data);
  b.set(p.payload, data + (quoted?.length ?? 0));
  if (!isFirstFragment(p)) return b;
  const l4len = total - ihl;
  if (p.tcp) {
    const t = p.tcp;
    put16(b, ihl, t.sport);
    put16(b, ihl + 2, t.dport);
    put32(b, ihl + TCP_SEQ, t.seq);
    put32(b, ihl + TCP_ACK, t.ack);
    b[ihl + TCP_OFF] = (l4 >>> 2) << 4;
    b[ihl + TCP_FLAGS] = t.flags;
    put16(b, ihl + TCP_WIN, t.window);
    writeTcpOptions(b, ihl + 20, t.options);
    put16(b, ihl + TCP_CSUM, internetChecksum(b, ihl, total, pseudoHeaderSum(p.src, p.dst, PROTO_TCP, l4len)));
  } else if (p.udp) {
    put16(b, ihl, p.udp.sport);
    put16(b, ihl + 2, p.udp.dport);
    put16(b, ihl + UDP_LEN, l4len);
    // A computed zero is sent as all-ones: zero on the wire means "no checksum".
    put16(b, ihl + UDP_CSUM, internetChecksum(b, ihl, total, pseudoHeaderSum(p.src, p.dst, PROTO_UDP, l4len)) || 0xffff);
  } else if (p.icmp) {
    const c = p.icmp;
    b[ihl] = c.type;
    b[ihl + 1] = c.code;
    if (ICMP_ERRORS.has(c.type)) {
      if (c.type === ICMP_DEST_UNREACH && c.code === ICMP_FRAG_NEEDED) put16(b, ihl + 6, c.mtu ?? 0);
    } else {
      put16(b, ihl + 4, c.id);
      put16(b, ihl + 6, c.seq);
    }
    put16(b, ihl + ICMP_CSUM, internetChecksum(b, ihl, total));
  }
  return b;
}

/** The part of an offending packet an ICMP error quotes: its IP header and the first 8 bytes after it. */
function encodeQuoted(q: Packet): Uint8Array {
  const full = encodeIpv4(q);
  return full.subarray(0, Math.min(full.length, ICMP_QUOTE_MAX));
}

const bad = (message: string): Result<never> => err([{ message }]);

/** Parses and validates an IPv4 packet (header and L4 checksums, lengths). Never throws. */
export function decodeIpv4(bytes: Uint8Array): Result<Packet> {
  return decodeIp(bytes, false);
}

function decodeIp(bytes: Uint8Array, quoted: boolean): Result<Packet> {
  if (bytes.length < 20) return bad(`truncated IPv4 header: ${bytes.length} of 20 bytes`);
  if (bytes[IP_VER_IHL] >>> 4 !== 4) return bad(`not IPv4: version ${bytes[IP_VER_IHL] >>> 4}`);
  const ihl = (bytes[IP_VER_IHL] & 0x0f) * 4;
  if (ihl < 20) return bad(`bad IPv4 header length ${ihl}`);
  if (bytes.length < ihl) return bad(`truncated IPv4 options: ${bytes.length} of ${ihl} bytes`);
  const total = get16(bytes, IP_TOTLEN);
  // A quoted header keeps the original total length, but only 8 bytes of its payload came along.
  const end = quoted ? bytes.length : total;
  if (!quoted) {
    if (total < ihl) return bad(`IPv4 total length ${total} shorter than its header`);
    if (bytes.length < total) return bad(`truncated IPv4 packet: ${bytes.length} of ${total} bytes`);
    if (!checksumValid(bytes, 0, ihl)) return bad('bad IPv4 header checksum');
  }
  const frag = get16(bytes, IP_FRAG);
  const p: Packet = {
    src: get32(bytes, IP_SRC),
    dst: get32(bytes, IP_DST),
    proto: bytes[IP_PROTO],
    ttl: bytes[IP_TTL],
    tos: bytes[IP_TOS],
    id: get16(bytes, IP_ID),
    df: (frag & IP_FLAG_DF) !== 0,
    moreFragments: (frag & IP_FLAG_MF) !== 0,
    fragOffset: frag & 0x1fff,
    ipOptionsLen: ihl - 20,
    payload: new Uint8Array(0),
  };
  if (p.fragOffset !== 0) {
    p.payload = bytes.slice(ihl, end);
    return ok(p);
  }
  // The L4 checksum covers the whole datagram: it can only be checked on an unfragmented packet.
  const verify = !quoted && !p.moreFragments;
  const l4 = bytes.subarray(ihl, end);
  if (p.proto === PROTO_TCP) return decodeTcp(p, l4, verify, quoted);
  if (p.proto === PROTO_UDP) return decodeUdp(p, l4, verify, quoted);
  if (p.proto === PROTO_ICMP) return decodeIcmp(p, l4, verify, quoted);
  p.payload = l4.slice();
  return ok(p);
}

function decodeTcp(p: Packet, l4: Uint8Array, verify: boolean, quoted: boolean): Result<Packet> {
  if (quoted) {
    if (l4.length < 8) return bad(`truncated quoted TCP header: ${l4.length} of 8 bytes`);
    p.tcp = { sport: get16(l4, 0), dport: get16(l4, 2), seq: get32(l4, TCP_SEQ), ack: 0, flags: 0, window: 0, options: {} };
    return ok(p);
  }
  if (l4.length < 20) return bad(`truncated TCP header: ${l4.length} of 20 bytes`);
  const off = (l4[TCP_OFF] >>> 4) * 4;
  if (off < 20 || off > l4.length) return bad(`bad TCP data offset ${off}`);
  if (verify && !checksumValid(l4, 0, l4.length, pseudoHeaderSum(p.src, p.dst, PROTO_TCP, l4.length))) return bad('bad TCP checksum');
  const options: TcpHeader['options'] = {};
  for (let i = 20; i < off;) {
    const kind = l4[i];
    if (kind === TCPOPT_EOL) break;
    if (kind === TCPOPT_NOP) {
      i++;
      continue;
    }
    const len = i + 1 < off ? l4[i + 1] : 0;
    if (len < 2 || i + len > off) return bad(`bad TCP option ${kind} length ${len}`);
    if (kind === TCPOPT_MSS && len === 4) options.mss = get16(l4, i + 2);
    else if (kind === TCPOPT_WSCALE && len === 3) options.wscale = l4[i + 2];
    else if (kind === TCPOPT_SACK_PERM && len === 2) options.sackPermitted = true;
    else if (kind === TCPOPT_TIMESTAMP && len === 10) options.timestamp = [get32(l4, i + 2), get32(l4, i + 6)];
    i += len;
  }
  p.tcp = {
    sport: get16(l4, 0),
    dport: get16(l4, 2),
    seq: get32(l4, TCP_SEQ),
    ack: get32(l4, TCP_ACK),
    flags: l4[TCP_FLAGS],
    window: get16(l4, TCP_WIN),
    options,
  };
  p.payload = l4.slice(off);
  return ok(p);
}

function decodeUdp(p: Packet, l4: Uint8Array, verify: boolean, quoted: boolean): Result<Packet> {
  if (l4.length < 8) return bad(`truncated UDP header: ${l4.length} of 8 bytes`);
  p.udp = { sport: get16(l4, 0), dport: get16(l4, 2) };
  if (quoted) return ok(p);
  const len = get16(l4, UDP_LEN);
  if (len < 8 || len > l4.length) return bad(`bad UDP length ${len} (${l4.length} bytes follow the IP header)`);
  if (verify && get16(l4, UDP_CSUM) !== 0 && !checksumValid(l4, 0, len, pseudoHeaderSum(p.src, p.dst, PROTO_UDP, len))) {
    return bad('bad UDP checksum');
  }
  p.payload = l4.slice(8, len);
  return ok(p);
}

function decodeIcmp(p: Packet, l4: Uint8Array, verify: boolean, quoted: boolean): Result<Packet> {
  if (l4.length < 8) return bad(`truncated ICMP header: ${l4.length} of 8 bytes`);
  if (verify && !checksumValid(l4)) return bad('bad ICMP checksum');
  const type = l4[0];
  const code = l4[1];
  const icmp: IcmpHeader = { type, code, id: 0, seq: 0 };
  p.icmp = icmp;
  if (!ICMP_ERRORS.has(type)) {
    icmp.id = get16(l4, 4);
    icmp.seq = get16(l4, 6);
    p.payload = l4.slice(8);
    return ok(p);
  }
  if (type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED) icmp.mtu = get16(l4, 6);
  if (quoted) return ok(p);
  const inner = decodeIp(l4.subarray(8), true);
  if (!inner.ok) return err(inner.error.map((d) => ({ message: `in the packet quoted by ICMP type ${type}: ${d.message}` })));
  icmp.quoted = inner.value;
  // Quoted bytes beyond the header and 8 bytes (Linux quotes up to 576 bytes in all) stay as payload.
  const q = inner.value;
  const qlen = Math.min(l4.length - 8, 20 + q.ipOptionsLen + 8);
  p.payload = l4.slice(8 + qlen);
  return ok(p);
}

// ---- Ethernet and ARP ----

export type Mac = Uint8Array;

/** `aa:bb:cc:dd:ee:ff` (or `-` separated) to 6 bytes; null when malformed. */
export function parseMac(text: string): Mac | null {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6) return null;
  const mac = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    if (!/^[0-9a-fA-F]{1,2}$/.test(parts[i])) return null;
    mac[i] = parseInt(parts[i], 16);
  }
  return mac;
}

export function formatMac(mac: Mac): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}

export const BROADCAST_MAC: Mac = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** An Ethernet II frame without FCS (as pcap stores it). */
export function encodeEthernet(dstMac: Mac, srcMac: Mac, ethertype: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(14 + payload.length);
  b.set(dstMac.subarray(0, 6), 0);
  b.set(srcMac.subarray(0, 6), 6);
  put16(b, 12, ethertype);
  b.set(payload, 14);
  return b;
}

export interface EthernetFrame {
  dst: Mac;
  src: Mac;
  ethertype: number;
  payload: Uint8Array;
}

export function decodeEthernet(bytes: Uint8Array): Result<EthernetFrame> {
  if (bytes.length < 14) return bad(`truncated Ethernet header: ${bytes.length} of 14 bytes`);
  return ok({ dst: bytes.slice(0, 6), src: bytes.slice(6, 12), ethertype: get16(bytes, 12), payload: bytes.slice(14) });
}

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

export interface ArpPacket {
  op: number;
  senderMac: Mac;
  senderIp: Ipv4;
  /** All zeros in a request. */
  targetMac: Mac;
  targetIp: Ipv4;
}

/** An ARP packet for Ethernet/IPv4 (RFC 826): 28 bytes. */
export function encodeArp(a: ArpPacket): Uint8Array {
  const b = new Uint8Array(28);
  put16(b, 0, 1); // hardware: Ethernet
  put16(b, 2, ETHERTYPE_IPV4);
  b[4] = 6;
  b[5] = 4;
  put16(b, 6, a.op);
  b.set(a.senderMac.subarray(0, 6), 8);
  put32(b, 14, a.senderIp);
  b.set(a.targetMac.subarray(0, 6), 18);
  put32(b, 24, a.targetIp);
  return b;
}

export function decodeArp(bytes: Uint8Array): Result<ArpPacket> {
  if (bytes.length < 28) return bad(`truncated ARP packet: ${bytes.length} of 28 bytes`);
  if (get16(bytes, 0) !== 1 || get16(bytes, 2) !== ETHERTYPE_IPV4 || bytes[4] !== 6 || bytes[5] !== 4) {
    return bad('not an Ethernet/IPv4 ARP packet');
  }
  const op = get16(bytes, 6);
  if (op !== ARP_REQUEST && op !== ARP_REPLY) return bad(`unknown ARP operation ${op}`);
  return ok({ op, senderMac: bytes.slice(8, 14), senderIp: get32(bytes, 14), targetMac: bytes.slice(18, 24), targetIp: get32(bytes, 24) });
}
