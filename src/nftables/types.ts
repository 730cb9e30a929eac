/**
 * nft's data types: how a literal is read for a given left-hand side, how it is
 * printed back, and the byte image the kernel keeps (which decides the order in
 * which `nft list` prints hashed set elements, see `sortKey`).
 */
export type TypeName =
  | 'ipv4_addr'
  | 'ipv6_addr'
  | 'inet_service'
  | 'inet_proto'
  | 'ifname'
  | 'iface_index'
  | 'mark'
  | 'integer'
  | 'verdict'
  | 'ct_state'
  | 'ct_status'
  | 'ct_dir'
  | 'icmp_type'
  | 'icmp_code'
  | 'icmpv6_type'
  | 'uid'
  | 'gid'
  | 'nf_proto'
  | 'fib_addrtype'
  | 'tcp_flag'
  | 'ether_addr'
  | 'pkttype'
  | 'boolean'
  | 'ether_type';

export interface DType {
  name: TypeName;
  /** Bytes in the kernel's register image (before padding to 4). */
  size: number;
  order: 'be' | 'host';
  kind: 'int' | 'str' | 'bitmask' | 'enum';
  /** Symbolic names, in the order nft prints bitmask members. */
  symbols?: ReadonlyArray<readonly [string, number]>;
  /** How many elements nft prints on one line of a named set (0: one per line). */
  perLine: number;
}

const ICMP_TYPES: Array<[string, number]> = [
  ['echo-reply', 0],
  ['destination-unreachable', 3],
  ['source-quench', 4],
  ['redirect', 5],
  ['echo-request', 8],
  ['router-advertisement', 9],
  ['router-solicitation', 10],
  ['time-exceeded', 11],
  ['parameter-problem', 12],
  ['timestamp-request', 13],
  ['timestamp-reply', 14],
  ['info-request', 15],
  ['info-reply', 16],
  ['address-mask-request', 17],
  ['address-mask-reply', 18],
];
/** The codes nft names (others print as numbers). */
const ICMP_CODES: Array<[string, number]> = [
  ['net-unreachable', 0],
  ['host-unreachable', 1],
  ['prot-unreachable', 2],
  ['port-unreachable', 3],
  ['frag-needed', 4],
  ['net-prohibited', 9],
  ['host-prohibited', 10],
  ['admin-prohibited', 13],
];
const ICMPV6_TYPES: Array<[string, number]> = [
  ['destination-unreachable', 1],
  ['packet-too-big', 2],
  ['time-exceeded', 3],
  ['parameter-problem', 4],
  ['echo-request', 128],
  ['echo-reply', 129],
  ['mld-listener-query', 130],
  ['mld-listener-report', 131],
  ['mld-listener-done', 132],
  ['nd-router-solicit', 133],
  ['nd-router-advert', 134],
  ['nd-neighbor-solicit', 135],
  ['nd-neighbor-advert', 136],
  ['nd-redirect', 137],
  ['router-renumbering', 138],
  ['ind-neighbor-solicit', 141],
  ['ind-neighbor-advert', 142],
  ['mld2-listener-report', 143],
];
export const INET_PROTOS: Array<[string, number]> = [
  ['icmp', 1],
  ['igmp', 2],
  ['ipip', 4],
  ['tcp', 6],
  ['egp', 8],
  ['udp', 17],
  ['ipv6', 41],
  ['gre', 47],
  ['esp', 50],
  ['ah', 51],
  ['ipv6-icmp', 58],
  ['sctp', 132],
  ['udplite', 136],
];
const CT_STATES: Array<[string, number]> = [
  ['invalid', 1],
  ['established', 2],
  ['related', 4],
  ['new', 8],
  ['untracked', 64],
];
const CT_STATUS: Array<[string, number]> = [
  ['expected', 1],
  ['seen-reply', 2],
  ['assured', 4],
  ['confirmed', 8],
  ['snat', 16],
  ['dnat', 32],
  ['dying', 512],
];
const TCP_FLAGS: Array<[string, number]> = [
  ['fin', 1],
  ['syn', 2],
  ['rst', 4],
  ['psh', 8],
  ['ack', 16],
  ['urg', 32],
  ['ecn', 64],
  ['cwr', 128],
];
const FIB_ADDRTYPES: Array<[string, number]> = [
  ['unspec', 0],
  ['unicast', 1],
  ['local', 2],
  ['broadcast', 3],
  ['anycast', 4],
  ['multicast', 5],
  ['blackhole', 6],
  ['unreachable', 7],
  ['prohibit', 8],
];

const T = (
  name: TypeName,
  size: number,
  order: 'be' | 'host',
  kind: DType['kind'],
  perLine: number,
  symbols?: Array<[string, number]>,
): DType => ({
  name,
  size,
  order,
  kind,
  perLine,
  symbols,
});

export const TYPES: Record<TypeName, DType> = {
  ipv4_addr: T('ipv4_addr', 4, 'be', 'int', 2),
  ipv6_addr: T('ipv6_addr', 16, 'be', 'int', 0),
  inet_service: T('inet_service', 2, 'be', 'int', 5),
  inet_proto: T('inet_proto', 1, 'be', 'enum', 5, INET_PROTOS),
  ifname: T('ifname', 16, 'host', 'str', 0),
  iface_index: T('iface_index', 4, 'host', 'str', 5),
  mark: T('mark', 4, 'host', 'int', 5),
  integer: T('integer', 4, 'host', 'int', 5),
  verdict: T('verdict', 4, 'host', 'enum', 0),
  ct_state: T('ct_state', 4, 'host', 'bitmask', 2, CT_STATES),
  ct_status: T('ct_status', 4, 'host', 'bitmask', 2, CT_STATUS),
  ct_dir: T('ct_dir', 1, 'host', 'enum', 5, [
    ['original', 0],
    ['reply', 1],
  ]),
  icmp_type: T('icmp_type', 1, 'be', 'enum', 0, ICMP_TYPES),
  icmp_code: T('icmp_code', 1, 'be', 'enum', 5, ICMP_CODES),
  icmpv6_type: T('icmpv6_type', 1, 'be', 'enum', 0, ICMPV6_TYPES),
  uid: T('uid', 4, 'host', 'int', 5),
  gid: T('gid', 4, 'host', 'int', 5),
  nf_proto: T('nf_proto', 1, 'host', 'enum', 5, [
    ['ipv4', 2],
    ['ipv6', 10],
  ]),
  fib_addrtype: T('fib_addrtype', 4, 'host', 'enum', 0, FIB_ADDRTYPES),
  tcp_flag: T('tcp_flag', 1, 'be', 'bitmask', 5, TCP_FLAGS),
  ether_addr: T('ether_addr', 6, 'be', 'int', 0),
  pkttype: T('pkttype', 1, 'host', 'enum', 2, [
    ['host', 0],
    ['broadcast', 1],
    ['multicast', 2],
    ['other', 3],
  ]),
  boolean: T('boolean', 1, 'host', 'enum', 0, [
    ['missing', 0],
    ['exists', 1],
  ]),
  ether_type: T('ether_type', 2, 'be', 'enum', 0, [
    ['ip', 0x0800],
    ['arp', 0x0806],
    ['ip6', 0x86dd],
    ['vlan', 0x8100],
  ]),
};

/** A constant: numbers in `n` (addresses as their integer value), names of interfaces in `s`. */
export interface Value {
  type: TypeName;
  n: bigint;
  s?: string;
}

export function parseIpv4(w: string): bigint | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(w);
  if (!m) return null;
  let v = 0n;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return null;
    v = (v << 8n) | BigInt(o);
  }
  return v;
}

export function formatIpv4(n: bigint): string {
  const v = Number(n);
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export function parseIpv6(w: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(w) || !w.includes(':')) return null;
  const halves = w.split('::');
  if (halves.length > 2) return null;
  const part = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const a = part(halves[0]);
  const b = halves.length === 2 ? part(halves[1]) : [];
  if (!a || !b) return null;
  const fill = 8 - a.length - b.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) return null;
  const groups = [...a, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...b];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}

export function formatIpv6(n: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

function parseNum(w: string): bigint | null {
  if (/^0x[0-9a-fA-F]+$/.test(w)) return BigInt(w);
  if (/^\d+$/.test(w)) return BigInt(w);
  return null;
}

export type ParseResult = { ok: true; value: Value } | { ok: false; message: string };

const bad = (message: string): ParseResult => ({ ok: false, message });

/**
 * Reads one literal (no ranges, prefixes or lists) as type `t`. `quoted` is true for "strings".
 * `ifaces`: the namespace's interface names, where nft looks an interface (not an interface name) up.
 */
export function parseLiteral(t: TypeName, w: string, quoted: boolean, ifaces?: ReadonlySet<string>): ParseResult {
  const d = TYPES[t];
  const ok = (n: bigint, s?: string): ParseResult => ({ ok: true, value: s === undefined ? { type: t, n } : { type: t, n, s } });
  // nft resolves `iif|oif NAME` to the interface's index when it reads the rule; a number is taken as one.
  if (t === 'iface_index' && ifaces && !ifaces.has(w) && !/^\d+$/.test(w)) return bad('Interface does not exist');
  if (d.kind === 'str') return ok(0n, w);
  if (t === 'ipv4_addr') {
    const v = parseIpv4(w);
    return v === null ? bad(`Could not resolve hostname: Name or service not known`) : ok(v);
  }
  if (t === 'ipv6_addr') {
    const v = parseIpv6(w);
    return v === null ? bad(`Could not resolve hostname: Name or service not known`) : ok(v);
  }
  if (t === 'ether_addr') {
    if (!/^([0-9a-fA-F]{1,2}:){5}[0-9a-fA-F]{1,2}$/.test(w)) return bad(`Could not parse ether_addr`);
    return ok(
      BigInt(
        '0x' +
          w
            .split(':')
            .map((x) => x.padStart(2, '0'))
            .join(''),
      ),
    );
  }
  if (d.symbols) {
    const hit = d.symbols.find(([name]) => name === w);
    if (hit) return ok(BigInt(hit[1]));
  }
  if (t === 'inet_service' && !quoted) {
    const n = parseNum(w);
    if (n !== null) return n > 65535n ? bad(`Service out of range`) : ok(n);
    const named = SERVICES[w];
    return named === undefined ? bad(`Could not resolve service: Servname not supported for ai_socktype`) : ok(BigInt(named));
  }
  const n = parseNum(w);
  // nft looks user and group names up on the host; a lab node knows only root.
  if (n === null && (t === 'uid' || t === 'gid'))
    return w === 'root' ? ok(0n) : bad(t === 'uid' ? 'User does not exist' : 'Group does not exist');
  if (n === null) return bad(t === 'inet_proto' ? 'Could not resolve protocol name' : `Could not parse ${describe(t)}`);
  const max = (1n << BigInt(d.size * 8)) - 1n;
  if (n > max) return bad(`Value ${w} exceeds valid range 0-${max}`);
  return ok(n);
}

const SERVICES: Record<string, number> = { ssh: 22, http: 80, https: 443, domain: 53, smtp: 25, ntp: 123, telnet: 23, ftp: 21 };

export function describe(t: TypeName): string {
  switch (t) {
    case 'ipv4_addr':
      return 'IPv4 address';
    case 'ipv6_addr':
      return 'IPv6 address';
    case 'inet_service':
      return 'internet network service';
    case 'inet_proto':
      return 'Internet protocol';
    case 'mark':
      return 'packet mark';
    case 'ct_state':
      return 'conntrack state';
    case 'ct_status':
      return 'conntrack status';
    case 'icmp_type':
      return 'ICMP type';
    case 'icmpv6_type':
      return 'ICMPv6 type';
    case 'fib_addrtype':
      return 'fib address type';
    default:
      return t.replace(/_/g, ' ');
  }
}

export function printValue(v: Value): string {
  const d = TYPES[v.type];
  switch (v.type) {
    case 'ipv4_addr':
      return formatIpv4(v.n);
    case 'ipv6_addr':
      return formatIpv6(v.n);
    case 'ifname':
      return `"${v.s ?? ''}"`;
    case 'iface_index':
      // An index given as a number prints as one (nft prints a name only for an index it finds).
      return /^\d+$/.test(v.s ?? '') ? v.s! : `"${v.s ?? ''}"`;
    case 'mark':
      return `0x${v.n.toString(16).padStart(8, '0')}`;
    case 'ether_addr':
      return v.n
        .toString(16)
        .padStart(12, '0')
        .replace(/(..)(?!$)/g, '$1:');
    default:
      break;
  }
  if (d.kind === 'bitmask' && d.symbols) {
    if (v.n === 0n) return '0x0';
    const parts: string[] = [];
    for (const [name, bit] of d.symbols) if ((v.n & BigInt(bit)) !== 0n) parts.push(name);
    return parts.join(',');
  }
  if (d.symbols) {
    const hit = d.symbols.find(([, n]) => BigInt(n) === v.n);
    if (hit) return hit[0];
  }
  return v.n.toString();
}

/** The value's bytes as the kernel stores them in a register. */
export function valueBytes(v: Value): number[] {
  const d = TYPES[v.type];
  if (d.kind === 'str') {
    const b = new Array<number>(d.size).fill(0);
    const s = v.s ?? '';
    for (let i = 0; i < s.length && i < d.size; i++) b[i] = s.charCodeAt(i) & 255;
    return b;
  }
  const b: number[] = [];
  let n = v.n;
  for (let i = 0; i < d.size; i++) {
    b.push(Number(n & 255n));
    n >>= 8n;
  }
  return d.order === 'be' ? b.reverse() : b;
}

/**
 * The order nft lists the elements of a set that is not an interval set: sorted by
 * the number nft reads back from the kernel's bytes. Big-endian types read as their
 * value; strings and concatenations read as a little-endian number of their
 * (4-byte padded) bytes, so `"a" < "zz" < "docker0" < "bridge1"`, and
 * `10.0.0.1 . 80` sorts by its last field first. Measured on the kernel (corpus-nft).
 */
export function sortKey(key: Value[]): bigint {
  if (key.length === 1 && TYPES[key[0].type].kind !== 'str') return key[0].n;
  const bytes: number[] = [];
  for (const v of key) {
    const b = valueBytes(v);
    bytes.push(...b);
    while (bytes.length % 4 !== 0) bytes.push(0);
  }
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}
