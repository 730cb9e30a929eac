import type { Skb } from '../netfilter/types.js';
import type { PacketTrace } from '../trace/steps.js';

/** The netfilter view of a packet plus what only the node needs. */
export interface NodeSkb extends Skb {
  trace: PacketTrace | null;
  /** Conntrack zone (CT --zone), 0 by default. */
  zone: number;
  /** Set by CT --notrack / NOTRACK before conntrack sees the packet. */
  notrack: boolean;
  /** The route chosen for it, once routed. */
  routeDev: string | null;
  nextHop: number | null;
  /** TPROXY: the socket it must be delivered to, whatever its destination. */
  tproxySocket: { addr: number; port: number } | null;
}

import type { Packet } from '../packet/packet.js';
import type { PktType, SocketOwner } from '../netfilter/types.js';

export function newSkb(
  pkt: Packet,
  o: {
    inIf?: string | null;
    srcMac?: string | null;
    pktType?: PktType;
    socket?: SocketOwner | null;
    mark?: number;
    trace?: PacketTrace | null;
  },
): NodeSkb {
  return {
    pkt,
    mark: o.mark ?? 0,
    inIf: o.inIf ?? null,
    outIf: null,
    physIn: null,
    physOut: null,
    bridged: false,
    srcMac: o.srcMac ?? null,
    pktType: o.pktType ?? 'unicast',
    socket: o.socket ?? null,
    ct: null,
    ctState: 'INVALID',
    ctReply: false,
    traced: false,
    trace: o.trace ?? null,
    zone: 0,
    notrack: false,
    routeDev: null,
    nextHop: null,
    tproxySocket: null,
  };
}
