/** The kernel's LOG line (nf_log_ipv4 format), built only when a LOG/NFLOG rule fires. */
import { formatIpv4 } from '../../packet/ipv4.js';
import { packetLength, TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, type Packet } from '../../packet/packet.js';
import type { Skb } from '../types.js';

export const LOG_TCPSEQ = 0x01;
export const LOG_TCPOPT = 0x02;
export const LOG_IPOPT = 0x04;
export const LOG_UID = 0x08;
export const LOG_MACDECODE = 0x20;

const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

function packetPart(p: Packet, flags: number): string {
  let s = `SRC=${formatIpv4(p.src)} DST=${formatIpv4(p.dst)} LEN=${packetLength(p)} TOS=0x${hex2(p.tos & 0x1e)} PREC=0x${hex2(p.tos & 0xe0)} TTL=${p.ttl} ID=${p.id} `;
  if (p.df) s += 'DF ';
  if (p.moreFragments) s += 'MF ';
  if (p.fragOffset) s += `FRAG:${p.fragOffset} `;
  if (p.fragOffset) return s;
  if (p.tcp) {
    const t = p.tcp;
    s += `PROTO=TCP SPT=${t.sport} DPT=${t.dport} `;
    if (flags & LOG_TCPSEQ) s += `SEQ=${t.seq >>> 0} ACK=${t.ack >>> 0} `;
    s += `WINDOW=${t.window} RES=0x00 `;
    const names: ReadonlyArray<readonly [number, string]> = [
      [TCP_CWR, 'CWR'],
      [TCP_ECE, 'ECE'],
      [TCP_URG, 'URG'],
      [TCP_ACK, 'ACK'],
      [TCP_PSH, 'PSH'],
      [TCP_RST, 'RST'],
      [TCP_SYN, 'SYN'],
      [TCP_FIN, 'FIN'],
    ];
    for (const [bit, n] of names) if (t.flags & bit) s += `${n} `;
    s += 'URGP=0 ';
  } else if (p.udp) {
    s += `PROTO=UDP SPT=${p.udp.sport} DPT=${p.udp.dport} LEN=${8 + p.payload.length} `;
  } else if (p.icmp) {
    const i = p.icmp;
    s += `PROTO=ICMP TYPE=${i.type} CODE=${i.code} `;
    if (i.type === 0 || i.type === 8) s += `ID=${i.id} SEQ=${i.seq} `;
    if (i.type === 3 && i.code === 4 && i.mtu !== undefined) s += `MTU=${i.mtu} `;
    if (i.quoted) s += `[${packetPart(i.quoted, 0).trimEnd()}] `;
  } else {
    s += `PROTO=${p.proto} `;
  }
  return s;
}

export function logLine(prefix: string, skb: Skb, flags: number): string {
  let s = `${prefix}IN=${skb.inIf ?? ''} OUT=${skb.outIf ?? ''} `;
  if (skb.physIn) s += `PHYSIN=${skb.physIn} `;
  if (skb.physOut) s += `PHYSOUT=${skb.physOut} `;
  // Only the source MAC is known to the lab; the kernel prints dst:src:ethertype.
  if (skb.inIf !== null && skb.srcMac) s += `MAC=${skb.srcMac} `;
  s += packetPart(skb.pkt, flags);
  if (flags & LOG_UID && skb.socket) s += `UID=${skb.socket.uid} GID=${skb.socket.gid} `;
  if (skb.mark) s += `MARK=0x${skb.mark.toString(16)} `;
  return s;
}
