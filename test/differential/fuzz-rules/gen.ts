/**
 * The rule fuzzer's generator: seeded iptables command lines over every table, chain, match,
 * target and option nflab knows, in the spellings the real tool accepts (short and long option
 * names, abbreviations, names and numbers, odd address and port forms), plus invalid ones so that
 * refusals are compared too. Commands come in episodes; each episode starts from an empty ruleset.
 */
import { Rng } from '../../../src/core/rng.js';
import { MATCHES } from '../../../src/netfilter/registry.js';
import { BUILTIN_CHAINS } from '../../../src/netfilter/rule.js';
import type { TableName } from '../../../src/netfilter/types.js';

export interface Episode {
  /** Shell command lines, each starting with `iptables`. */
  cmds: string[];
}

const TABLE_LIST: readonly TableName[] = ['filter', 'nat', 'mangle', 'raw', 'security'];
const USER_CHAINS = ['fz-a', 'FZ_B', 'chainC', 'x'];
const BAD_CHAINS = ['-bad', 'a-chain-name-that-is-far-too-long-x', 'ACCEPT', 'DNAT', 'has space'];

export class G {
  readonly r: Rng;
  constructor(seed: number) {
    this.r = new Rng(seed);
  }
  chance(p: number): boolean {
    return this.r.nextFloat() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.r.int(0, xs.length - 1)];
  }
  int(lo: number, hi: number): number {
    return this.r.int(lo, hi);
  }
  /** One of several makers, by weight. */
  weighted<T>(choices: readonly (readonly [number, () => T])[]): T {
    const total = choices.reduce((s, [w]) => s + w, 0);
    let x = this.r.nextFloat() * total;
    for (const [w, f] of choices) {
      if ((x -= w) < 0) return f();
    }
    return choices[choices.length - 1][1]();
  }
}

// ---- values ----

const ADDR_VALID = [
  '10.1.2.3',
  '10.1.0.0/16',
  '10.1.2.3/24',
  '192.168.0.0/255.255.0.0',
  '10.0.0.0/255.0.255.0',
  '0/0',
  '0.0.0.0/0',
  '1.2.3.4/0',
  '0.0.0.0/0.0.0.0',
  '0.0.0.0',
  '0.0.0.0/8',
  '127.1',
  '10.1',
  '255.255.255.255/32',
  '172.16.5.4/32',
  '10.0.0.1/31',
  '0x0a000001',
  '10.0.0.010',
  '224.0.0.0/4',
];
const ADDR_BAD = ['10.0.0.256', '10.0.0.0/33', 'nosuchhost.invalid', '10.0.0.0/255.255.0.255.1', '1.2.3.4/-1', ''];
const IFACES = ['eth0', 'eth+', '+', 'lo', 'veth-1a2b', 'br0', 'docker0'];
const IFACES_BAD = ['an-interface-name-too-long'];
const PROTOS = ['tcp', 'TCP', '6', 'udp', '17', 'icmp', '1', 'sctp', '132', 'all', '0', 'gre', '47', 'esp', 'udplite', 'dccp'];
const PROTOS_BAD = ['foo', '256', '-1'];
const PORT_VALUES = [
  '80',
  'http',
  'ssh',
  'domain',
  '0',
  '65535',
  '1:1024',
  ':1024',
  '1024:',
  '0:65535',
  '0:30000',
  '30000:65535',
  '2000:1000',
  '80:80',
  ':',
  '0:0',
  '65535:65535',
  'http:https',
  '1:65535',
  '0:65534',
];
const PORT_BAD = ['65536', 'nosuchservice', '-1', '1:2:3', '80-90'];
const ICMP_TYPES = [
  'echo-request',
  'ping',
  '8',
  '8/0',
  '3/1',
  'any',
  'port-unreachable',
  'destination-unreachable',
  'echo-reply',
  '0',
  '255',
  '11/1',
];
const ICMP_BAD = ['bogus', '300', '3/300'];

function addr(g: G): string {
  return g.chance(0.08) ? g.pick(ADDR_BAD) : g.pick(ADDR_VALID);
}
function port(g: G): string {
  return g.chance(0.06) ? g.pick(PORT_BAD) : g.pick(PORT_VALUES);
}
function portList(g: G): string {
  const n = g.chance(0.05) ? 16 : g.int(1, 4);
  const xs: string[] = [];
  for (let i = 0; i < n; i++)
    xs.push(g.chance(0.3) ? `${g.int(1, 500)}:${g.int(500, 2000)}` : String(g.pick([22, 80, 443, 8080, 53, 0, 65535, 1000 + i])));
  return g.chance(0.05) ? 'http,https' : xs.join(',');
}
const hexv = (g: G) => `0x${g.int(0, 0xffff).toString(16)}`;
function markValue(g: G): string {
  return g.pick([() => String(g.int(0, 100)), () => hexv(g), () => `${hexv(g)}/0xff`, () => `0x1/0x1`, () => '0xffffffff', () => 'bad'])();
}
function rate(g: G): string {
  return g.pick(['5/sec', '5/second', '10/minute', '3/hour', '1/day', '100/s', '2/m', '7', 'bad', '0/sec']);
}
function comment(g: G): string {
  return g.pick(['hello', 'hello world', 'kube: svc/ns', 'a"b', "it's", 'x'.repeat(256), '', '-dash', 'KUBE-SVC-1234']);
}

/** Argument makers per option name; `null` for flags. Every option nflab knows must be here (tested). */
export const OPTION_VALUES: Record<string, ((g: G) => string[]) | null> = {
  // tcp / udp / sctp
  sport: (g) => [port(g)],
  'source-port': (g) => [port(g)],
  dport: (g) => [port(g)],
  'destination-port': (g) => [port(g)],
  'tcp-flags': (g) => [
    g.pick(['SYN,ACK', 'ALL', 'SYN,RST,ACK,FIN', 'syn,ack', 'NONE', 'FOO']),
    g.pick(['SYN', 'NONE', 'ALL', 'ACK', 'SYN,ACK']),
  ],
  syn: null,
  'tcp-option': (g) => [g.pick(['2', '8', '255', '256', 'x'])],
  'dccp-types': (g) => [g.pick(['REQUEST', 'DATA,ACK', 'request,response', 'SYNC,INVALID', 'INVALID', 'FOO'])],
  'dccp-option': (g) => [g.pick(['1', '5', '255', '0', '256', 'x'])],
  'icmp-type': (g) => [g.chance(0.08) ? g.pick(ICMP_BAD) : g.pick(ICMP_TYPES)],
  // conntrack / state
  ctstate: (g) => [
    g.pick(['NEW', 'ESTABLISHED,RELATED', 'INVALID', 'DNAT', 'SNAT,DNAT', 'UNTRACKED', 'new,established', 'BOGUS', 'RELATED,ESTABLISHED']),
  ],
  ctproto: (g) => [g.pick(['tcp', '6', 'udp', 'icmp', 'all', 'nope'])],
  ctorigsrc: (g) => [addr(g)],
  ctorigdst: (g) => [addr(g)],
  ctreplsrc: (g) => [addr(g)],
  ctrepldst: (g) => [addr(g)],
  ctorigsrcport: (g) => [g.pick(['80', '1000:2000', '0', 'http', '70000'])],
  ctorigdstport: (g) => [g.pick(['80', '1000:2000', '0', 'http', '70000'])],
  ctreplsrcport: (g) => [g.pick(['80', '1000:2000', '65535'])],
  ctrepldstport: (g) => [g.pick(['80', '1000:2000', '65535'])],
  ctstatus: (g) => [g.pick(['ASSURED', 'SEEN_REPLY,ASSURED', 'EXPECTED', 'CONFIRMED', 'NONE', 'bogus'])],
  ctexpire: (g) => [g.pick(['10', '10:20', '20:10', 'x'])],
  ctdir: (g) => [g.pick(['ORIGINAL', 'REPLY', 'original', 'sideways'])],
  state: (g) => [g.pick(['NEW', 'ESTABLISHED,RELATED', 'INVALID', 'UNTRACKED', 'RELATED', 'DNAT', 'new'])],
  // addrtype
  'src-type': (g) => [g.pick(['LOCAL', 'UNICAST', 'BROADCAST', 'LOCAL,MULTICAST', 'local', 'BLACKHOLE', 'NOPE'])],
  'dst-type': (g) => [g.pick(['LOCAL', 'UNICAST', 'MULTICAST', 'ANYCAST', 'UNREACHABLE', 'NOPE'])],
  'limit-iface-in': null,
  'limit-iface-out': null,
  // owner
  'uid-owner': (g) => [g.pick(['0', 'root', '1000', '1000-2000', 'daemon', 'nosuchuser', '2000-1000'])],
  'gid-owner': (g) => [g.pick(['0', 'root', '100', '10-20', 'nosuchgroup'])],
  'socket-exists': null,
  'suppl-groups': null,
  // multiport
  sports: (g) => [portList(g)],
  'source-ports': (g) => [portList(g)],
  dports: (g) => [portList(g)],
  'destination-ports': (g) => [portList(g)],
  ports: (g) => [portList(g)],
  // mark / connmark match
  mark: (g) => [markValue(g)],
  comment: (g) => [comment(g)],
  limit: (g) => [rate(g)],
  'limit-burst': (g) => [g.pick(['5', '1', '0', '10000', 'x'])],
  // recent
  set: null,
  rcheck: null,
  update: null,
  remove: null,
  seconds: (g) => [g.pick(['60', '1', '0', 'x'])],
  reap: null,
  hitcount: (g) => [g.pick(['3', '1', '0', '20'])],
  rttl: null,
  name: (g) => [g.pick(['DEFAULT', 'ssh', 'fz_list'])],
  mask: (g) => [g.pick(['255.255.255.0', '255.255.255.255', '0xff', 'x'])],
  rsource: null,
  rdest: null,
  // statistic
  mode: (g) => [g.pick(['random', 'nth', 'other'])],
  probability: (g) => [g.pick(['0.5', '0.25', '1', '0', '1.5', 'x', '0.33333333'])],
  every: (g) => [g.pick(['3', '1', '0', '2'])],
  packet: (g) => [g.pick(['0', '1', '2', '5'])],
  'src-range': (g) => [g.pick(['10.0.0.1-10.0.0.9', '10.0.0.9-10.0.0.1', '10.0.0.1', '10.0.0.1-', 'x-y'])],
  'dst-range': (g) => [g.pick(['192.168.1.1-192.168.1.200', '10.0.0.5-10.0.0.5'])],
  'mac-source': (g) => [g.pick(['00:11:22:33:44:55', 'AA:BB:CC:DD:EE:FF', '00:11:22:33:44', 'zz:11:22:33:44:55'])],
  'pkt-type': (g) => [g.pick(['unicast', 'broadcast', 'multicast', 'host', 'UNICAST'])],
  length: (g) => [g.pick(['100', '0:1500', '1500:', ':100', '200:100', '70000'])],
  'ttl-eq': (g) => [g.pick(['64', '0', '255', '256'])],
  'ttl-lt': (g) => [g.pick(['64', '1'])],
  'ttl-gt': (g) => [g.pick(['64', '254'])],
  tos: (g) => [g.pick(['0x10', '16', 'Minimize-Delay', 'Normal-Service', '0x10/0x3f', '0x100', 'bogus'])],
  dscp: (g) => [g.pick(['10', '0x0a', '0', '63', '64'])],
  'dscp-class': (g) => [g.pick(['AF11', 'EF', 'CS1', 'BE', 'af41', 'XX'])],
  'physdev-in': (g) => [g.pick(IFACES)],
  'physdev-out': (g) => [g.pick(IFACES)],
  'physdev-is-in': null,
  'physdev-is-out': null,
  'physdev-is-bridged': null,
  'match-set': (g) => [g.pick(['nosuchset', 'KUBE-X']), g.pick(['src', 'dst', 'src,dst'])],
  'return-nomatch': null,
  'update-counters': null,
  'update-subcounters': null,
  // hashlimit
  'hashlimit-upto': (g) => [rate(g)],
  'hashlimit-above': (g) => [rate(g)],
  'hashlimit-burst': (g) => [g.pick(['5', '10', '0'])],
  'hashlimit-mode': (g) => [g.pick(['srcip', 'srcip,dstport', 'dstip', 'srcport', 'bogus'])],
  'hashlimit-name': (g) => [g.pick(['fz', 'hl1', 'a-very-long-hashlimit-name-more-than-31'])],
  'hashlimit-srcmask': (g) => [g.pick(['24', '32', '0', '33'])],
  'hashlimit-dstmask': (g) => [g.pick(['16', '32'])],
  'hashlimit-htable-size': (g) => [g.pick(['1024', '1'])],
  'hashlimit-htable-max': (g) => [g.pick(['2048', '8'])],
  'hashlimit-htable-gcinterval': (g) => [g.pick(['1000', '5000'])],
  'hashlimit-htable-expire': (g) => [g.pick(['10000', '1000'])],
  'hashlimit-rate-match': null,
  'hashlimit-rate-interval': (g) => [g.pick(['1', '5'])],
  'connlimit-upto': (g) => [g.pick(['10', '0', '1'])],
  'connlimit-above': (g) => [g.pick(['10', '100', 'x'])],
  'connlimit-mask': (g) => [g.pick(['24', '32', '0', '33'])],
  'connlimit-saddr': null,
  'connlimit-daddr': null,
  'nfacct-name': (g) => [g.pick(['fz-acct'])],
  loose: null,
  validmark: null,
  'accept-local': null,
  invert: null,
  // targets
  'reject-with': (g) => [
    g.pick([
      'icmp-port-unreachable',
      'port-unreach',
      'icmp-host-prohibited',
      'host-prohib',
      'icmp-net-unreachable',
      'icmp-admin-prohibited',
      'tcp-reset',
      'tcp-rst',
      'icmp-proto-unreachable',
      'bogus',
    ]),
  ],
  'log-level': (g) => [g.pick(['4', 'warning', 'debug', '7', 'info', '8', 'bogus'])],
  'log-prefix': (g) => [g.pick(['DROP: ', 'fz', 'x'.repeat(30), '"q"'])],
  'log-tcp-sequence': null,
  'log-tcp-options': null,
  'log-ip-options': null,
  'log-uid': null,
  'log-macdecode': null,
  'nflog-group': (g) => [g.pick(['1', '0', '65535', '65536'])],
  'nflog-prefix': (g) => [g.pick(['fz', 'with space'])],
  'nflog-range': (g) => [g.pick(['64', '0'])],
  'nflog-size': (g) => [g.pick(['128', '0'])],
  'nflog-threshold': (g) => [g.pick(['1', '10'])],
  'set-xmark': (g) => [markValue(g)],
  'set-mark': (g) => [markValue(g)],
  'and-mark': (g) => [g.pick(['0xff', '0', '0xffff0000'])],
  'or-mark': (g) => [g.pick(['0x1', '0x100'])],
  'xor-mark': (g) => [g.pick(['0x1', '0xff'])],
  'save-mark': null,
  'restore-mark': null,
  nfmask: (g) => [g.pick(['0xff', '0xffffffff'])],
  ctmask: (g) => [g.pick(['0xff', '0xffffffff'])],
  notrack: null,
  helper: (g) => [g.pick(['ftp', 'tftp', 'nosuchhelper'])],
  ctevents: (g) => [g.pick(['new', 'new,related', 'destroy', 'bogus'])],
  expevents: (g) => [g.pick(['new'])],
  zone: (g) => [g.pick(['1', '0', '65535', '65536'])],
  'zone-orig': (g) => [g.pick(['2'])],
  'zone-reply': (g) => [g.pick(['3'])],
  timeout: (g) => [g.pick(['fz-timeout'])],
  'checksum-fill': null,
  'set-mss': (g) => [g.pick(['1400', '536', '0', '65536'])],
  'clamp-mss-to-pmtu': null,
  'ttl-set': (g) => [g.pick(['64', '0', '255', '256'])],
  'ttl-dec': (g) => [g.pick(['1', '0', '255'])],
  'ttl-inc': (g) => [g.pick(['1', '5'])],
  'set-dscp': (g) => [g.pick(['10', '0x2e', '64'])],
  'set-dscp-class': (g) => [g.pick(['EF', 'AF21', 'cs3', 'XX'])],
  'set-tos': (g) => [g.pick(['0x10', 'Minimize-Delay', '0x10/0x3f', '16', 'bogus'])],
  'and-tos': (g) => [g.pick(['0x0f'])],
  'or-tos': (g) => [g.pick(['0x10'])],
  'xor-tos': (g) => [g.pick(['0x08'])],
  'queue-num': (g) => [g.pick(['0', '1', '65535', '65536'])],
  'queue-balance': (g) => [g.pick(['0:3', '2:1', '1:1'])],
  'queue-bypass': null,
  'queue-cpu-fanout': null,
  'fail-open': null,
  'to-destination': (g) => [natTo(g)],
  'to-source': (g) => [natTo(g)],
  random: null,
  'random-fully': null,
  persistent: null,
  'to-ports': (g) => [g.pick(['8080', '1024-2048', '15001', '0', '2048-1024', '70000', 'x'])],
  to: (g) => [g.pick(['10.0.0.0/24', '192.168.0.0/16', '10.1.2.3', '10.0.0.0/0', 'x'])],
  'on-port': (g) => [g.pick(['15001', '0', '70000'])],
  'on-ip': (g) => [g.pick(['127.0.0.1', '10.0.0.1', 'x'])],
  'tproxy-mark': (g) => [g.pick(['0x1/0x1', '1', '0x1'])],
};

function natTo(g: G): string {
  return g.pick([
    '10.0.0.1',
    '10.0.0.1:80',
    '10.0.0.1-10.0.0.5',
    '10.0.0.1-10.0.0.5:80-90',
    ':8080',
    '10.0.0.1:1024-2048',
    '10.0.0.1:90-80',
    '10.0.0.1:70000',
    '10.0.0.999',
    '10.0.0.5-10.0.0.1',
    '10.0.0.1:',
  ]);
}

// ---- extensions: which options go together ----

/** A match: its name and a few option groups, at least one of which is used. */
interface MatchGen {
  name: string;
  /** Option sets to draw from; each group is one choice. */
  groups: string[][];
  /** The protocol its options need (`-p` is added when the dice say so). */
  proto?: string;
  /** Options whose use may be inverted. */
  inv?: readonly string[];
}

const MATCH_GENS: MatchGen[] = [
  {
    name: 'tcp',
    proto: 'tcp',
    groups: [
      ['dport'],
      ['sport'],
      ['destination-port'],
      ['source-port', 'dport'],
      ['syn'],
      ['tcp-flags'],
      ['tcp-option'],
      ['dport', 'tcp-flags'],
    ],
  },
  { name: 'udp', proto: 'udp', groups: [['dport'], ['sport'], ['destination-port'], ['sport', 'destination-port']] },
  { name: 'sctp', proto: 'sctp', groups: [['dport'], ['sport', 'dport']] },
  { name: 'dccp', proto: 'dccp', groups: [['dport'], ['sport', 'dport'], ['dccp-types'], ['dccp-option'], ['dport', 'dccp-types']] },
  { name: 'icmp', proto: 'icmp', groups: [['icmp-type']] },
  {
    name: 'conntrack',
    groups: [
      ['ctstate'],
      ['ctproto'],
      ['ctorigsrc'],
      ['ctorigdst', 'ctorigdstport'],
      ['ctreplsrc'],
      ['ctrepldst'],
      ['ctstatus'],
      ['ctexpire'],
      ['ctdir'],
      ['ctstate', 'ctorigsrcport'],
      ['ctreplsrcport', 'ctrepldstport', 'ctproto'],
    ],
  },
  { name: 'state', groups: [['state']] },
  { name: 'addrtype', groups: [['src-type'], ['dst-type'], ['dst-type', 'limit-iface-in'], ['src-type', 'limit-iface-out']] },
  { name: 'owner', groups: [['uid-owner'], ['gid-owner'], ['socket-exists'], ['gid-owner', 'suppl-groups'], ['uid-owner', 'gid-owner']] },
  { name: 'multiport', proto: 'tcp', groups: [['dports'], ['sports'], ['ports'], ['destination-ports'], ['source-ports']] },
  { name: 'mark', groups: [['mark']] },
  { name: 'comment', groups: [['comment']] },
  { name: 'limit', groups: [['limit'], ['limit', 'limit-burst'], ['limit-burst']] },
  {
    name: 'recent',
    groups: [
      ['set'],
      ['rcheck', 'seconds'],
      ['update', 'seconds', 'hitcount'],
      ['remove', 'name'],
      ['set', 'name', 'rsource'],
      ['rcheck', 'rttl', 'rdest'],
      ['set', 'mask'],
      ['rcheck', 'seconds', 'reap'],
    ],
  },
  { name: 'statistic', groups: [['mode', 'probability'], ['mode', 'every', 'packet'], ['mode', 'every'], ['probability']] },
  { name: 'connmark', groups: [['mark']] },
  { name: 'iprange', groups: [['src-range'], ['dst-range'], ['src-range', 'dst-range']] },
  { name: 'mac', groups: [['mac-source']] },
  { name: 'pkttype', groups: [['pkt-type']] },
  { name: 'length', groups: [['length']] },
  { name: 'ttl', groups: [['ttl-eq'], ['ttl-lt'], ['ttl-gt']] },
  { name: 'tos', groups: [['tos']] },
  { name: 'dscp', groups: [['dscp'], ['dscp-class']] },
  {
    name: 'physdev',
    groups: [
      ['physdev-in'],
      ['physdev-out'],
      ['physdev-is-in'],
      ['physdev-is-out'],
      ['physdev-is-bridged'],
      ['physdev-in', 'physdev-is-bridged'],
    ],
  },
  { name: 'set', groups: [['match-set'], ['match-set', 'return-nomatch'], ['match-set', 'update-counters', 'update-subcounters']] },
  {
    name: 'hashlimit',
    groups: [
      ['hashlimit-upto', 'hashlimit-name'],
      ['hashlimit-above', 'hashlimit-name', 'hashlimit-mode'],
      ['hashlimit-upto', 'hashlimit-name', 'hashlimit-burst', 'hashlimit-srcmask', 'hashlimit-dstmask'],
      [
        'hashlimit-upto',
        'hashlimit-name',
        'hashlimit-htable-size',
        'hashlimit-htable-max',
        'hashlimit-htable-gcinterval',
        'hashlimit-htable-expire',
      ],
      ['hashlimit-upto', 'hashlimit-name', 'hashlimit-rate-match', 'hashlimit-rate-interval'],
      ['hashlimit-upto'],
    ],
  },
  {
    name: 'connlimit',
    groups: [
      ['connlimit-above'],
      ['connlimit-upto', 'connlimit-mask'],
      ['connlimit-above', 'connlimit-daddr'],
      ['connlimit-upto', 'connlimit-saddr'],
    ],
  },
  { name: 'nfacct', groups: [['nfacct-name']] },
  { name: 'rpfilter', groups: [[], ['loose'], ['validmark', 'accept-local'], ['invert'], ['loose', 'invert']] },
];

interface TargetGen {
  name: string;
  groups: string[][];
  tables?: readonly TableName[];
  proto?: string;
}

const TARGET_GENS: TargetGen[] = [
  { name: 'REJECT', groups: [[], ['reject-with']], tables: ['filter', 'mangle', 'security'] },
  {
    name: 'LOG',
    groups: [
      [],
      ['log-prefix'],
      ['log-level'],
      ['log-prefix', 'log-level', 'log-tcp-sequence', 'log-tcp-options', 'log-ip-options', 'log-uid'],
      ['log-macdecode'],
    ],
  },
  { name: 'NFLOG', groups: [[], ['nflog-group'], ['nflog-group', 'nflog-prefix', 'nflog-range'], ['nflog-size', 'nflog-threshold']] },
  { name: 'MARK', groups: [['set-mark'], ['set-xmark'], ['and-mark'], ['or-mark'], ['xor-mark'], []], tables: ['mangle'] },
  {
    name: 'CONNMARK',
    groups: [
      ['save-mark'],
      ['restore-mark'],
      ['set-mark'],
      ['save-mark', 'nfmask', 'ctmask'],
      ['restore-mark', 'mask'],
      ['set-xmark'],
      ['and-mark'],
      ['or-mark'],
      ['xor-mark'],
    ],
    tables: ['mangle'],
  },
  {
    name: 'CT',
    groups: [['notrack'], ['zone'], ['helper'], ['ctevents'], ['expevents'], ['zone-orig'], ['zone-reply'], ['timeout'], []],
    tables: ['raw'],
  },
  { name: 'NOTRACK', groups: [[]], tables: ['raw'] },
  { name: 'TRACE', groups: [[]], tables: ['raw'] },
  { name: 'CHECKSUM', groups: [['checksum-fill'], []], tables: ['mangle'] },
  { name: 'TCPMSS', groups: [['clamp-mss-to-pmtu'], ['set-mss'], []], tables: ['mangle'], proto: 'tcp' },
  { name: 'TTL', groups: [['ttl-set'], ['ttl-dec'], ['ttl-inc'], []], tables: ['mangle'] },
  { name: 'DSCP', groups: [['set-dscp'], ['set-dscp-class'], []], tables: ['mangle'] },
  { name: 'TOS', groups: [['set-tos'], ['and-tos'], ['or-tos'], ['xor-tos']], tables: ['mangle'] },
  {
    name: 'NFQUEUE',
    groups: [[], ['queue-num'], ['queue-balance'], ['queue-num', 'queue-bypass'], ['queue-balance', 'queue-cpu-fanout'], ['fail-open']],
  },
  { name: 'DNAT', groups: [['to-destination'], ['to-destination', 'random'], ['to-destination', 'persistent'], []], tables: ['nat'] },
  {
    name: 'SNAT',
    groups: [['to-source'], ['to-source', 'random'], ['to-source', 'random-fully'], ['to-source', 'persistent']],
    tables: ['nat'],
  },
  { name: 'MASQUERADE', groups: [[], ['to-ports'], ['random'], ['random-fully'], ['to-ports', 'random']], tables: ['nat'] },
  { name: 'REDIRECT', groups: [[], ['to-ports'], ['to-ports', 'random']], tables: ['nat'] },
  { name: 'NETMAP', groups: [['to'], []], tables: ['nat'] },
  {
    name: 'TPROXY',
    groups: [['on-port'], ['on-port', 'on-ip'], ['on-port', 'on-ip', 'tproxy-mark'], ['on-ip']],
    tables: ['mangle'],
    proto: 'tcp',
  },
];

/** The match and target names the generator draws; a test checks they cover the registry. */
export const GENERATED_MATCHES = MATCH_GENS.map((m) => m.name);
export const GENERATED_TARGETS = TARGET_GENS.map((t) => t.name);
export const GENERATED_OPTIONS = new Set([...MATCH_GENS, ...TARGET_GENS].flatMap((x) => x.groups.flat()));

// ---- spelling of base options ----

const SPELL: Record<string, readonly string[]> = {
  source: ['-s', '--source', '--src', '--sour'],
  destination: ['-d', '--destination', '--dst'],
  in: ['-i', '--in-interface', '--in'],
  out: ['-o', '--out-interface', '--out'],
  proto: ['-p', '--protocol', '--proto'],
  frag: ['-f', '--fragment'],
  jump: ['-j', '--jump'],
  goto: ['-g', '--goto'],
  match: ['-m', '--match'],
  append: ['-A', '--append'],
  insert: ['-I', '--insert'],
  delete: ['-D', '--delete'],
  replace: ['-R', '--replace'],
  check: ['-C', '--check'],
  newChain: ['-N', '--new-chain', '--new'],
  deleteChain: ['-X', '--delete-chain'],
  flush: ['-F', '--flush'],
  zero: ['-Z', '--zero'],
  policy: ['-P', '--policy'],
  rename: ['-E', '--rename-chain'],
  table: ['-t', '--table'],
};

/** State the generator keeps to make commands likely to apply (chains that exist, rules to delete). */
class Model {
  chains = new Map<TableName, Set<string>>();
  rules = new Map<string, string[][]>();
  userChains(t: TableName): string[] {
    return [...(this.chains.get(t) ?? [])];
  }
}

function spell(g: G, key: string): string {
  return g.pick(SPELL[key]);
}

/** An option token for a long name: `--name`, sometimes `--name=value` (getopt accepts both). */
function optTokens(g: G, name: string, args: string[]): string[] {
  if (args.length === 1 && g.chance(0.05)) return [`--${name}=${args[0]}`];
  return [`--${name}`, ...args];
}

function ruleSpec(g: G, table: TableName, chain: string, m: Model): string[] {
  const parts: string[][] = [];
  let proto: string | null = null;
  const header: string[][] = [];
  const negate = (p: number) => (g.chance(p) ? ['!'] : []);
  if (g.chance(0.3)) header.push([...negate(0.2), spell(g, 'source'), addr(g)]);
  if (g.chance(0.3)) header.push([...negate(0.2), spell(g, 'destination'), addr(g)]);
  if (g.chance(0.12)) header.push([...negate(0.2), spell(g, 'in'), g.chance(0.05) ? g.pick(IFACES_BAD) : g.pick(IFACES)]);
  if (g.chance(0.12)) header.push([...negate(0.2), spell(g, 'out'), g.pick(IFACES)]);
  if (g.chance(0.04)) header.push([...negate(0.3), spell(g, 'frag')]);
  // Ext first, so that the protocol can follow what it needs.
  const nMatches = g.weighted<number>([
    [4, () => 0],
    [6, () => 1],
    [2, () => 2],
    [0.5, () => 3],
  ]);
  let target: TargetGen | null = null;
  const tgtRoll = g.r.nextFloat();
  if (tgtRoll < 0.45) {
    const fitting = TARGET_GENS.filter((t) => !t.tables || t.tables.includes(table) || g.chance(0.05));
    target = g.pick(fitting.length ? fitting : TARGET_GENS);
  }
  const matches: MatchGen[] = [];
  for (let i = 0; i < nMatches; i++) matches.push(g.pick(MATCH_GENS));
  const wanted = matches.find((x) => x.proto)?.proto ?? target?.proto;
  if (wanted && g.chance(0.85)) proto = g.chance(0.2) ? { tcp: '6', udp: '17', icmp: '1', sctp: '132', dccp: '33' }[wanted]! : wanted;
  else if (g.chance(0.25)) proto = g.chance(0.06) ? g.pick(PROTOS_BAD) : g.pick(PROTOS);
  if (proto !== null) header.push([...negate(0.05), spell(g, 'proto'), proto]);
  // The header options in a random order.
  while (header.length) parts.push(header.splice(g.int(0, header.length - 1), 1)[0]);
  for (const mg of matches) {
    const group = g.pick(mg.groups);
    const toks: string[] = [];
    // tcp/udp/icmp/sctp/dccp options may be given without `-m` once `-p` names the protocol.
    const implicit = mg.proto && mg.name !== 'multiport' && proto !== null && g.chance(0.3);
    if (!implicit) toks.push(spell(g, 'match'), mg.name);
    const spec = MATCHES.get(mg.name)?.options;
    for (const opt of group) {
      const mk = OPTION_VALUES[opt];
      // Mostly where the option may be inverted; now and then where it may not (a refusal to compare).
      if (g.chance(spec?.[opt]?.invert ? 0.2 : 0.02)) toks.push('!');
      toks.push(...optTokens(g, opt, mk ? mk(g) : []));
    }
    if (mg.name === 'comment' && g.chance(0.2)) toks.push('--comment', comment(g));
    parts.push(toks);
  }
  if (g.chance(0.03)) parts.push(['-c', String(g.int(0, 99)), String(g.int(0, 9999))]);
  if (target) {
    const toks = [spell(g, 'jump'), target.name];
    for (const opt of g.pick(target.groups)) {
      const mk = OPTION_VALUES[opt];
      toks.push(...optTokens(g, opt, mk ? mk(g) : []));
    }
    parts.push(toks);
  } else if (tgtRoll < 0.75) {
    parts.push([spell(g, 'jump'), g.pick(['ACCEPT', 'DROP', 'RETURN', 'ACCEPT', 'DROP', 'QUEUE'])]);
  } else if (tgtRoll < 0.88) {
    const users = m.userChains(table).filter((c) => c !== chain);
    const dest = users.length && g.chance(0.85) ? g.pick(users) : g.pick([...USER_CHAINS, 'NOSUCH', 'DNAT']);
    parts.push([g.chance(0.8) ? spell(g, 'jump') : spell(g, 'goto'), dest]);
  }
  // An unknown option or match now and then.
  if (g.chance(0.02))
    parts.splice(
      g.int(0, parts.length),
      0,
      [g.pick(['--bogus', '-m nosuchmatch', '-y', '--dport'])].flatMap((s) => s.split(' ')),
    );
  return parts.flat();
}

function chainFor(g: G, table: TableName, m: Model): string {
  const users = m.userChains(table);
  if (users.length && g.chance(0.35)) return g.pick(users);
  if (g.chance(0.03)) return g.pick([...USER_CHAINS, 'NOSUCH']);
  return g.pick(BUILTIN_CHAINS[table]);
}

function tableTokens(g: G, table: TableName): string[] {
  if (table === 'filter' && g.chance(0.6)) return [];
  const r = g.r.nextFloat();
  if (r < 0.7) return ['-t', table];
  if (r < 0.85) return ['--table', table];
  if (r < 0.93) return [`--table=${table}`];
  return [`-t${table}`];
}

function command(g: G, m: Model): string[] {
  const table = g.chance(0.02) ? ('bogus' as TableName) : g.pick(TABLE_LIST);
  const t = TABLE_LIST.includes(table) ? table : 'filter';
  const pre = tableTokens(g, table);
  const chain = chainFor(g, t, m);
  const key = `${t} ${chain}`;
  const known = m.rules.get(key) ?? [];
  const verb = g.weighted<string[]>([
    [30, () => [spell(g, 'append'), chain, ...ruleSpec(g, t, chain, m)]],
    [
      8,
      () => [
        spell(g, 'insert'),
        chain,
        ...(g.chance(0.6) ? [String(g.pick([1, 1, 2, known.length + 1, known.length + 1, known.length + 2, 0]))] : []),
        ...ruleSpec(g, t, chain, m),
      ],
    ],
    [4, () => [spell(g, 'replace'), chain, String(g.pick([1, 1, 2, known.length, known.length, 0, 9])), ...ruleSpec(g, t, chain, m)]],
    [
      7,
      () =>
        known.length && g.chance(0.7)
          ? [spell(g, 'delete'), chain, ...g.pick(known)]
          : [spell(g, 'delete'), chain, String(g.pick([1, 1, 2, known.length, 0]))],
    ],
    [2, () => (known.length ? [spell(g, 'check'), chain, ...g.pick(known)] : [spell(g, 'check'), chain, ...ruleSpec(g, t, chain, m)])],
    [6, () => [spell(g, 'newChain'), g.chance(0.1) ? g.pick(BAD_CHAINS) : g.pick(USER_CHAINS)]],
    [
      2,
      () => [spell(g, 'rename'), g.pick([...m.userChains(t), 'NOSUCH', 'INPUT']), g.chance(0.1) ? g.pick(BAD_CHAINS) : g.pick(USER_CHAINS)],
    ],
    [3, () => [spell(g, 'deleteChain'), ...(g.chance(0.7) ? [g.pick([...m.userChains(t), ...USER_CHAINS, 'INPUT'])] : [])]],
    [
      3,
      () => [spell(g, 'policy'), g.pick([...BUILTIN_CHAINS[t], 'fz-a']), g.pick(['ACCEPT', 'DROP', 'ACCEPT', 'RETURN', 'QUEUE', 'drop'])],
    ],
    [3, () => [spell(g, 'flush'), ...(g.chance(0.6) ? [chain] : [])]],
    [3, () => [spell(g, 'zero'), ...(g.chance(0.6) ? [chain, ...(g.chance(0.3) ? [String(g.int(1, 3))] : [])] : [])]],
  ]);
  // Remember what a command of this kind would leave, whether or not it applies.
  const v = verb[0];
  if (v === '-N' || v.startsWith('--new')) {
    if (!m.chains.has(t)) m.chains.set(t, new Set());
    m.chains.get(t)!.add(verb[1]);
  } else if ((v === '-A' || v === '--append') && known.length < 12) {
    m.rules.set(key, [...known, verb.slice(2)]);
  }
  return ['iptables', ...pre, ...verb];
}

/** Shell form of a token: bare when safe, else single-quoted. */
export function shellWord(w: string): string {
  if (/^[A-Za-z0-9_.:/,=+@%!-]+$/.test(w)) return w;
  return `'${w.replace(/'/g, `'\\''`)}'`;
}

export function generate(seed: number, budget: number): Episode[] {
  const g = new G(seed);
  const out: Episode[] = [];
  let left = budget;
  while (left > 0) {
    const n = Math.min(left, g.int(4, 20));
    const m = new Model();
    const cmds: string[] = [];
    for (let i = 0; i < n; i++) cmds.push(command(g, m).map(shellWord).join(' '));
    out.push({ cmds });
    left -= n;
  }
  return out;
}
