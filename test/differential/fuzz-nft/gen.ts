/**
 * The nft fuzzer's generator: seeded nft transactions over what nflab's nftables supports
 * (families, base chains with numeric and named priorities, sets and maps with flags and element
 * options, concatenations, verdict maps, the expressions and statements of SPEC section 6,
 * `define`, the nested block form and the command form, handles), about a third of them broken
 * so that refusals, their messages and their locations are compared too. Transactions come in
 * episodes; each episode starts in a fresh namespace.
 */
import { G, shellWord } from '../fuzz-rules/gen.js';

/** One transaction: `nft -f -` with `stdin`, or one command line (`cmd` starts with `nft`). */
export interface Txn {
  cmd: string;
  stdin?: string;
}

export interface Episode {
  txns: Txn[];
}

type Fam = 'ip' | 'inet' | 'ip6' | 'arp' | 'bridge' | 'netdev';
const FAMS: readonly Fam[] = ['ip', 'ip', 'ip', 'ip', 'inet', 'inet', 'inet', 'inet', 'ip6', 'arp', 'bridge', 'netdev'];
const TABLE_NAMES = ['t', 'filter', 'fz', 'nat'];
const CHAIN_NAMES = ['input', 'c1', 'svc-a', 'POST', 'x'];
const SET_NAMES = ['s', 'allowed', 'ports', 'm'];

interface SetInfo {
  name: string;
  key: string;
  data: string | null;
  flags: string[];
}
interface TableInfo {
  fam: Fam;
  name: string;
  chains: Map<string, { hook: string | null; type: string | null }>;
  sets: Map<string, SetInfo>;
  rules: number;
}

/** What the generator believes exists (whether or not a transaction applied): it steers most commands to real objects. */
class Model {
  tables: TableInfo[] = [];
  pickTable(g: G): TableInfo | null {
    return this.tables.length ? g.pick(this.tables) : null;
  }
  table(fam: Fam, name: string): TableInfo {
    let t = this.tables.find((x) => x.fam === fam && x.name === name);
    if (!t) this.tables.push((t = { fam, name, chains: new Map(), sets: new Map(), rules: 0 }));
    return t;
  }
}

// ---- values ----

const ADDRS = ['10.0.0.1', '10.1.0.0/16', '192.168.1.0/24', '10.0.0.1-10.0.0.9', '127.0.0.1', '0.0.0.0/0', '172.16.0.0/12', '10.0.0.7'];
const ADDRS_BAD = ['10.0.0.256', '10.0.0.0/33', 'fe80::1', 'nohost'];
const PORTS = ['22', '80', '443', '53', '8080', '1024-2048', 'http', 'ssh', '0', '65535'];
const PORTS_BAD = ['65536', '99999', 'nosuchservice', '-1'];
const PROTOS = ['tcp', 'udp', 'icmp', '6', '17', 'sctp'];
const IFNAMES = ['"eth0"', '"lo"', '"eth*"', '"br-1"', 'eth1', '"veth0"'];
const MARKS = ['0x1', '0x4000', '42', '0x00000539', '0xffffffff'];
const CT_STATES = ['established', 'related', 'new', 'invalid', 'untracked', 'established,related', '{ established, related }'];
const CT_STATUS = ['dnat', 'snat', 'confirmed', 'assured', 'seen-reply'];
const ICMP_TYPES = ['echo-request', 'echo-reply', 'destination-unreachable', '8', 'time-exceeded', '{ echo-request, echo-reply }'];
const TCP_FLAGS = ['syn', 'syn,ack', 'fin', 'rst', '{ syn, ack }'];
const OPS = ['', '', '', '!= ', '< ', '> ', '<= ', '>= ', '== '];
const KEY_TYPES = [
  'ipv4_addr',
  'inet_service',
  'inet_proto',
  'mark',
  'ifname',
  'ipv4_addr . inet_service',
  'ipv4_addr . inet_proto . inet_service',
];

function anonSet(g: G, xs: readonly string[]): string {
  const n = g.int(1, 4);
  const picked: string[] = [];
  for (let i = 0; i < n; i++) picked.push(g.pick(xs).replace(/^\{ | \}$/g, ''));
  return `{ ${picked.join(', ')} }`;
}

const valueOf = (g: G, xs: readonly string[]): string => (g.chance(0.2) ? anonSet(g, xs) : g.pick(xs));

function elementFor(g: G, key: string): string {
  const one = (k: string): string => {
    switch (k) {
      case 'ipv4_addr':
        return g.pick(ADDRS.filter((a) => !a.includes('/0')));
      case 'inet_service':
        return g.pick(PORTS);
      case 'inet_proto':
        return g.pick(['tcp', 'udp', 'icmp']);
      case 'mark':
        return g.pick(MARKS);
      case 'ifname':
        return g.pick(['"eth0"', '"lo"', '"br-1"']);
      default:
        return '1';
    }
  };
  return key
    .split(' . ')
    .map((k) => one(k))
    .join(' . ');
}

/** A set key's element without ranges or prefixes (for sets without `interval`). */
function exactElement(g: G, key: string): string {
  let e = elementFor(g, key);
  for (let i = 0; i < 5 && /[-/]|0\.0\.0\.0/.test(e.replace(/"[^"]*"/g, '')); i++) e = elementFor(g, key);
  return e.replace(/\/\d+|-[\d.]+/g, '');
}

/** The selector that reads a key type from a packet. */
function selectorFor(g: G, key: string, fam: Fam): string {
  const one = (k: string): string => {
    switch (k) {
      case 'ipv4_addr':
        return g.pick(['ip saddr', 'ip daddr', 'ct original ip daddr']);
      case 'inet_service':
        return g.pick(['tcp dport', 'th dport', 'udp sport']);
      case 'inet_proto':
        return fam === 'ip' ? g.pick(['ip protocol', 'meta l4proto']) : 'meta l4proto';
      case 'mark':
        return g.pick(['meta mark', 'ct mark']);
      case 'ifname':
        return g.pick(['iifname', 'oifname']);
      default:
        return 'meta mark';
    }
  };
  return key.split(' . ').map(one).join(' . ');
}

// ---- rules ----

/** Set while an episode's first transaction is drawn: its objects are kept plain so that they usually exist for what follows. */
let plain = false;

function matchIp(g: G, t: TableInfo): string {
  if (plain)
    return g.pick([
      'ip saddr 10.0.0.1',
      'ip daddr 10.1.0.0/16',
      'tcp dport 22',
      'udp dport { 53, 123 }',
      'ct state established,related',
      'meta mark 0x1',
      'iifname "eth0"',
    ]);
  const setRef = () => {
    const sets = [...t.sets.values()].filter((s) => s.data === null);
    if (!sets.length) return null;
    const s = g.pick(sets);
    return `${selectorFor(g, s.key, t.fam)} ${g.chance(0.2) ? '!= ' : ''}@${s.name}`;
  };
  return g.weighted<string>([
    [4, () => `ip ${g.pick(['saddr', 'daddr'])} ${g.pick(['', '', '!= '])}${valueOf(g, g.chance(0.02) ? ADDRS_BAD : ADDRS)}`],
    [2, () => `ip protocol ${g.pick(['', '!= '])}${valueOf(g, PROTOS)}`],
    [1, () => `ip ${g.pick(['ttl', 'length', 'id', 'dscp'])} ${g.pick(OPS)}${g.pick(['1', '64', '255', '0', '300', '1-10'])}`],
    [
      4,
      () =>
        `${g.pick(['tcp', 'udp', 'th'])} ${g.pick(['sport', 'dport'])} ${g.chance(0.2) ? `${g.pick(['', '!= '])}${anonSet(g, PORTS)}` : `${g.pick(OPS)}${g.pick(g.chance(0.02) ? PORTS_BAD : PORTS)}`}`,
    ],
    [
      2,
      () =>
        g.chance(0.5)
          ? `tcp flags ${g.pick(['', '!= '])}${g.pick(TCP_FLAGS)}`
          : `tcp flags & (syn | ack) == ${g.pick(['syn', 'ack', 'syn | ack'])}`,
    ],
    [
      2,
      () =>
        `icmp ${g.chance(0.7) ? `type ${g.pick(['', '!= '])}${g.pick(ICMP_TYPES)}` : `${g.pick(['code', 'id', 'sequence'])} ${g.pick(['0', '3', '1-5'])}`}`,
    ],
    [2, () => `meta l4proto ${g.pick(['', '!= '])}${valueOf(g, PROTOS)}`],
    [1, () => (t.fam === 'inet' ? `meta nfproto ${g.pick(['ipv4', 'ipv6'])}` : `meta l4proto udp`)],
    [
      3,
      () =>
        `${g.pick(['meta ', '', 'ct '])}mark ${g.chance(0.3) ? `& ${g.pick(MARKS)} ${g.pick(['== ', '!= ', ''])}` : g.pick(['', '!= '])}${g.pick(MARKS)}`,
    ],
    [2, () => `${g.pick(['', 'meta '])}${g.pick(['iifname', 'oifname'])} ${g.pick(['', '!= '])}${valueOf(g, IFNAMES)}`],
    [1, () => `${g.pick(['', 'meta '])}${g.pick(['iif', 'oif'])} ${g.pick(['"lo"', 'lo', '"nosuchif"'])}`],
    [1, () => `meta ${g.pick(['skuid', 'skgid'])} ${g.pick(['0', '1000', 'root', '1-100'])}`],
    [
      1,
      () =>
        g.pick([
          'meta nftrace 1',
          'meta pkttype host',
          'meta pkttype { broadcast, multicast }',
          'meta length 100-200',
          'meta length > 1000',
          'pkttype broadcast',
        ]),
    ],
    [3, () => `ct state ${g.pick(['', '!= ', '== '])}${g.pick(CT_STATES)}`],
    [1, () => `ct status ${g.pick(['', '!= '])}${g.pick(CT_STATUS)}`],
    [1, () => `ct ${g.pick(['direction original', 'direction reply', 'protocol tcp'])}`],
    [
      1,
      () =>
        g.chance(0.6)
          ? `ct ${g.pick(['original', 'reply'])} ip ${g.pick(['saddr', 'daddr'])} ${g.pick(['10.0.0.1', '10.0.0.0/8'])}`
          : `ct protocol tcp ct ${g.pick(['original', 'reply'])} ${g.pick(['proto-src', 'proto-dst'])} ${g.pick(['80', '53'])}`,
    ],
    [
      1,
      () =>
        `fib ${g.pick(['saddr', 'daddr'])} ${g.pick(['', '. iif '])}type ${g.pick(['local', 'unicast', '{ local, broadcast }', '!= local'])}`,
    ],
    [1, () => `fib saddr . ${g.pick(['mark . ', ''])}iif oif ${g.pick(['missing', 'exists', '0'])}`],
    [
      1,
      () => `numgen ${g.pick(['random', 'inc'])} mod ${g.pick(['2', '10', '0'])} ${g.pick(['', 'offset 1 '])}${g.pick(['0', '1', '< 5'])}`,
    ],
    [2, () => setRef() ?? `ip daddr ${anonSet(g, ADDRS)}`],
  ]);
}

function statement(g: G, t: TableInfo, chainType: string | null, hook: string | null): string {
  if (plain) return g.pick(['counter', 'log prefix "x "', 'meta mark set 0x1']);
  const nat = (t.fam === 'ip' || t.fam === 'inet') && (chainType === 'nat' || (chainType === null && g.chance(0.1)));
  const opts: (readonly [number, () => string])[] = [
    [4, () => `counter${g.chance(0.2) ? ' packets 1 bytes 2' : ''}`],
    [
      2,
      () =>
        `log${g.chance(0.6) ? ` prefix ${g.pick(['"drop: "', '"x"', '"a b"'])}` : ''}${g.chance(0.3) ? ` level ${g.pick(['warn', 'info', 'debug', 'crit'])}` : ''}${g.chance(0.2) ? ` flags ${g.pick(['all', 'tcp sequence', 'ip options'])}` : ''}`,
    ],
    [
      2,
      () =>
        `limit rate ${g.pick(['', 'over '])}${g.pick(['10/second', '5/minute burst 5 packets', '1/hour', '100 kbytes/second', '1 mbytes/second burst 10 kbytes', '10/day'])}`,
    ],
    [2, () => `meta mark set ${g.chance(0.3) ? 'meta mark | ' : ''}${g.pick(MARKS)}`],
    [1, () => `ct mark set ${g.pick(['meta mark', '0x1', 'ct mark & 0xff'])}`],
    [1, () => `meta nftrace set 1`],
    [1, () => `${g.pick(['meta', 'ct'])} mark set ip saddr map { 10.0.0.1 : ${g.pick(MARKS)}, 10.0.0.2 : ${g.pick(MARKS)} }`],
    [1, () => (hook === 'prerouting' || hook === 'output' || g.chance(0.2) ? 'notrack' : 'counter')],
  ];
  if (nat) {
    opts.push(
      [
        4,
        () =>
          `dnat ${t.fam === 'inet' ? 'ip ' : g.pick(['', 'ip '])}to ${g.pick(['10.0.0.2', '10.0.0.2:8080', '10.0.0.2-10.0.0.4', '10.0.0.9:80-90'])}`,
      ],
      [3, () => `snat ${t.fam === 'inet' ? 'ip ' : ''}to ${g.pick(['192.168.0.1', '192.168.0.1-192.168.0.5', '192.168.0.1:1024-2048'])}`],
      [
        3,
        () =>
          `masquerade${g.chance(0.3) ? ' to :1024-2000' : ''}${g.chance(0.4) ? ` ${g.pick(['random', 'fully-random', 'persistent', 'random,persistent'])}` : ''}`,
      ],
      [2, () => `redirect${g.chance(0.5) ? ` to :${g.pick(['8080', '15001'])}` : ''}`],
      [
        1,
        () => `dnat ${t.fam === 'inet' ? 'ip ' : ''}to ip daddr map { 10.0.0.1 : 10.0.0.9${g.chance(0.5) ? ', 10.0.0.2 : 10.0.0.8' : ''} }`,
      ],
    );
  }
  return g.weighted(opts);
}

function verdict(g: G, t: TableInfo, self: string): string {
  const others = [...t.chains.entries()].filter(([n, c]) => c.hook === null && n !== self).map(([n]) => n);
  if (plain) return others.length && g.chance(0.3) ? `jump ${g.pick(others)}` : g.pick(['accept', 'drop']);
  const vmaps = [...t.sets.values()].filter((s) => s.data === 'verdict');
  return g.weighted<string>([
    [5, () => g.pick(['accept', 'drop', 'return', 'continue'])],
    [
      2,
      () =>
        `reject${g.chance(0.5) ? ` with ${g.pick(['icmp type host-unreachable', 'icmp port-unreachable', 'icmpx type admin-prohibited', 'tcp reset', 'icmp type net-prohibited'])}` : ''}`,
    ],
    [3, () => `${g.pick(['jump', 'goto'])} ${others.length && g.chance(0.85) ? g.pick(others) : g.pick(CHAIN_NAMES)}`],
    [
      2,
      () =>
        vmaps.length && g.chance(0.6)
          ? `${selectorFor(g, g.pick(vmaps).key, t.fam)} vmap @${g.pick(vmaps).name}`
          : (([sel, a, b]) => `${sel} vmap { ${a} : accept, ${b} : ${others.length && g.chance(0.3) ? `jump ${others[0]}` : 'drop'} }`)(
              g.pick([
                ['tcp dport', '22', '80'],
                ['ip saddr', '10.0.0.1', '10.0.1.0/24'],
                ['meta mark', '0x1', '0x2'],
                ['iifname', '"eth0"', '"lo"'],
                ['ip daddr . tcp dport', '10.0.0.1 . 22', '10.0.0.2 . 80'],
              ]),
            ),
    ],
  ]);
}

function ruleBody(g: G, t: TableInfo, chain: string): string {
  const c = t.chains.get(chain);
  const parts: string[] = [];
  const simple = t.fam !== 'ip' && t.fam !== 'inet';
  const n = g.int(0, 3);
  let proto: string | null = null;
  for (let i = 0; i < n; i++) {
    const p = simple ? g.pick(['meta mark 0x1', 'meta mark != 42', 'iifname "eth0"', 'meta l4proto tcp']) : matchIp(g, t);
    // One transport protocol a rule (two conflict); another draw of that kind is left out.
    const tp = /(?:^| )(tcp|udp|icmp|th) /.exec(p)?.[1] ?? null;
    if (tp && proto && tp !== proto) continue;
    proto ??= tp;
    parts.push(p);
  }
  if (g.chance(0.6)) parts.push(statement(g, t, c?.type ?? null, c?.hook ?? null));
  const terminal = /^(dnat|snat|masquerade|redirect)/.test(parts[parts.length - 1] ?? '');
  if ((!terminal && g.chance(0.7)) || parts.length === 0)
    parts.push(simple ? g.pick(['accept', 'drop', 'counter', 'return']) : verdict(g, t, chain));
  if (g.chance(0.1)) parts.push(`comment ${g.pick(['"a rule"', '"x"', '"with: colon"'])}`);
  return parts.join(' ');
}

// ---- objects ----

const HOOKS: Record<Fam, string[]> = {
  ip: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  inet: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  ip6: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  arp: ['input', 'output'],
  bridge: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  netdev: [],
};

function priority(g: G, fam: Fam, hook: string, type: string): string {
  const names = fam === 'bridge' ? ['filter', 'out', 'dstnat', 'srcnat'] : ['raw', 'mangle', 'dstnat', 'filter', 'security', 'srcnat'];
  return g.weighted<string>([
    [3, () => String(type === 'nat' ? g.pick([-100, 100, 0, 50]) : g.pick([0, -300, -150, -100, 100, 10, -10, 50, 300, -1]))],
    [
      5,
      () => {
        const natName = hook === 'prerouting' ? 'dstnat' : hook === 'postrouting' ? 'srcnat' : 'filter';
        if (type === 'nat' && natName === 'filter') return String(g.pick([-100, 100, 0]));
        const name = plain || g.chance(0.85) ? (fam === 'bridge' ? 'filter' : natName) : g.pick(names);
        return `${name}${g.chance(0.4) ? ` ${g.pick(['+', '-'])} ${g.pick([1, 5, 10, 11, 100])}` : ''}`;
      },
    ],
  ]);
}

/** A chain specification `{ type ...; }` for a new chain (null: a regular chain). */
function chainSpec(g: G, t: TableInfo): { name: string; spec: string | null; hook: string | null; type: string | null } {
  const hooks = HOOKS[t.fam];
  const name = g.pick(CHAIN_NAMES);
  if (!hooks.length || g.chance(0.35)) return { name, spec: null, hook: null, type: null };
  const hook = g.pick(hooks);
  const types = t.fam === 'ip' || t.fam === 'inet' || t.fam === 'ip6' ? ['filter', 'filter', 'nat', 'route'] : ['filter'];
  let type = plain ? 'filter' : g.pick(types);
  if ((type === 'route' && hook !== 'output' && g.chance(0.9)) || (type === 'nat' && hook === 'forward' && g.chance(0.9))) type = 'filter';
  const pol = g.chance(0.5) ? ` policy ${g.pick(['accept', 'drop', 'accept', 'accept', 'drop', plain ? 'accept' : 'return'])};` : '';
  const cmt = g.chance(0.1) ? ` comment "chain ${name}";` : '';
  return { name, spec: `type ${type} hook ${hook} priority ${priority(g, t.fam, hook, type)};${pol}${cmt}`, hook, type };
}

function setSpec(g: G, t: TableInfo, isMap: boolean): { info: SetInfo; body: string[] } {
  const key = t.fam === 'ip' || t.fam === 'inet' ? g.pick(KEY_TYPES) : g.pick(['mark', 'ifname', 'inet_service']);
  const data = isMap ? g.pick(['verdict', 'verdict', 'mark', 'ipv4_addr']) : null;
  const flags: string[] = [];
  if (!key.includes(' . ') || g.chance(0.3)) if (g.chance(0.35)) flags.push('interval');
  if (g.chance(0.2)) flags.push('timeout');
  if (g.chance(0.1)) flags.push(g.pick(['constant', 'dynamic']));
  const info: SetInfo = { name: g.pick(SET_NAMES), key, data, flags };
  const TYPEOF: Record<string, string> = {
    ipv4_addr: 'ip saddr',
    inet_service: 'tcp dport',
    inet_proto: 'meta l4proto',
    mark: 'meta mark',
    ifname: 'iifname',
  };
  const DATA_TYPEOF: Record<string, string> = { mark: 'meta mark', ipv4_addr: 'ip daddr', verdict: 'verdict' };
  const body =
    (t.fam === 'ip' || t.fam === 'inet') && g.chance(0.2)
      ? [
          `typeof ${key
            .split(' . ')
            .map((k) => TYPEOF[k])
            .join(' . ')}${data ? ` : ${DATA_TYPEOF[data]}` : ''}`,
        ]
      : [`type ${key}${data ? ` : ${data}` : ''}`];
  if (flags.length) body.push(`flags ${flags.join(',')}`);
  if (g.chance(0.1)) body.push(`size ${g.pick(['65535', '10'])}`);
  if (flags.includes('timeout') && g.chance(0.5)) body.push(`timeout ${g.pick(['30s', '1m', '1h', '2d'])}`);
  if (g.chance(0.1)) body.push(`comment "set ${info.name}"`);
  if (g.chance(0.6)) body.push(`elements = ${elements(g, t, info)}`);
  return { info, body };
}

function elements(g: G, t: TableInfo, s: SetInfo): string {
  const n = g.int(1, 4);
  const out: string[] = [];
  const keys = new Set<string>();
  for (let i = 0; i < n; i++) {
    let e = s.flags.includes('interval') ? elementFor(g, s.key) : exactElement(g, s.key);
    if (keys.has(e)) continue;
    keys.add(e);
    if (s.flags.includes('timeout') && g.chance(0.3)) e += ` timeout ${g.pick(['10s', '1m', '1h'])}`;
    if (g.chance(0.15)) e += ` comment "e${i}"`;
    if (s.data === 'verdict') {
      const jumps = [...t.chains.entries()].filter(([, c]) => c.hook === null).map(([nm]) => nm);
      e += ` : ${jumps.length && g.chance(0.4) ? `${g.pick(['jump', 'goto'])} ${g.pick(jumps)}` : g.pick(['accept', 'drop', 'return'])}`;
    } else if (s.data === 'mark') e += ` : ${g.pick(MARKS)}`;
    else if (s.data === 'ipv4_addr') e += ` : ${g.pick(['10.0.0.5', '10.0.0.6'])}`;
    out.push(e);
  }
  return `{ ${out.join(', ')} }`;
}

// ---- transactions ----

/** One command of the command form (without the leading `nft`), and what it would leave in the model. */
function command(g: G, m: Model): string {
  const t0 = m.pickTable(g);
  const newTable = (): string => {
    const fam = g.pick(FAMS);
    const name = g.pick(TABLE_NAMES);
    m.table(fam, name);
    return `${g.pick(['add', 'add', 'create'])} table ${fam === 'ip' && g.chance(0.3) ? '' : `${fam} `}${name}${g.chance(0.1) ? ` { comment "tbl"; }` : ''}`;
  };
  if (!t0 || g.chance(0.08)) return newTable();
  const t = t0;
  const tn = `${t.fam} ${t.name}`;
  const chains = [...t.chains.keys()];
  const anyChain = () => (chains.length && g.chance(0.9) ? g.pick(chains) : g.pick(CHAIN_NAMES));
  return g.weighted<string>([
    [
      4,
      () => {
        const c = chainSpec(g, t);
        t.chains.set(c.name, { hook: c.hook, type: c.type });
        return `${g.pick(['add', 'add', 'create'])} chain ${tn} ${c.name}${c.spec ? ` { ${c.spec} }` : ''}`;
      },
    ],
    [
      10,
      () => {
        const c = anyChain();
        const pos = t.rules && g.chance(0.2) ? ` ${g.pick(['position', 'handle', 'index'])} ${g.int(0, t.rules + 3)}` : '';
        t.rules++;
        return `${g.pick(['add', 'add', 'add', 'insert'])} rule ${tn} ${c}${pos} ${ruleBody(g, t, c)}`;
      },
    ],
    [2, () => `replace rule ${tn} ${anyChain()} handle ${g.int(1, t.rules + 4)} ${ruleBody(g, t, anyChain())}`],
    [2, () => `delete rule ${tn} ${anyChain()} handle ${g.int(1, t.rules + 4)}`],
    [
      3,
      () => {
        const isMap = g.chance(0.4);
        const s = setSpec(g, t, isMap);
        t.sets.set(s.info.name, s.info);
        return `add ${isMap ? 'map' : 'set'} ${tn} ${s.info.name} { ${s.body.join('; ')}; }`;
      },
    ],
    [
      3,
      () => {
        const sets = [...t.sets.values()];
        if (!sets.length) return `add element ${tn} s { 10.0.0.1 }`;
        const s = g.pick(sets);
        return `${g.pick(['add', 'add', 'delete', 'create'])} element ${tn} ${s.name} ${elements(g, t, s)}`;
      },
    ],
    [1, () => `flush chain ${tn} ${anyChain()}`],
    [1, () => `flush ${g.pick(['set', 'map'])} ${tn} ${t.sets.size ? g.pick([...t.sets.keys()]) : 's'}`],
    [1, () => `flush table ${tn}`],
    [1, () => `delete chain ${tn} ${anyChain()}`],
    [1, () => `delete ${g.pick(['set', 'map'])} ${tn} ${t.sets.size ? g.pick([...t.sets.keys()]) : 's'}`],
    [0.2, () => `delete table ${tn}`],
    [0.1, () => `flush ruleset${g.chance(0.3) ? ` ${t.fam}` : ''}`],
    [
      1,
      () =>
        `list ${g.pick(['table', 'chain', 'set', 'map', 'tables'])} ${tn} ${g.pick([...chains, ...t.sets.keys(), 'nope'])}`.replace(
          /^list tables .*/,
          'list tables',
        ),
    ],
  ]);
}

/** A table in the nested block form, as `nft list ruleset` would print it (roughly). */
function tableBlock(g: G, m: Model, defines: string[]): string {
  const fam = g.pick(FAMS);
  const t = m.table(fam, g.pick(TABLE_NAMES));
  const lines: string[] = [`table ${fam} ${t.name} {`];
  if (g.chance(0.1)) lines.push(`\tcomment "table ${t.name}"`);
  const nSets = g.int(0, 2);
  for (let i = 0; i < nSets; i++) {
    const isMap = g.chance(0.4);
    const s = setSpec(g, t, isMap);
    if (lines.some((l) => l.endsWith(` ${s.info.name} {`))) continue;
    t.sets.set(s.info.name, s.info);
    lines.push(`\t${isMap ? 'map' : 'set'} ${s.info.name} {`, ...s.body.map((b) => `\t\t${b}`), '\t}');
  }
  const nChains = g.int(1, 3);
  const made: string[] = [];
  // Rules of a block jump only to chains of the same block (those surely exist once it applies).
  const before = t.chains;
  t.chains = new Map();
  for (let i = 0; i < nChains; i++) {
    const c = chainSpec(g, t);
    if (made.includes(c.name)) continue;
    t.chains.set(c.name, { hook: c.hook, type: c.type });
    made.push(c.name);
  }
  for (const name of made) {
    const c = t.chains.get(name)!;
    lines.push(`\tchain ${name} {`);
    if (c.hook) {
      // The spec was drawn for the model; draw a fresh one in the same hook for the text.
      const spec = chainSpec(g, t);
      lines.push(
        `\t\t${spec.hook === c.hook && spec.spec ? spec.spec : `type ${c.type} hook ${c.hook} priority ${priority(g, fam, c.hook, c.type ?? 'filter')};`}`,
      );
    }
    const n = g.int(0, 3);
    for (let i = 0; i < n; i++) {
      let r = ruleBody(g, t, name);
      if (defines.length && (fam === 'ip' || fam === 'inet') && g.chance(0.3)) r = `ip saddr $${g.pick(defines)} ${r}`;
      lines.push(`\t\t${r}`);
      t.rules++;
    }
    lines.push('\t}');
  }
  for (const [k, v] of before) if (!t.chains.has(k)) t.chains.set(k, v);
  lines.push('}');
  return lines.join('\n');
}

/** Breaks a valid text in one of the ways a user would: a typo, a missing or extra word, a bad value, a cut. */
function breakText(g: G, text: string): string {
  const words = text.split(' ');
  const i = g.int(0, words.length - 1);
  return g.weighted<string>([
    [
      3,
      () =>
        [
          ...words.slice(0, i),
          g.pick(['tpc', 'acept', 'dadr', 'chian', '{', '}', ';', '99999', '10.0.0.300', 'ip6', 'bogus']),
          ...words.slice(i + 1),
        ].join(' '),
    ],
    [2, () => [...words.slice(0, i), ...words.slice(i + 1)].join(' ')],
    [1, () => words.slice(0, Math.max(1, i)).join(' ')],
    [1, () => [...words.slice(0, i), g.pick(['counter', 'accept', 'ip', '"x"', '$undefined']), ...words.slice(i)].join(' ')],
  ]);
}

function txn(g: G, m: Model, first: boolean): Txn {
  const broken = !first && g.chance(0.25);
  return g.weighted<Txn>([
    [
      first ? 0 : 5,
      () => {
        const c = command(g, m);
        const line = broken ? breakText(g, c) : c;
        // nft joins its arguments with spaces: one quoted argument or many words read the same.
        const args = g.chance(0.5) ? [line] : line.split(' ').filter(Boolean);
        return { cmd: ['nft', ...(g.chance(0.1) ? ['-c'] : []), ...args].map(shellWord).join(' ') };
      },
    ],
    [
      first ? 0 : 3,
      () => {
        const n = g.int(2, 6);
        const lines: string[] = [];
        for (let i = 0; i < n; i++) {
          const c = command(g, m);
          // `add table` and `add chain` are idempotent: a file usually makes sure of what it uses.
          const obj = /^(?:add|insert|replace) (rule|element|set|map|chain) (\S+) (\S+) (\S+)/.exec(c);
          if (obj && g.chance(0.7)) {
            lines.push(`add table ${obj[2]} ${obj[3]}`);
            if (obj[1] === 'rule' && g.chance(0.7)) lines.push(`add chain ${obj[2]} ${obj[3]} ${obj[4]}`);
          }
          lines.push(c);
        }
        if (broken) {
          const k = g.int(0, lines.length - 1);
          lines[k] = breakText(g, lines[k]);
        }
        return { cmd: 'nft -f -', stdin: lines.join(g.chance(0.2) ? '; ' : '\n') + '\n' };
      },
    ],
    [
      3,
      () => {
        const defines = g.chance(0.3) ? ['SRC', 'NET'] : [];
        const head = defines.length ? `define SRC = ${g.pick(ADDRS)}\ndefine NET = { 10.0.0.0/8, 192.168.0.0/16 }\n` : '';
        const blocks: string[] = [];
        for (let i = g.int(1, 2); i > 0; i--) blocks.push(tableBlock(g, m, defines));
        let text = head + blocks.join('\n');
        if (broken) {
          const ls = text.split('\n');
          const k = g.int(0, ls.length - 1);
          ls[k] = breakText(g, ls[k]);
          text = ls.join('\n');
        }
        return { cmd: 'nft -f -', stdin: text + '\n' };
      },
    ],
  ]);
}

/** The listings asked after every transaction. */
export const LISTINGS = ['nft list ruleset', 'nft -a list ruleset'] as const;

export function generate(seed: number, budget: number): Episode[] {
  const g = new G(seed * 7919 + 17);
  const out: Episode[] = [];
  let left = budget;
  while (left > 0) {
    const n = Math.min(left, g.int(3, 10));
    const m = new Model();
    const txns: Txn[] = [];
    for (let i = 0; i < n; i++) {
      plain = i === 0;
      txns.push(txn(g, m, i === 0));
    }
    plain = false;
    out.push({ txns });
    left -= n;
  }
  return out;
}
