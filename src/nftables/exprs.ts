/** The selectors nflab knows (payload fields, meta and ct keys), each with its data type. */
import type { TypeName } from './types.js';

export const PAYLOAD_FIELDS: Record<string, Record<string, TypeName>> = {
  ip: {
    saddr: 'ipv4_addr',
    daddr: 'ipv4_addr',
    protocol: 'inet_proto',
    ttl: 'integer',
    length: 'integer',
    id: 'integer',
    dscp: 'integer',
    version: 'integer',
  },
  ip6: { saddr: 'ipv6_addr', daddr: 'ipv6_addr', nexthdr: 'inet_proto', hoplimit: 'integer', length: 'integer' },
  tcp: { sport: 'inet_service', dport: 'inet_service', flags: 'tcp_flag', sequence: 'integer', ackseq: 'integer', window: 'integer' },
  udp: { sport: 'inet_service', dport: 'inet_service', length: 'integer' },
  th: { sport: 'inet_service', dport: 'inet_service' },
  sctp: { sport: 'inet_service', dport: 'inet_service' },
  icmp: { type: 'icmp_type', code: 'icmp_code', id: 'integer', sequence: 'integer' },
  icmpv6: { type: 'icmpv6_type', code: 'integer', id: 'integer', sequence: 'integer' },
  ether: { saddr: 'ether_addr', daddr: 'ether_addr', type: 'ether_type' },
};

/** Byte widths of payload fields that are plain integers, for range checks. */
export const FIELD_BITS: Record<string, number> = {
  'ip.ttl': 8,
  'ip.length': 16,
  'ip.id': 16,
  'ip.dscp': 6,
  'ip.version': 4,
  'ip6.hoplimit': 8,
  'ip6.length': 16,
  'tcp.sequence': 32,
  'tcp.ackseq': 32,
  'tcp.window': 16,
  'udp.length': 16,
  'icmp.code': 8,
  'icmp.id': 16,
  'icmp.sequence': 16,
  'icmpv6.code': 8,
  'icmpv6.id': 16,
  'icmpv6.sequence': 16,
};

export const META_KEYS: Record<string, TypeName> = {
  mark: 'mark',
  l4proto: 'inet_proto',
  nfproto: 'nf_proto',
  protocol: 'ether_type',
  iif: 'iface_index',
  oif: 'iface_index',
  iifname: 'ifname',
  oifname: 'ifname',
  skuid: 'uid',
  skgid: 'gid',
  nftrace: 'integer',
  pkttype: 'pkttype',
  length: 'integer',
};

/** Meta keys nft prints without the `meta` keyword. */
export const UNQUALIFIED_META = new Set(['iif', 'oif', 'iifname', 'oifname']);
/** Meta keys that may be written without `meta`. */
export const BARE_META = new Set(['mark', 'iif', 'oif', 'iifname', 'oifname', 'skuid', 'skgid', 'nftrace', 'pkttype']);

export const CT_KEYS: Record<string, TypeName> = {
  state: 'ct_state',
  status: 'ct_status',
  mark: 'mark',
  direction: 'ct_dir',
  protocol: 'inet_proto',
  'proto-src': 'inet_service',
  'proto-dst': 'inet_service',
  zone: 'integer',
};

/** Keywords nft has that nflab does not model: refused by name, never ignored. */
export const UNSUPPORTED = new Set([
  'queue',
  'tproxy',
  'osf',
  'socket',
  'meter',
  'quota',
  'synproxy',
  'flow',
  'xt',
  'dup',
  'fwd',
  'rt',
  'exthdr',
  'ipsec',
  'hash',
  'jhash',
  'symhash',
  'vlan',
  'arp',
  'dccp',
  'udplite',
  'ah',
  'esp',
  'comp',
  'secmark',
  'tunnel',
  'cgroupv2',
  'inner',
  'last',
  'connlimit',
  'dscp',
]);
