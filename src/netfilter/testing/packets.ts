/** Builders for tests: packets, Skb and a recording NfEnv. Others may reuse them. */
import { Rng } from '../../core/rng.js';
import { parseIpv4 } from '../../packet/ipv4.js';
import { PROTO_ICMP, PROTO_TCP, PROTO_UDP, TCP_SYN, type Packet } from '../../packet/packet.js';
import type { Hook, NatKind, NatRange, NfEnv, RejectWith, Skb, TableName, Verdict } from '../types.js';

const ip = (s: string) => parseIpv4(s)!;

export function tcpPacket(src: string, sport: number, dst: string, dport: number, flags = TCP_SYN): Packet {
  return {
    src: ip(src),
    dst: ip(dst),
    proto: PROTO_TCP,
    ttl: 64,
    tos: 0,
    id: 1,
    df: true,
    fragOffset: 0,
    moreFragments: false,
    ipOptionsLen: 0,
    tcp: { sport, dport, seq: 1, ack: 0, flags, window: 64240, options: { mss: 1460 } },
    payload: new Uint8Array(0),
  };
}

export function udpPacket(src: string, sport: number, dst: string, dport: number, payloadLen = 4): Packet {
  return {
    src: ip(src),
    dst: ip(dst),
    proto: PROTO_UDP,
    ttl: 64,
    tos: 0,
    id: 1,
    df: false,
    fragOffset: 0,
    moreFragments: false,
    ipOptionsLen: 0,
    udp: { sport, dport },
    payload: new Uint8Array(payloadLen),
  };
}

export function icmpPacket(src: string, dst: string, type = 8, code = 0): Packet {
  return {
    src: ip(src),
    dst: ip(dst),
    proto: PROTO_ICMP,
    ttl: 64,
    tos: 0,
    id: 1,
    df: false,
    fragOffset: 0,
    moreFragments: false,
    ipOptionsLen: 0,
    icmp: { type, code, id: 7, seq: 1 },
    payload: new Uint8Array(0),
  };
}

/** A packet of protocol `proto` with no L4 header parsed (a bare or truncated packet). */
export function rawPacket(src: string, dst: string, proto: number, fragOffset = 0): Packet {
  return {
    src: ip(src),
    dst: ip(dst),
    proto,
    ttl: 64,
    tos: 0,
    id: 1,
    df: false,
    fragOffset,
    moreFragments: false,
    ipOptionsLen: 0,
    payload: new Uint8Array(0),
  };
}

export function makeSkb(pkt: Packet, over: Partial<Skb> = {}): Skb {
  return {
    pkt,
    mark: 0,
    inIf: 'eth0',
    outIf: null,
    physIn: null,
    physOut: null,
    bridged: false,
    srcMac: null,
    pktType: 'unicast',
    socket: null,
    ct: null,
    ctState: 'NEW',
    ctReply: false,
    traced: false,
    ...over,
  };
}

export interface RecordingEnv extends NfEnv {
  logs: string[];
  nats: { kind: NatKind; range: NatRange }[];
  rejects: RejectWith[];
  templates: unknown[];
  accounted: { name: string; bytes: number }[];
  /** Virtual time in µs; tests move it. */
  time: number;
}

export function makeEnv(over: Partial<NfEnv> & { hook?: Hook; table?: TableName; local?: string[] } = {}): RecordingEnv {
  const local = new Set((over.local ?? []).map(ip));
  const env: RecordingEnv = {
    hook: over.hook ?? 'INPUT',
    table: over.table ?? 'filter',
    time: 0,
    now: () => env.time,
    rng: over.rng ?? new Rng(1),
    logs: [],
    nats: [],
    rejects: [],
    templates: [],
    accounted: [],
    addrType: over.addrType ?? ((a) => (local.has(a) ? 4 : 2)),
    pathMtu: over.pathMtu ?? (() => 1500),
    rpfilter: over.rpfilter ?? (() => true),
    nat(_skb, kind, range): Verdict {
      env.nats.push({ kind, range });
      return 'ACCEPT';
    },
    tproxy: over.tproxy ?? (() => 'ACCEPT'),
    reject(_skb, how) {
      env.rejects.push(how);
    },
    ctTemplate(_skb, opts) {
      env.templates.push(opts);
    },
    log(line) {
      env.logs.push(line);
    },
    ipset: over.ipset ?? (() => undefined),
    nfacct(name, bytes) {
      env.accounted.push({ name, bytes });
    },
  };
  return env;
}
