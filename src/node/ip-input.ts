/**
 * Receiving IPv4: PREROUTING, the input route decision (local, forward, or an
 * error route), INPUT and delivery to sockets, or FORWARD and POSTROUTING. Also
 * the br_netfilter path for frames a bridge forwards between its ports.
 */
import {
  ICMP_DEST_UNREACH,
  ICMP_FRAG_NEEDED,
  ICMP_TIME_EXCEEDED,
  type Packet,
  packetLength,
  PROTO_ICMP,
  PROTO_TCP,
  PROTO_UDP,
} from '../packet/packet.js';
import type { PktType } from '../netfilter/types.js';
import type { Frame } from '../link/frame.js';
import type { PacketTrace } from '../trace/steps.js';
import type { NetDev } from './netdev.js';
import type { Node } from './node.js';
import { newSkb, type NodeSkb } from './skb.js';
import { runHook } from './hooks.js';
import { icmpSend, icmpReceive } from './icmp.js';
import { neighOutput, recordRoute } from './ip-output.js';
import { bridgedDnatForward, bridgePortTransmit } from './l2.js';
import type { RouteDecision } from './ports.js';

export interface L2Info {
  srcMac: string | null;
  dstMac: string;
  pktType: PktType;
  trace: PacketTrace | null;
  /** The sender's skb when the packet came over loopback (conntrack and mark survive). */
  carried: NodeSkb | null;
  /** For a frame a bridge passed up to itself: the port it came in on (br_netfilter's physindev). */
  bridgePort?: NetDev | null;
}

function drop(node: Node, skb: NodeSkb, reason: string, outcome: 'dropped' | 'no-route' | 'ttl-exceeded' = 'dropped'): void {
  if (!skb.trace) return;
  node.record(skb.trace, { node: node.name, drop: { reason } });
  node.lab.tracer.end(skb.trace, outcome, node.name);
}

export function ipReceive(node: Node, dev: NetDev, pkt: Packet, l2: L2Info): void {
  let skb: NodeSkb;
  if (l2.carried) {
    skb = l2.carried;
    skb.inIf = dev.name;
    skb.outIf = null;
    skb.socket = null;
    skb.srcMac = null;
  } else {
    skb = newSkb(pkt, { inIf: dev.name, srcMac: l2.srcMac, pktType: l2.pktType, trace: l2.trace });
  }
  const dstBefore = skb.pkt.dst;
  if (!runHook(node, 'PREROUTING', skb)) return;
  // A packet that went round through `lo` keeps the local route it was sent with: no input lookup (so no martian check on 127/8).
  if (l2.carried) return localDeliver(node, skb);
  if (l2.bridgePort && skb.pkt.dst !== dstBefore && node.sysctlInt('net.bridge.bridge-nf-call-iptables', 1) === 1) {
    const r = bridgedDnatRoute(node, skb, dev);
    if (r) {
      recordRoute(node, skb, r);
      return bridgedDnatForward(node, dev, l2.bridgePort, skb, r);
    }
  }
  routeInput(node, skb, dev);
}

/**
 * br_pre_routing_finish: a frame that came in on a bridge port and was DNATed
 * in PREROUTING stays in the bridge when the new destination is reached
 * through the bridge itself; with forwarding off, the kernel asks the output
 * route instead. Null: it is routed as usual.
 */
function bridgedDnatRoute(node: Node, skb: NodeSkb, br: NetDev): RouteDecision | null {
  const pkt = skb.pkt;
  let r = node.routing.lookup({ dst: pkt.dst, src: pkt.src, mark: skb.mark, iif: br.name, oif: null, tos: pkt.tos });
  if (r.kind === 'error' && r.reason === 'not-forwarding')
    r = node.routing.lookup({ dst: pkt.dst, src: null, mark: skb.mark, iif: null, oif: null, tos: pkt.tos });
  return r.kind === 'unicast' && r.dev === br.name ? r : null;
}

/**
 * ip_route_input: where does a received packet go? Martians, rp_filter and
 * forwarding are the routing layer's answer. A TPROXY'd packet is no exception:
 * as on Linux, it reaches its socket only if a policy route (fwmark → `local
 * 0.0.0.0/0 dev lo`) makes it local.
 */
function routeInput(node: Node, skb: NodeSkb, dev: NetDev): void {
  const pkt = skb.pkt;
  const r = node.routing.lookup({ dst: pkt.dst, src: pkt.src, mark: skb.mark, iif: dev.name, oif: null, tos: pkt.tos });
  recordRoute(node, skb, r);
  switch (r.kind) {
    case 'local':
    case 'broadcast':
      return localDeliver(node, skb);
    case 'unicast':
      if (skb.pktType !== 'unicast') return drop(node, skb, 'not for this host');
      return forward(node, skb, r);
    default:
      if (r.icmpCode !== null && r.icmpCode !== undefined && node.routeErrorAllowed(pkt.src))
        icmpSend(node, skb, ICMP_DEST_UNREACH, r.icmpCode);
      return drop(
        node,
        skb,
        r.reason ?? 'no route',
        r.reason === 'martian-source' || r.reason === 'martian-destination' || r.reason === 'rp-filter' || r.reason === 'not-forwarding'
          ? 'dropped'
          : 'no-route',
      );
  }
}

/** ip_forward: TTL, MTU, FORWARD, POSTROUTING, out. */
function forward(node: Node, skb: NodeSkb, r: RouteDecision): void {
  const pkt = skb.pkt;
  if (pkt.ttl <= 1) {
    icmpSend(node, skb, ICMP_TIME_EXCEEDED, 0);
    return drop(node, skb, 'ttl exceeded', 'ttl-exceeded');
  }
  const out = node.dev(r.dev!)!;
  const mtu = r.mtu ?? out.mtu;
  if (pkt.df && packetLength(pkt) > mtu) {
    icmpSend(node, skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu);
    return drop(node, skb, 'fragmentation needed');
  }
  pkt.ttl--;
  skb.outIf = out.name;
  skb.routeDev = out.name;
  skb.nextHop = r.via;
  if (!runHook(node, 'FORWARD', skb)) return;
  if (!runHook(node, 'POSTROUTING', skb)) return;
  neighOutput(node, skb, out, r.via ?? pkt.dst);
}

/** ip_local_deliver: INPUT, then the transport protocol. */
export function localDeliver(node: Node, skb: NodeSkb): void {
  if (!runHook(node, 'INPUT', skb)) return;
  switch (skb.pkt.proto) {
    case PROTO_TCP:
      return node.sockets.tcpReceive(skb);
    case PROTO_UDP:
      return node.sockets.udpReceive(skb);
    case PROTO_ICMP:
      return icmpReceive(node, skb);
    default:
      return drop(node, skb, `no handler for protocol ${skb.pkt.proto}`);
  }
}

/**
 * br_netfilter: an IPv4 frame bridged from `inPort` to `outPort` of `br` walks
 * PREROUTING, FORWARD and POSTROUTING with `-i`/`-o` the bridge and physdev the
 * ports. When PREROUTING DNATs it, it is routed again: to this host (INPUT) or,
 * when the route leads back out of the bridge (hairpin), to the new MAC.
 */
export function bridgedIpv4(node: Node, br: NetDev, inPort: NetDev, outPort: NetDev, frame: Extract<Frame, { type: 'ipv4' }>): void {
  const pkt = frame.ip;
  const trace = frame.meta.trace as PacketTrace | null;
  const skb = newSkb(pkt, { inIf: br.name, srcMac: frame.src, pktType: 'unicast', trace });
  skb.physIn = inPort.name;
  skb.bridged = true;
  const dstBefore = pkt.dst;
  if (!runHook(node, 'PREROUTING', skb)) return;
  if (pkt.dst !== dstBefore) {
    // DNAT changed the destination: route it as the IP stack would.
    const r = node.routing.lookup({ dst: pkt.dst, src: pkt.src, mark: skb.mark, iif: br.name, oif: null, tos: pkt.tos });
    recordRoute(node, skb, r);
    if (r.kind === 'local') return localDeliver(node, skb);
    if (r.kind !== 'unicast') return drop(node, skb, r.reason ?? 'no route', 'no-route');
    if (r.dev !== br.name) {
      skb.bridged = false;
      skb.physIn = null;
      return forward(node, skb, r);
    }
    return bridgedDnatForward(node, br, inPort, skb, r);
  }
  skb.outIf = br.name;
  skb.physOut = outPort.name;
  if (!runHook(node, 'FORWARD', skb)) return;
  if (!runHook(node, 'POSTROUTING', skb)) return;
  bridgePortTransmit(node, outPort, frame);
}
