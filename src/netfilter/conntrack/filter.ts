/** Entry selection as `conntrack -L/-D` options express it. */
import type { Ipv4 } from '../../packet/ipv4.js';
import { PROTO_ICMP } from '../../packet/packet.js';
import { IPS_DST_NAT, IPS_SRC_NAT, type CtTuple } from '../types.js';
import type { CtEntry } from './entry.js';
import { icmpCode, icmpType } from './tuple.js';

export interface CtFilter {
  proto?: number;
  origSrc?: Ipv4;
  origDst?: Ipv4;
  replySrc?: Ipv4;
  replyDst?: Ipv4;
  sport?: number;
  dport?: number;
  replySport?: number;
  replyDport?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  /** TCP state name (`ESTABLISHED`, ...). */
  state?: string;
  mark?: { value: number; mask: number };
  zone?: number;
  /** Status bits that must all be set. */
  status?: number;
  /** Status bits that must all be clear (UNREPLIED is "SEEN_REPLY clear"). */
  statusClear?: number;
  /** `-n [ip]`: SNATed (to ip, when given). */
  srcNat?: Ipv4 | true;
  /** `-g [ip]`: DNATed (to ip, when given). */
  dstNat?: Ipv4 | true;
}

function portsMatch(t: CtTuple, sport: number | undefined, dport: number | undefined): boolean {
  if (t.proto === PROTO_ICMP) return sport === undefined && dport === undefined;
  return (sport === undefined || t.sport === sport) && (dport === undefined || t.dport === dport);
}

export function matchFilter(e: CtEntry, f: CtFilter): boolean {
  const o = e.orig;
  const r = e.reply;
  if (f.proto !== undefined && o.proto !== f.proto) return false;
  if (f.origSrc !== undefined && o.src !== f.origSrc) return false;
  if (f.origDst !== undefined && o.dst !== f.origDst) return false;
  if (f.replySrc !== undefined && r.src !== f.replySrc) return false;
  if (f.replyDst !== undefined && r.dst !== f.replyDst) return false;
  if (!portsMatch(o, f.sport, f.dport) || !portsMatch(r, f.replySport, f.replyDport)) return false;
  if (f.icmpType !== undefined && (o.proto !== PROTO_ICMP || icmpType(o) !== f.icmpType)) return false;
  if (f.icmpCode !== undefined && (o.proto !== PROTO_ICMP || icmpCode(o) !== f.icmpCode)) return false;
  if (f.icmpId !== undefined && (o.proto !== PROTO_ICMP || o.sport !== f.icmpId)) return false;
  if (f.state !== undefined && e.protoStateName() !== f.state) return false;
  if (f.mark !== undefined && (e.mark & f.mark.mask) >>> 0 !== (f.mark.value & f.mark.mask) >>> 0) return false;
  if (f.zone !== undefined && e.zone !== f.zone) return false;
  if (f.status !== undefined && (e.status & f.status) !== f.status) return false;
  if (f.statusClear !== undefined && (e.status & f.statusClear) !== 0) return false;
  if (f.srcNat !== undefined && (!(e.status & IPS_SRC_NAT) || (f.srcNat !== true && r.dst !== f.srcNat))) return false;
  if (f.dstNat !== undefined && (!(e.status & IPS_DST_NAT) || (f.dstNat !== true && r.src !== f.dstNat))) return false;
  return true;
}
