/**
 * What the packet path needs from routing, netfilter and conntrack, in the
 * node's own terms. Adapters in src/lab/ bind these to the real modules, so the
 * packet path reads as the kernel's does and swapping an implementation (or a
 * test double) touches nothing here.
 */
import type { Ipv4 } from '../packet/ipv4.js';
import type { ConnView, Hook, NatKind, NatRange, NfEnv, StepSink, TableName, Verdict } from '../netfilter/types.js';
import type { NodeSkb } from './skb.js';

export type RouteKind = 'unicast' | 'local' | 'broadcast' | 'multicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw' | 'none';

export interface RouteDecision {
  kind: RouteKind;
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
}

export interface RoutingPort {
  lookup(key: RouteKey): RouteDecision;
  /** ADDRTYPE bits (src/netfilter/types.ts) of an address, optionally limited to one device. */
  addrType(addr: Ipv4, dev: string | null): number;
  /** Reverse-path validation (rp_filter): true when a packet from `src` may arrive on `iif`. */
  validateSource(src: Ipv4, dst: Ipv4, iif: string, mark: number, mode: number): boolean;
}

export interface NetfilterPort {
  hasTable(table: TableName): boolean;
  runTable(table: TableName, hook: Hook, skb: NodeSkb, env: NfEnv, onStep: StepSink | null): Verdict;
}

export type Manip = 'SRC' | 'DST';

export interface ConntrackPort {
  /** nf_conntrack_in: attach (or create) the entry and classify the packet. */
  inbound(skb: NodeSkb): void;
  /** nf_conntrack_confirm; false means drop. */
  confirm(skb: NodeSkb): boolean;
  natInitialized(ct: ConnView, manip: Manip): boolean;
  /** Identity mapping for a new connection that met no NAT rule (may still move the source port to avoid a clash). */
  natNullBinding(skb: NodeSkb, manip: Manip): void;
  /** Maps a new connection as a NAT target asked (`to` already resolved: MASQUERADE/REDIRECT addresses filled in). */
  natSetup(skb: NodeSkb, manip: Manip, range: NatRange, kind: NatKind): Verdict;
  /** Rewrites the packet for this hook's manip from its conntrack entry (ICMP errors included); false means drop. */
  natApply(skb: NodeSkb, hook: Hook): boolean;
  /** What SO_ORIGINAL_DST returns for an accepted connection. */
  originalDestination(proto: number, local: Ipv4, localPort: number, peer: Ipv4, peerPort: number): { addr: Ipv4; port: number } | null;
}

/** Read-only views of a namespace's state, for reports, the UI and the feed. */
export interface CtJson {
  proto: string;
  state?: string;
  mark: string;
  zone?: number;
  orig: Record<string, string | number>;
  reply: Record<string, string | number>;
  flags: string[];
  timeout: number;
}

export interface NodeViews {
  /** `iptables-save [-c] [-t T]` text, without its `#` comment lines. */
  save(counters: boolean, table?: string): string;
  /** Packet/byte counters of a rule (1-based) or of a built-in chain's policy (rule null). */
  counter(table: string, chain: string, rule: number | null): { packets: number; bytes: number } | { error: string };
  /** The rule as iptables-save prints it. */
  ruleText(table: string, chain: string, rule: number): string | null;
  conntrack(): CtJson[];
}
