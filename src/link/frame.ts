import type { Ipv4 } from '../packet/ipv4.js';
import type { Packet } from '../packet/packet.js';

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

export interface ArpMessage {
  op: 'request' | 'reply';
  senderMac: string;
  senderIp: Ipv4;
  targetMac: string;
  targetIp: Ipv4;
}

/** An Ethernet frame carrying IPv4 or ARP. */
export type Frame =
  | { src: string; dst: string; type: 'ipv4'; ip: Packet; meta: FrameMeta }
  | { src: string; dst: string; type: 'arp'; arp: ArpMessage; meta: FrameMeta };

/** What travels with a frame but is not on the wire: the trace it belongs to. */
export interface FrameMeta {
  trace: unknown;
  /** Loopback keeps the sender's socket buffer (conntrack, mark); a real wire never does. */
  skb?: unknown;
}

export function isMulticastMac(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}

/** Frame length on the wire (Ethernet header + payload, padded to the 60-byte minimum, no FCS). */
export function frameLength(f: Frame, ipLength: number): number {
  return Math.max(60, 14 + (f.type === 'arp' ? 28 : ipLength));
}
