/**
 * Sending IPv4 from this namespace: route, OUTPUT (re-routing when mangle or
 * nat changed the mark or destination), POSTROUTING, then the neighbour layer
 * and the device. Local destinations go round through `lo`.
 */
import { formatIpv4, type Ipv4 } from '../packet/ipv4.js';
import { ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, type Packet, packetLength, PROTO_TCP } from '../packet/packet.js';
import type { SocketOwner } from '../netfilter/types.js';
import type { PacketTrace } from '../trace/steps.js';
import type { NetDev } from './netdev.js';
import type { Node } from './node.js';
import type { RouteDecision } from './ports.js';
import { newSkb, type NodeSkb } from './skb.js';
import { runHook } from './hooks.js';
import { transmitFrame } from './l2.js';
import { icmpSend } from './icmp.js';
import type { SocketError } from './tcp.js';

export function recordRoute(node: Node, skb: NodeSkb, r: RouteDecision): void {
  if (!skb.trace) return;
  node.record(skb.trace, {
    node: node.name,
    route: {
      dst: formatIpv4(skb.pkt.dst),
      dev: r.dev,
      via: r.via === null ? null : formatIpv4(r.via),
      table: r.table,
      ...(r.kind !== 'unicast' ? { type: r.kind === 'error' ? (r.reason ?? 'error') : r.kind } : {}),
    },
  });
}

/** The socket error a failed output route gives (what connect()/sendmsg() return). */
export function routeError(r: RouteDecision): SocketError | null {
  if (r.kind !== 'error') return null;
  switch (r.errno) {
    case 'EHOSTUNREACH':
      return 'EHOSTUNREACH';
    case 'EACCES':
      return 'EACCES';
    case 'EINVAL':
      return 'EINVAL';
    default:
      return 'ENETUNREACH';
  }
}

export interface LocalOutOptions {
  socket: SocketOwner | null;
  mark?: number;
  trace?: PacketTrace | null;
  /** SO_BINDTODEVICE. */
  oif?: string | null;
  /** An skb to inherit conntrack from (REJECT's RST is attached to the connection it answers). */
  attach?: NodeSkb;
  /**
   * The source need not be local (FLOWI_FLAG_ANYSRC: a reset sent on behalf of
   * the address it answers for). It still takes part in the lookup, so policy
   * rules by source apply and a failing route drops the packet.
   */
  anySource?: boolean;
  /**
   * The source was picked by a lookup without one (icmp_send about a packet not
   * addressed to us, saddr 0): the route is that lookup's, so policy rules by
   * source play no part. A re-route after OUTPUT does use it.
   */
  sourceFromRoute?: boolean;
}

/** ip_local_out for a packet this namespace made. Returns the error the sender sees, if any. */
export function ipLocalOut(node: Node, pkt: Packet, o: LocalOutOptions): SocketError | null {
  const skb = newSkb(pkt, { socket: o.socket, mark: o.mark ?? 0, trace: o.trace ?? null });
  if (o.attach?.ct) {
    skb.ct = o.attach.ct;
    skb.ctState = 'RELATED';
    skb.ctReply = !o.attach.ctReply;
  }
  const anySrc = o.anySource === true;
  const src = o.sourceFromRoute ? null : pkt.src;
  let r = node.routing.lookup({ dst: pkt.dst, src, mark: skb.mark, iif: null, oif: o.oif ?? null, tos: pkt.tos, anySrc });
  recordRoute(node, skb, r);
  const err = routeError(r);
  if (err) {
    if (skb.trace) {
      node.record(skb.trace, { node: node.name, drop: { reason: `no route (${err})` } });
      node.lab.tracer.end(skb.trace, 'no-route', node.name);
    }
    return err;
  }
  skb.outIf = r.dev;
  skb.nextHop = r.via;
  // __ip_make_skb under IP_PMTUDISC_WANT (the default): a datagram longer than its route's MTU goes
  // without DF, fragmented at the source (nflab sends it whole: README, Scope), so routers on the way
  // pass it instead of answering fragmentation-needed. TCP sizes its segments to fit.
  if (pkt.df && pkt.proto !== PROTO_TCP && packetLength(pkt) > (r.mtu ?? node.dev(r.dev!)!.mtu)) pkt.df = false;
  // ip_route_me_harder's failure is the hook's verdict: the sender sees the route's errno, not EPERM.
  let rerouteErr: SocketError | null = null;
  const reroute = (s: NodeSkb): boolean => {
    r = node.routing.lookup({
      dst: s.pkt.dst,
      src: s.pkt.src,
      mark: s.mark,
      iif: null,
      oif: o.oif ?? null,
      tos: s.pkt.tos,
      anySrc,
    });
    recordRoute(node, s, r);
    rerouteErr = routeError(r);
    if (rerouteErr) {
      if (s.trace) {
        node.record(s.trace, { node: node.name, drop: { reason: `no route after OUTPUT (${rerouteErr})`, hook: 'OUTPUT' } });
        node.lab.tracer.end(s.trace, 'no-route', node.name);
      }
      return false;
    }
    return true;
  };
  // The rest of OUTPUT still sees the first route's device: the hook's state (`-o`, `oifname`) is
  // fixed when the hook starts, and only POSTROUTING sees the new one (measured on Linux 6.18: after
  // a nat OUTPUT DNAT from a local address to a remote one, every packet of the connection counts
  // in filter OUTPUT `-o lo` and in mangle POSTROUTING `-o eth0`).
  if (!runHook(node, 'OUTPUT', skb, reroute)) return rerouteErr ?? 'EPERM';
  skb.outIf = r.dev;
  skb.nextHop = r.via;
  if (!runHook(node, 'POSTROUTING', skb)) return 'EPERM';
  const dev = node.dev(r.dev!)!;
  neighOutput(node, skb, dev, r.via ?? skb.pkt.dst);
  return null;
}

/** Hands a routed packet to its device, resolving the next hop's MAC first. */
export function neighOutput(node: Node, skb: NodeSkb, dev: NetDev, nextHop: Ipv4): void {
  if (dev.kind === 'loopback') {
    transmitFrame(node, dev, { src: dev.mac, dst: dev.mac, type: 'ipv4', ip: skb.pkt, meta: { trace: skb.trace, skb } });
    return;
  }
  if (dev.kind === 'dummy') {
    if (skb.trace) {
      node.record(skb.trace, { node: node.name, drop: { reason: `${dev.name} discards what it sends (dummy)` } });
      node.lab.tracer.end(skb.trace, 'dropped', node.name);
    }
    return;
  }
  node.neighbours.resolve(dev, nextHop, skb.pkt.src, {
    sent: (mac) => transmitFrame(node, dev, { src: dev.mac, dst: mac, type: 'ipv4', ip: skb.pkt, meta: { trace: skb.trace } }),
    failed: () => {
      if (skb.trace) {
        node.record(skb.trace, { node: node.name, drop: { reason: `no ARP reply from ${formatIpv4(nextHop)}` } });
        node.lab.tracer.end(skb.trace, 'dropped', node.name);
      }
      icmpSend(node, skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH);
    },
  });
}
