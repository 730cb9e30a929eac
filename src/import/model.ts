/** What an import builds before it is written out as a topology: one ImportNode per captured namespace. */
import type { Bundle, NsCapture, Warning } from './bundle.js';

export interface ImportIface {
  name: string;
  ifindex: number;
  /** What nflab makes of it: a link end (veth), a bridge, or a dummy; `phys` is a NIC that may yet be joined to a LAN. */
  kind: 'veth' | 'bridge' | 'dummy' | 'phys';
  /** The kernel's kind (info_kind), or 'device' for a NIC with none. */
  kernelKind: string;
  addrs: string[];
  master: string | null;
  mac: string | null;
  mtu: number | null;
  /** For a kernel veth: the peer's ifindex, netns id (null: same namespace) or name. */
  peer: { index: number | null; nsid: number | null; name: string | null } | null;
  linked: boolean;
  comment: string | null;
}

/** A line (route, rule) with where it came from, so that a line nflab refuses can be dropped with a warning naming it. */
export interface SourcedLine {
  text: string;
  line: number;
  section: string;
}

export interface ImportListen {
  proto: 'tcp' | 'udp';
  port: number;
  addr: string;
  uid: number;
  app: 'echo' | 'sink' | 'proxy';
  source: string | null;
  line: number;
}

export interface ImportIpset {
  name: string;
  type: string;
  members: string[];
}

export interface ImportNode {
  /** Final node name: `HOST` or `HOST/NS`. */
  name: string;
  host: string;
  bundle: Bundle;
  ns: NsCapture;
  isRoot: boolean;
  ifaces: ImportIface[];
  routes: SourcedLine[];
  rules: SourcedLine[];
  sysctl: Array<[string, string]>;
  iptables: { text: string; line: number } | null;
  backend: 'legacy' | null;
  ipsets: ImportIpset[];
  listen: ImportListen[];
  /** ids used by owner matches and listeners, to name in `users`/`groups`. */
  uids: Set<number>;
  gids: Set<number>;
  /** iptables-legacy rules found beside iptables-nft ones: kept in a file, not loaded. */
  legacyRules: string | null;
  /** `nft list ruleset` tables that iptables-nft did not make. */
  nftNative: string | null;
  /** True once nflab refused the native tables: the file stays beside the topology, not loaded. */
  nftRefused?: boolean;
  /** Comment lines for the node in the written file. */
  notes: string[];
}

export interface ImportContext {
  warn: (w: Warning) => void;
  /** What was approximated or left out, for the summary. */
  approximated: string[];
  /** ::1 and link-local IPv6 addresses left out (every interface has them; counted in the summary, not warned about one by one). */
  automaticV6: number;
}
