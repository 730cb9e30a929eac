/**
 * A node while the file is being read: what the YAML said, with the nodes it
 * came from, before links have decided interface kinds and cross-checks have
 * run. Only load.ts turns drafts into the final model.
 */
import type { SourcePos } from '../core/diagnostic.js';
import type { Cidr, Ipv4 } from '../packet/ipv4.js';
import type { InterfaceKind, ListenSpec, NodeSpec } from './model.js';
import type { SysctlName } from './sysctl.js';
import type { YamlNode } from './yaml-src.js';

export interface AddrDraft {
  addr: Ipv4;
  cidr: Cidr;
  node: YamlNode;
}

export interface IfaceDraft {
  name: string;
  /** null until links decide: a link end becomes a veth, anything else a dummy. */
  kind: InterfaceKind | null;
  addrs: AddrDraft[];
  master: { name: string; node: YamlNode } | null;
  mtu: number | null;
  mac: string | null;
  /** `hairpin:` as written (a bridge port option), with where, for the check that it has a master. */
  hairpin?: { on: boolean; node: YamlNode };
  pos: SourcePos;
  /** Listed under `interfaces:` (false when a link end created it). */
  listed: boolean;
  /** Position of the link endpoint that uses it, once one does. */
  linkedAt: SourcePos | null;
}

export interface ListenDraft {
  spec: ListenSpec;
  uidName: { name: string; node: YamlNode } | null;
  addrNode: YamlNode | null;
  sourceNode: YamlNode | null;
}

export interface NodeDraft {
  spec: NodeSpec;
  ifaces: Map<string, IfaceDraft>;
  routeNodes: YamlNode[];
  sysctls: Array<{ name: SysctlName; keyNode: YamlNode }>;
  listens: ListenDraft[];
}
