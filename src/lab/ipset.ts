/** ipsets declared in a topology, for `-m set --match-set NAME dir[,dir]`. */
import { cidrContains, parseCidr, type Cidr, type Ipv4 } from '../packet/ipv4.js';
import type { IpSetView, Skb } from '../netfilter/types.js';
import type { IpsetSpec } from '../topology/model.js';

interface Member {
  net: Cidr | null;
  proto: number;
  port: number;
}

function parseMember(type: IpsetSpec['type'], text: string): Member {
  if (type === 'bitmap:port') return { net: null, proto: 0, port: Number(text) };
  const [addr, portPart] = text.split(',');
  let proto = 0;
  let port = 0;
  if (portPart !== undefined) {
    const [p, n] = portPart.includes(':') ? portPart.split(':') : ['tcp', portPart];
    proto = p === 'udp' ? 17 : p === 'icmp' ? 1 : 6;
    port = Number(n);
  }
  return { net: parseCidr(addr), proto, port };
}

export function buildIpset(spec: IpsetSpec): IpSetView {
  const members = spec.members.map((m) => parseMember(spec.type, m));
  const hasPort = spec.type.endsWith(',port');
  const pick = (skb: Skb, src: boolean): { addr: Ipv4; port: number } => {
    const p = skb.pkt;
    return { addr: src ? p.src : p.dst, port: src ? (p.tcp?.sport ?? p.udp?.sport ?? 0) : (p.tcp?.dport ?? p.udp?.dport ?? 0) };
  };
  return {
    type: spec.type,
    test(skb, dims) {
      if (spec.type === 'bitmap:port') {
        const port = pick(skb, dims[0] ?? true).port;
        return members.some((m) => m.port === port);
      }
      const a = pick(skb, dims[0] ?? true);
      const portDir = pick(skb, dims[1] ?? dims[0] ?? true);
      return members.some(
        (m) => m.net !== null && cidrContains(m.net, a.addr) && (!hasPort || (m.port === portDir.port && m.proto === skb.pkt.proto)),
      );
    },
  };
}
