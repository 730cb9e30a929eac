/**
 * A topology after loading and validation: every reference resolved, every value
 * parsed. The lab builder consumes only this, never raw YAML. `pos` fields point
 * back into the file so later stages (iptables restore, routes) can still report
 * file:line:col.
 */
import type { SourcePos } from '../core/diagnostic.js';
import type { Micros } from '../core/time.js';
import type { Cidr, Ipv4 } from '../packet/ipv4.js';

export interface Topology {
  name: string;
  description: string;
  /** Absolute path of the file it came from (or '<inline>'). */
  file: string;
  /** Nodes in file order: each host's root namespace, then its namespaces in order. */
  nodes: NodeSpec[];
  links: LinkSpec[];
  /** `rule_updates:`: whose update cost is modelled, and whether changes wait for it (absent: nft, instant). */
  ruleUpdates?: RuleUpdateSpec;
}

export type IptablesBackendName = 'nft' | 'legacy';

export interface RuleUpdateSpec {
  backend: IptablesBackendName;
  /** instant: a rule change applies at once (its cost is only reported); modelled: it applies once its modelled kernel time has passed. */
  timing: 'instant' | 'modelled';
}

export interface NodeSpec {
  /** `HOST` or `HOST/NS`. */
  name: string;
  host: string;
  pos: SourcePos;
  interfaces: InterfaceSpec[];
  /** Route lines exactly as written (`ip route` syntax), parsed by the routing layer. */
  routes: Array<{ text: string; pos: SourcePos }>;
  ipRules: Array<{ text: string; pos: SourcePos }>;
  /** sysctl name → value as a string (`net.ipv4.ip_forward` → `1`). */
  sysctl: Map<string, { value: string; pos: SourcePos }>;
  /** iptables-restore text, with where its first line sits (for diagnostics: `pos` is the text's first character in `file`, so line N of the text is pos.line + N - 1 = N + lineOffset). */
  iptables: {
    text: string;
    pos: SourcePos;
    /** The file holding the text: the topology file, or the one `iptables: { file }` names. */
    file: string;
    /** Line N (1-based) of `text` is line N + lineOffset of `file`. */
    lineOffset: number;
    /** Column C of a text line is column C + colOffset of `file` (a block scalar's indentation); absent means 0. */
    colOffset?: number;
    /** `{ file, counters: true }`: the text's `[p:b]` counters are loaded (iptables-restore -c); otherwise every counter starts at zero. */
    counters?: boolean;
  } | null;
  /** `iptables ...` command lines, in order. */
  iptablesCmds: Array<{ text: string; pos: SourcePos }>;
  /** `nft -f` text, placed as `iptables` is; it loads after the iptables rules, as one transaction. */
  nftables?: NodeSpec['iptables'];
  listen: ListenSpec[];
  ipsets: IpsetSpec[];
  nfacct: string[];
  /** The host's `iptables_backend:` (its namespaces share the host's iptables binary); absent: the topology's. */
  iptablesBackend?: IptablesBackendName;
  /** Shared by every namespace of a host. */
  users: Map<string, number>;
  groups: Map<string, number>;
}

/**
 * A node with nothing configured yet: what the reader fills in from a host's or
 * namespace's body, and what hand-built topologies (tests, fakes) start from.
 * A namespace passes its host's user and group maps, which they share.
 */
export function emptyNodeSpec(
  name: string,
  host: string,
  pos: SourcePos,
  ids?: { users: Map<string, number>; groups: Map<string, number> },
): NodeSpec {
  return {
    name,
    host,
    pos,
    interfaces: [],
    routes: [],
    ipRules: [],
    sysctl: new Map(),
    iptables: null,
    iptablesCmds: [],
    listen: [],
    ipsets: [],
    nfacct: [],
    users: ids?.users ?? new Map<string, number>(),
    groups: ids?.groups ?? new Map<string, number>(),
  };
}

export type InterfaceKind = 'veth' | 'bridge' | 'dummy';

export interface InterfaceSpec {
  name: string;
  kind: InterfaceKind;
  /** Addresses with their prefix, in order; the first is primary. */
  addrs: Array<{ addr: Ipv4; cidr: Cidr }>;
  /** Bridge this interface is a port of. */
  master: string | null;
  /** For a bridge port: hairpin_mode (the bridge may send a frame back out of the port it came in on). Absent: off. */
  hairpin?: boolean;
  mtu: number;
  mac: string;
  pos: SourcePos;
}

export interface ListenSpec {
  proto: 'tcp' | 'udp';
  port: number;
  uid: number;
  /** Bind address; 0 (0.0.0.0) for any. */
  addr: Ipv4;
  app: 'echo' | 'sink' | 'proxy';
  /** The proxy's source address for upstream connections (Istio's 127.0.0.6). */
  source: Ipv4 | null;
  pos: SourcePos;
}

export interface IpsetSpec {
  name: string;
  type: 'hash:net' | 'hash:ip' | 'hash:ip,port' | 'hash:net,port' | 'bitmap:port';
  members: string[];
  pos: SourcePos;
}

export interface LinkEndpoint {
  node: string;
  iface: string;
}

export interface LinkSpec {
  a: LinkEndpoint;
  b: LinkEndpoint;
  latency: Micros;
  /** Bits per second; 0 for unlimited. */
  bandwidth: number;
  /** Loss probability 0..1. */
  loss: number;
  mtu: number;
  pos: SourcePos;
}
