/**
 * Trace steps: one per hook, table verdict, rule, NAT rewrite, conntrack lookup,
 * route decision, link hop, delivery or drop a packet meets. These objects are the one
 * vocabulary shared by `nflab trace`, scenario reports, the terminal UI and the
 * websocket feed.
 */
import { formatIpv4 } from '../packet/ipv4.js';
import { ICMP_DEST_UNREACH, type Packet, packetLength, PROTO_ICMP, PROTO_TCP, protoName, tcpFlagsText } from '../packet/packet.js';

export interface PacketSummary {
  proto: string;
  src: string;
  dst: string;
  flags?: string;
  icmp?: { type: number; code: number; id?: number };
  ttl: number;
  len: number;
  mark: string;
}

/**
 * A rule or policy step. iptables steps carry `rule` (the rule's 1-based position in its chain); native nft
 * steps carry `family` and `handle` instead (as `nft -a` shows them), and `verdict` as
 * `nft monitor trace` prints it.
 */
export interface RuleTraceStep {
  node: string;
  hook: string;
  family?: string;
  table: string;
  chain: string;
  rule?: number | null;
  handle?: number | null;
  verdict: string;
  target?: string;
  rule_text?: string;
  policy?: boolean;
  packet: PacketSummary;
}

export interface RouteTraceStep {
  node: string;
  route: { dst: string; dev: string | null; via: string | null; table: string; type?: string; src?: string | null; error?: string };
}

export interface LinkTraceStep {
  node: string;
  link: { from: string; to: string; at_us: number; drop?: string };
}

export interface DeliverTraceStep {
  node: string;
  deliver: { socket: string; app?: string };
}

export interface NatTraceStep {
  node: string;
  nat: { hook: string; kind: 'SNAT' | 'DNAT'; before: string; after: string };
}

export interface ConntrackTraceStep {
  node: string;
  /** What conntrack made of the packet: its ctstate, direction, and the entry's tuples. */
  conntrack: { hook: string; state: string; dir: 'original' | 'reply' | null; orig: string | null; reply: string | null };
}

export interface DropTraceStep {
  node: string;
  drop: { reason: string; hook?: string; table?: string; chain?: string; rule?: number | null };
}

export interface BridgeTraceStep {
  node: string;
  bridge: { bridge: string; in: string; out: string[] };
}

export type TraceStep =
  RuleTraceStep | RouteTraceStep | LinkTraceStep | DeliverTraceStep | NatTraceStep | ConntrackTraceStep | DropTraceStep | BridgeTraceStep;

export type Outcome = 'delivered' | 'dropped' | 'rejected' | 'no-route' | 'ttl-exceeded' | 'in-flight';

/** One packet's story from where it was made to where it ended. */
export interface PacketTrace {
  id: number;
  /** The packet when it was made. */
  packet: PacketSummary;
  steps: TraceStep[];
  outcome: Outcome;
}

function endpoint(addr: number, port: number | undefined): string {
  return port === undefined ? formatIpv4(addr) : `${formatIpv4(addr)}:${port}`;
}

export function summarizePacket(p: Packet, mark: number): PacketSummary {
  const s: PacketSummary = {
    proto: protoName(p.proto),
    src: endpoint(p.src, p.tcp?.sport ?? p.udp?.sport),
    dst: endpoint(p.dst, p.tcp?.dport ?? p.udp?.dport),
    ttl: p.ttl,
    len: packetLength(p),
    mark: `0x${(mark >>> 0).toString(16)}`,
  };
  if (p.proto === PROTO_TCP && p.tcp) s.flags = tcpFlagsText(p.tcp.flags);
  if (p.proto === PROTO_ICMP && p.icmp) {
    s.icmp =
      p.icmp.type === ICMP_DEST_UNREACH || p.icmp.quoted
        ? { type: p.icmp.type, code: p.icmp.code }
        : { type: p.icmp.type, code: p.icmp.code, id: p.icmp.id };
  }
  return s;
}

export function isRuleStep(s: TraceStep): s is RuleTraceStep {
  return 'hook' in s && 'chain' in s;
}
