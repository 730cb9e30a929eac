/**
 * What the packet path needs from routing, netfilter and conntrack, in the
 * node's own terms. Adapters in src/lab/ bind these to the real modules, so the
 * packet path reads as the kernel's does and swapping an implementation (or a
 * test double) touches nothing here.
 */
import type { Ipv4 } from '../packet/ipv4.js';
import type { Hook, NatKind, NatRange, NfEnv, StepSink, TableName, Verdict } from '../netfilter/types.js';
import type { NodeSkb } from './skb.js';
import type { PlainEntry } from '../netfilter/conntrack/format.js';

export type RouteKind = 'unicast' | 'local' | 'broadcast' | 'error';

export interface RouteDecision {
  kind: RouteKind;
  /** For errors: the errno a sender sees, why, and the ICMP unreachable code a router answers with (null: silent drop). */
  errno?: string;
  reason?: string;
  icmpCode?: number | null;
  dev: string | null;
  via: Ipv4 | null;
  /** Preferred source address. */
  src: Ipv4 | null;
  table: string;
  mtu: number | null;
}

export interface RouteKey {
  dst: Ipv4;
  src: Ipv4 | null;
  mark: number;
  iif: string | null;
  oif: string | null;
  tos: number;
  /** FLOWI_FLAG_ANYSRC: `src` need not be local, but still selects policy rules. */
  anySrc?: boolean;
}

export interface RoutingPort {
  lookup(key: RouteKey): RouteDecision;
  /** ADDRTYPE bits (src/netfilter/types.ts) of an address, optionally limited to one device. */
  addrType(addr: Ipv4, dev: string | null): number;
  /** inet_select_addr at universe scope: the address MASQUERADE takes on `dev` towards `near`; 0 when there is none. */
  masqueradeAddress(dev: string, near: Ipv4): Ipv4;
  /**
   * arp_solicit's sender address (arp_announce 0): the waiting packet's source when it is local to the
   * namespace (any device, 127.0.0.0/8 included), else inet_select_addr at link scope; 0 when there is none.
   */
  arpSource(dev: string, target: Ipv4, packetSrc: Ipv4 | null): Ipv4;
  /** Reverse-path validation as `-m rpfilter` asks it: true when a packet from `src` may arrive on `iif`. */
  validateSource(src: Ipv4, dst: Ipv4, iif: string, mark: number, loose: boolean): boolean;
}

export interface NetfilterPort {
  hasTable(table: TableName): boolean;
  /** Whether this namespace tracks connections at all (the kernel does only when some rule or the nat table needs it). */
  needsConntrack(): boolean;
  /** Call after the rules changed. */
  rulesChanged(): void;
  /** When iptables-nft registered built-in chain `chain` of `table` (see `nextRegistration`); 0 while it has not. */
  chainMadeAt(table: TableName, chain: string): number;
  runTable(table: TableName, hook: Hook, skb: NodeSkb, env: NfEnv, onStep: StepSink | null): Verdict;
}

export type Manip = 'SRC' | 'DST';

export interface ConntrackPort {
  /** nf_conntrack_in: attach (or create) the entry and classify the packet. */
  inbound(skb: NodeSkb): void;
  /** nf_conntrack_confirm; false means drop. */
  confirm(skb: NodeSkb): boolean;
  /** Packets confirm dropped on a clash so far (the kernel's `insert_failed`), e.g. when NAT found no free port. */
  readonly insertFailed: number;
  /**
   * The nat stage of a hook (nf_nat_inet_fn): a new connection walks the nat
   * chain (`runRules`) once per manipulation, gets an identity binding when no
   * rule bound it, and the packet is rewritten from its entry.
   */
  natHook(skb: NodeSkb, hook: Hook, runRules: () => Verdict): Verdict;
  /** Maps a new connection as a NAT target asked (MASQUERADE/REDIRECT addresses already resolved into `range`). */
  natSetup(skb: NodeSkb, manip: Manip, range: NatRange, kind: NatKind): Verdict;
  /** REJECT's reset was made for this packet: its connection, if confirmed TCP, is closing (nf_ct_set_closing). */
  setClosing(skb: NodeSkb): void;
  /** What SO_ORIGINAL_DST returns for an accepted connection. */
  originalDestination(proto: number, local: Ipv4, localPort: number, peer: Ipv4, peerPort: number): { addr: Ipv4; port: number } | null;
}

/** A conntrack entry as reports show it (the `conntrack` field of `nflab run --json`): conntrack's own plain form. */
export type CtJson = PlainEntry;

/** Read-only views of a namespace's state, for reports, the UI and the feed. */
export interface NodeViews {
  /** `iptables-save [-c] [-t T]` text, without its `#` comment lines. */
  save(counters: boolean, table?: string): string;
  /** Packet/byte counters of a rule (1-based) or of a built-in chain's policy (rule null). */
  counter(table: string, chain: string, rule: number | null): { packets: number; bytes: number } | { error: string };
  /** The rule as iptables-save prints it. */
  ruleText(table: string, chain: string, rule: number): string | null;
  conntrack(): CtJson[];
}
