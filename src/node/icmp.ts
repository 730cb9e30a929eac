/**
 * Control messages the stack makes itself: ICMP errors (icmp_send), echo
 * replies, TCP resets for segments nobody wants, and REJECT's answers. Each is
 * a new locally generated packet and walks OUTPUT and POSTROUTING like any other.
 */
import { isMulticast, LIMITED_BROADCAST, type Ipv4 } from '../packet/ipv4.js';
import {
  clonePacket,
  ICMP_ADMIN_PROHIBITED,
  ICMP_DEST_UNREACH,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_HOST_PROHIBITED,
  ICMP_HOST_UNREACH,
  ICMP_NET_PROHIBITED,
  ICMP_NET_UNREACH,
  ICMP_PARAMETER_PROBLEM,
  ICMP_PORT_UNREACH,
  ICMP_PROT_UNREACH,
  ICMP_REDIRECT,
  ICMP_TIME_EXCEEDED,
  type Packet,
  PROTO_ICMP,
  PROTO_TCP,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
} from '../packet/packet.js';
import type { Hook, RejectWith } from '../netfilter/types.js';
import type { Node } from './node.js';
import type { NodeSkb } from './skb.js';
import { ipLocalOut } from './ip-output.js';
import type { SocketError } from './tcp.js';

const IPTOS_PREC_INTERNETCONTROL = 0xc0;

function isIcmpError(p: Packet): boolean {
  if (p.proto !== PROTO_ICMP || !p.icmp) return false;
  const t = p.icmp.type;
  return t === ICMP_DEST_UNREACH || t === ICMP_TIME_EXCEEDED || t === ICMP_PARAMETER_PROBLEM || t === ICMP_REDIRECT || t === 4;
}

/** icmp_send: an ICMP error about `skb`'s packet, back to its source. */
export function icmpSend(node: Node, skb: NodeSkb, type: number, code: number, mtu?: number): void {
  const orig = skb.pkt;
  // RFC 1122: never about ICMP errors, broadcasts, multicasts, non-first fragments or unspecified sources.
  if (isIcmpError(orig) || orig.fragOffset !== 0) return;
  if (orig.dst === LIMITED_BROADCAST || isMulticast(orig.dst) || skb.pktType !== 'unicast') return;
  if (orig.src === 0 || isMulticast(orig.src)) return;
  const src = node.isLocalAddress(orig.dst) ? orig.dst : 0;
  const reply: Packet = {
    src,
    dst: orig.src,
    proto: PROTO_ICMP,
    ttl: 64,
    tos: (orig.tos & 0x1e) | IPTOS_PREC_INTERNETCONTROL,
    id: node.nextIpId(),
    df: false,
    fragOffset: 0,
    moreFragments: false,
    ipOptionsLen: 0,
    icmp: { type, code, id: 0, seq: 0, ...(mtu !== undefined ? { mtu } : {}), quoted: clonePacket(orig) },
    payload: new Uint8Array(0),
  };
  sendControl(node, reply, skb.ct ? skb : undefined);
}

/**
 * ICMP messages the stack sends itself (echo replies and errors). The kernel
 * sends them through OUTPUT and POSTROUTING holding its per-CPU ICMP socket
 * (icmp_xmit_lock); a REJECT there cannot take that socket again, so no error
 * about them is ever sent. A user's own ping is not one of them.
 */
const stackIcmp = new WeakSet<Packet>();

/**
 * Sends a stack-made packet; its source is chosen by the route when unset.
 * `related` is the packet it answers: like nf_ct_attach, the answer inherits
 * that packet's entry (RELATED, the other direction) even when the entry is
 * still unconfirmed — a SYN dropped in FORWARD or INPUT never reaches the
 * table, so a lookup of the quoted header would find nothing and the error
 * would leave INVALID, without its NAT undone.
 */
function sendControl(node: Node, pkt: Packet, related?: NodeSkb): void {
  if (pkt.proto === PROTO_ICMP) stackIcmp.add(pkt);
  const sourceFromRoute = pkt.src === 0;
  if (sourceFromRoute) {
    const r = node.routing.lookup({ dst: pkt.dst, src: null, mark: 0, iif: null, oif: null, tos: pkt.tos });
    if (r.src === null) return;
    pkt.src = r.src;
  }
  const trace = node.lab.tracer.begin(node.name, pkt, 0);
  // The kernel sends these from inside the hook that caused them; run them as the next event so a chain walk is never re-entered.
  node.lab.inFlight++;
  node.softirqPending++;
  node.lab.timers.at(node.lab.timers.now(), () => {
    node.lab.inFlight--;
    node.softirqPending--;
    ipLocalOut(node, pkt, {
      socket: null,
      trace,
      anySource: pkt.proto === PROTO_TCP,
      sourceFromRoute,
      ...(related ? { attach: related } : {}),
    });
  });
}

/** tcp_v4_send_reset: answer a segment nobody accepts. */
export function tcpReset(node: Node, skb: NodeSkb, attach = false): void {
  const t = skb.pkt.tcp;
  if (!t || t.flags & TCP_RST) return;
  const segLen = skb.pkt.payload.length + (t.flags & TCP_SYN ? 1 : 0) + (t.flags & TCP_FIN ? 1 : 0);
  const hasAck = (t.flags & TCP_ACK) !== 0;
  const rst: Packet = {
    src: skb.pkt.dst,
    dst: skb.pkt.src,
    proto: PROTO_TCP,
    ttl: 64,
    tos: 0,
    id: 0,
    df: true,
    fragOffset: 0,
    moreFragments: false,
    ipOptionsLen: 0,
    tcp: {
      sport: t.dport,
      dport: t.sport,
      seq: hasAck ? t.ack : 0,
      ack: hasAck ? 0 : (t.seq + segLen) >>> 0,
      flags: hasAck ? TCP_RST : TCP_RST | TCP_ACK,
      window: 0,
      options: {},
    },
    payload: new Uint8Array(0),
  };
  sendControl(node, rst, attach ? skb : undefined);
}

const REJECT_CODES: Record<Exclude<RejectWith, 'tcp-reset'>, number> = {
  'icmp-net-unreachable': ICMP_NET_UNREACH,
  'icmp-host-unreachable': ICMP_HOST_UNREACH,
  'icmp-port-unreachable': ICMP_PORT_UNREACH,
  'icmp-proto-unreachable': ICMP_PROT_UNREACH,
  'icmp-net-prohibited': ICMP_NET_PROHIBITED,
  'icmp-host-prohibited': ICMP_HOST_PROHIBITED,
  'icmp-admin-prohibited': ICMP_ADMIN_PROHIBITED,
};

/** REJECT: nf_send_reset or nf_send_unreach for the packet being dropped. */
export function sendReject(node: Node, skb: NodeSkb, how: RejectWith, hook: Hook): void {
  if (how === 'tcp-reset') {
    // Only a TCP segment can be answered with a reset; anything else is just dropped.
    if (!skb.pkt.tcp || skb.pkt.tcp.flags & TCP_RST) return;
    tcpReset(node, skb, true);
    node.conntrack.setClosing(skb);
    return;
  }
  if (hook === 'OUTPUT' && stackIcmp.has(skb.pkt)) return;
  icmpSend(node, skb, ICMP_DEST_UNREACH, REJECT_CODES[how]);
}

/** The errno an ICMP error maps to for the socket it concerns (icmp_err_convert). */
export function icmpErrno(type: number, code: number): SocketError | null {
  if (type === ICMP_TIME_EXCEEDED) return 'EHOSTUNREACH';
  if (type !== ICMP_DEST_UNREACH) return null;
  switch (code) {
    case ICMP_NET_UNREACH:
    case 6:
      return 'ENETUNREACH';
    case ICMP_PORT_UNREACH:
      return 'ECONNREFUSED';
    case ICMP_PROT_UNREACH:
      return 'ENOPROTOOPT';
    case ICMP_NET_PROHIBITED:
    case ICMP_HOST_PROHIBITED:
      return 'EHOSTUNREACH';
    case ICMP_ADMIN_PROHIBITED:
      return 'EHOSTUNREACH';
    case 4:
      return null;
    default:
      return 'EHOSTUNREACH';
  }
}

/**
 * Who answered an echo request, and the source it saw: keyed by the request's
 * payload, which the reply carries back unchanged (NAT rewrites the id and the
 * addresses, never the payload), so a ping client can name the node that
 * answered it as a connect client names the server that accepted it.
 */
const echoAnswers = new WeakMap<Uint8Array, { node: string; src: Ipv4 }>();

export function echoAnsweredBy(payload: Uint8Array): { node: string; src: Ipv4 } | undefined {
  return echoAnswers.get(payload);
}

export function icmpReceive(node: Node, skb: NodeSkb): void {
  const icmp = skb.pkt.icmp;
  if (!icmp) return;
  if (icmp.type === ICMP_ECHO_REQUEST) {
    if (skb.trace) {
      node.record(skb.trace, { node: node.name, deliver: { socket: 'icmp:echo' } });
      node.lab.tracer.end(skb.trace, 'delivered', node.name);
    }
    if (skb.pkt.dst === LIMITED_BROADCAST || skb.pktType !== 'unicast') return;
    if (!echoAnswers.has(skb.pkt.payload)) echoAnswers.set(skb.pkt.payload, { node: node.name, src: skb.pkt.src });
    const reply: Packet = {
      src: skb.pkt.dst,
      dst: skb.pkt.src,
      proto: PROTO_ICMP,
      ttl: 64,
      tos: skb.pkt.tos,
      id: node.nextIpId(),
      df: false,
      fragOffset: 0,
      moreFragments: false,
      ipOptionsLen: 0,
      icmp: { type: ICMP_ECHO_REPLY, code: 0, id: icmp.id, seq: icmp.seq },
      payload: skb.pkt.payload,
    };
    sendControl(node, reply);
    return;
  }
  if (icmp.type === ICMP_ECHO_REPLY) {
    node.sockets.echoReply(skb);
    return;
  }
  if (icmp.quoted) {
    const err = icmpErrno(icmp.type, icmp.code);
    if (skb.trace) {
      node.record(skb.trace, { node: node.name, deliver: { socket: 'icmp:error' } });
      node.lab.tracer.end(skb.trace, 'delivered', node.name);
    }
    if (err) node.sockets.icmpError(icmp.quoted, err);
  }
}
