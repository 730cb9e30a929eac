/**
 * The contract between the rule engine (matches, targets, chain walks) and the
 * namespace that runs it. Matches and targets see a packet through `Skb` and reach
 * namespace services (addresses, NAT, REJECT replies, logging, the clock) only
 * through `NfEnv`, so netfilter never imports the node layer.
 *
 *                 PREROUTING            FORWARD            POSTROUTING
 *   in  ──▶ raw ▸ ct ▸ mangle ▸ nat ──▶ route ──▶ mangle ▸ filter ▸ security ──▶ mangle ▸ nat ▸ confirm ──▶ out
 *                                          │                                     ▲
 *                                          ▼ INPUT                               │ OUTPUT
 *                                 mangle ▸ filter ▸ security ▸ nat       raw ▸ ct ▸ mangle ▸ nat ▸ route ▸ filter ▸ security
 *                                          │ ▸ confirm                            ▲
 *                                          ▼                                      │
 *                                     local socket ─────────────────────────▶ local process
 */
import type { Micros } from '../core/time.js';
import type { Rng } from '../core/rng.js';
import type { Ipv4 } from '../packet/ipv4.js';
import type { Packet } from '../packet/packet.js';

export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';
export const HOOKS: readonly Hook[] = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];

export type TableName = 'raw' | 'mangle' | 'nat' | 'filter' | 'security';
export const TABLES: readonly TableName[] = ['raw', 'mangle', 'nat', 'filter', 'security'];

/** Conntrack status bits, with the kernel's values (IPS_*), as `--ctstatus` and the trace see them. */
export const IPS_EXPECTED = 1 << 0;
export const IPS_SEEN_REPLY = 1 << 1;
export const IPS_ASSURED = 1 << 2;
export const IPS_CONFIRMED = 1 << 3;
export const IPS_SRC_NAT = 1 << 4;
export const IPS_DST_NAT = 1 << 5;
export const IPS_SEQ_ADJUST = 1 << 6;
export const IPS_SRC_NAT_DONE = 1 << 7;
export const IPS_DST_NAT_DONE = 1 << 8;
export const IPS_DYING = 1 << 9;
export const IPS_FIXED_TIMEOUT = 1 << 10;
export const IPS_TEMPLATE = 1 << 11;
export const IPS_UNTRACKED = 1 << 12;

/** One direction of a connection. For ICMP, `sport` holds the echo id and `dport` is `type << 8 | code`. */
export interface CtTuple {
  src: Ipv4;
  dst: Ipv4;
  proto: number;
  sport: number;
  dport: number;
}

/** What matches and targets may read (and, for mark, write) of a conntrack entry. */
export interface ConnView {
  readonly orig: CtTuple;
  readonly reply: CtTuple;
  status: number;
  mark: number;
  readonly zone: number;
  /** Seconds left before the entry expires, as `--ctexpire` and `conntrack -L` show. */
  expiresInSeconds(): number;
  /** Per-protocol state name as `conntrack -L` prints it (`ESTABLISHED`, `TIME_WAIT`, ...), or '' for protocols without one. */
  protoStateName(): string;
}

export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED';

export type PktType = 'unicast' | 'broadcast' | 'multicast';

/** The sending socket of a locally generated packet, as `-m owner` sees it. */
export interface SocketOwner {
  uid: number;
  gid: number;
  /** Supplementary groups, for `--suppl-groups`. */
  groups: readonly number[];
}

/**
 * A packet on its way through one namespace (the kernel's sk_buff): the packet,
 * and what the stack knows about it. Targets may rewrite `pkt` fields and `mark`.
 */
export interface Skb {
  pkt: Packet;
  mark: number;
  inIf: string | null;
  outIf: string | null;
  /** Bridge ports, when the packet is being bridged (physdev). */
  physIn: string | null;
  physOut: string | null;
  bridged: boolean;
  /** Source MAC of the frame that brought it, `aa:bb:cc:dd:ee:ff`; null for local packets. */
  srcMac: string | null;
  pktType: PktType;
  socket: SocketOwner | null;
  ct: ConnView | null;
  ctState: CtState;
  /** True when this packet travels in the connection's reply direction. */
  ctReply: boolean;
  /** Set by `-j TRACE`: record this packet's trace from now on. */
  traced: boolean;
}

/** Address types for `-m addrtype`, with the kernel's bit values (1 << RTN_*). */
export const ADDRTYPE = {
  UNSPEC: 1 << 0,
  UNICAST: 1 << 1,
  LOCAL: 1 << 2,
  BROADCAST: 1 << 3,
  ANYCAST: 1 << 4,
  MULTICAST: 1 << 5,
  BLACKHOLE: 1 << 6,
  UNREACHABLE: 1 << 7,
  PROHIBIT: 1 << 8,
  THROW: 1 << 9,
  NAT: 1 << 10,
  XRESOLVE: 1 << 11,
} as const;

/** A NAT mapping request, as the kernel's nf_nat_range2. */
export interface NatRange {
  /** False when no address was given (`--to-ports` only, MASQUERADE, REDIRECT). */
  mapIps: boolean;
  minIp: Ipv4;
  maxIp: Ipv4;
  /** False when no port range was given. */
  protoSpecified: boolean;
  minPort: number;
  maxPort: number;
  random: boolean;
  randomFully: boolean;
  persistent: boolean;
}

export type NatKind = 'SNAT' | 'DNAT' | 'MASQUERADE' | 'REDIRECT' | 'NETMAP';

export type RejectWith =
  | 'icmp-net-unreachable'
  | 'icmp-host-unreachable'
  | 'icmp-port-unreachable'
  | 'icmp-proto-unreachable'
  | 'icmp-net-prohibited'
  | 'icmp-host-prohibited'
  | 'icmp-admin-prohibited'
  | 'tcp-reset';

/** Terminal outcome of a target or a chain walk. */
export type Verdict = 'ACCEPT' | 'DROP' | 'QUEUE' | 'STOLEN';

/** Services of the namespace that matches and targets may use. */
export interface NfEnv {
  readonly hook: Hook;
  readonly table: TableName;
  now(): Micros;
  readonly rng: Rng;
  /** ADDRTYPE bits of `addr` in this namespace; `dev` limits the lookup to one interface (`--limit-iface-*`). */
  addrType(addr: Ipv4, dev: string | null): number;
  /** MTU of the route towards the packet's destination (TCPMSS --clamp-mss-to-pmtu). */
  pathMtu(skb: Skb): number;
  /** Reverse-path check for `-m rpfilter`. */
  rpfilter(skb: Skb, opts: { loose: boolean; validMark: boolean; acceptLocal: boolean }): boolean;
  /** Sets up NAT for the packet's (new) connection; returns DROP when no free tuple exists. */
  nat(skb: Skb, kind: NatKind, range: NatRange): Verdict;
  /** TPROXY: finds a listening socket on ip:port; when found, marks the packet and returns ACCEPT. */
  tproxy(skb: Skb, opts: { ip: Ipv4; port: number; mark: number; mask: number }): Verdict;
  /** Sends the REJECT reply for the packet (ICMP error or TCP RST). The caller then drops it. */
  reject(skb: Skb, how: RejectWith): void;
  /** Attaches a conntrack template to a not-yet-tracked packet (raw table: CT, NOTRACK). */
  ctTemplate(
    skb: Skb,
    opts: { notrack?: boolean; zone?: number; helper?: string; ctevents?: string[]; expevents?: string[]; timeout?: string },
  ): void;
  /** Writes a kernel-format log line (LOG, NFLOG) into the lab's log. */
  log(line: string): void;
  ipset(name: string): IpSetView | undefined;
  /** `-m nfacct`: adds the packet to a named accounting object. */
  nfacct(name: string, bytes: number): void;
}

export interface IpSetView {
  readonly type: string;
  /** Membership for `--match-set NAME src,dst`: `dims` lists, per set dimension, whether it reads the source. */
  test(skb: Skb, dims: readonly boolean[]): boolean;
}

/** One traced rule step (or policy step), before the pipeline adds node, hook and packet. */
export interface RuleStep {
  table: TableName;
  chain: string;
  /** 1-based position in its chain; null for a policy step or an implicit return. */
  rule: number | null;
  /** `ACCEPT`, `DROP`, `CONTINUE`, `RETURN`, `JUMP:X`, `GOTO:X`, `QUEUE`. */
  verdict: string;
  /** The `-j` target when it differs from the verdict (DNAT, MARK, LOG, ...). */
  target?: string;
  /** The rule as iptables-save prints it; computed only when tracing. */
  ruleText?: string;
  policy?: boolean;
  /** True for the step that records falling off the end of a user-defined chain. */
  implicitReturn?: boolean;
}

export type StepSink = (step: RuleStep) => void;
