/**
 * Header rewriting (nf_nat_packet, nf_nat_icmp_reply_translation): the packet
 * is made to look like the entry's tuple for this hook's manipulation and
 * direction. ICMP errors about a translated flow get the quoted packet rewritten
 * too, so the endpoint recognises its own packet inside.
 */
import { PROTO_ICMP, type Packet } from '../../packet/packet.js';
import { CtEntry } from '../conntrack/entry.js';
import { icmpHasInverse, invertTuple, isIcmpError } from '../conntrack/tuple.js';
import { IPS_DST_NAT, IPS_DST_NAT_DONE, IPS_SRC_NAT, IPS_SRC_NAT_DONE, type CtTuple, type Hook, type Skb } from '../types.js';
import { hookManip, type Manip } from './core.js';

const NAT_MASK = IPS_SRC_NAT | IPS_DST_NAT;
const NAT_DONE_MASK = IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE;

/** Writes the `manip` side of `target` into the packet's addresses and ports (or ICMP query id). */
export function manipPacket(p: Packet, target: CtTuple, manip: Manip): void {
  if (manip === 'SRC') p.src = target.src;
  else p.dst = target.dst;
  if (p.tcp) {
    if (manip === 'SRC') p.tcp.sport = target.sport;
    else p.tcp.dport = target.dport;
  } else if (p.udp) {
    if (manip === 'SRC') p.udp.sport = target.sport;
    else p.udp.dport = target.dport;
  } else if (p.proto === PROTO_ICMP && p.icmp && icmpHasInverse(p.icmp.type)) {
    // The query id is shared by both directions; errors keep their header.
    p.icmp.id = target.sport;
  }
}

/**
 * nf_nat_packet for the hook's manipulation. `skb.ct` must be the entry and
 * `skb.ctReply` its direction; packets without an entry pass unchanged.
 * Returns false when the packet must be dropped (a redirect about a NATed flow).
 */
export function natApply(skb: Skb, hook: Hook): boolean {
  const e = skb.ct;
  if (!(e instanceof CtEntry)) return true;
  const manip = hookManip(hook);
  const p = skb.pkt;
  if (skb.ctState === 'RELATED' && p.proto === PROTO_ICMP && p.icmp && isIcmpError(p.icmp.type)) {
    return icmpReplyTranslation(skb, e, manip);
  }
  let bit = manip === 'SRC' ? IPS_SRC_NAT : IPS_DST_NAT;
  if (skb.ctReply) bit ^= NAT_MASK;
  if (!(e.status & bit)) return true;
  const other = skb.ctReply ? e.orig : e.reply;
  manipPacket(p, invertTuple(other)!, manip);
  return true;
}

function icmpReplyTranslation(skb: Skb, e: CtEntry, manip: Manip): boolean {
  const p = skb.pkt;
  const icmp = p.icmp!;
  // Redirects about a translated flow would let the ends talk past the NAT.
  if (icmp.type === 5 && ((e.status & NAT_DONE_MASK) !== NAT_DONE_MASK || e.status & NAT_MASK)) return false;
  let bit = manip === 'SRC' ? IPS_SRC_NAT : IPS_DST_NAT;
  if (skb.ctReply) bit ^= NAT_MASK;
  if (!(e.status & bit)) return true;
  // The quoted packet travelled the other way: rewrite it with the other direction's tuple and the opposite manipulation.
  const other = skb.ctReply ? e.orig : e.reply;
  if (icmp.quoted) manipPacket(icmp.quoted, other, manip === 'SRC' ? 'DST' : 'SRC');
  const target = invertTuple(other)!;
  if (manip === 'SRC') p.src = target.src;
  else p.dst = target.dst;
  return true;
}
