/**
 * The topology as a graph a viewer can draw without knowing nflab's YAML:
 * nodes with their interfaces, and links between `node:iface` endpoints.
 * Built once per hello, from the validated model (never the raw file).
 */
import { formatIpv4 } from '../packet/ipv4.js';
import type { Topology } from '../topology/model.js';

export interface FeedGraph {
  name: string;
  nodes: Array<{
    name: string;
    host: string;
    interfaces: Array<{ name: string; kind: string; addrs: string[]; master: string | null }>;
    listen: string[];
  }>;
  links: Array<{ a: string; b: string; latency_us: number }>;
}

export function topologyGraph(t: Topology): FeedGraph {
  return {
    name: t.name,
    nodes: t.nodes.map((n) => ({
      name: n.name,
      host: n.host,
      interfaces: n.interfaces.map((i) => ({
        name: i.name,
        kind: i.kind,
        addrs: i.addrs.map((a) => `${formatIpv4(a.addr)}/${a.cidr.len}`),
        master: i.master,
      })),
      listen: n.listen.map((l) => `${l.proto}:${l.port}`),
    })),
    links: t.links.map((l) => ({ a: `${l.a.node}:${l.a.iface}`, b: `${l.b.node}:${l.b.iface}`, latency_us: l.latency })),
  };
}

/** The node part of a `node:iface` endpoint label (node names never contain `:`). */
export function endpointNode(label: string): string {
  const i = label.lastIndexOf(':');
  return i < 0 ? label : label.slice(0, i);
}
