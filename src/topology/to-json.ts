/**
 * The topology as plain JSON for the websocket feed's `hello` and other
 * viewers. Key order is fixed by construction, so equal topologies serialise
 * to equal strings; addresses are dotted strings, not the model's integers.
 */
import { formatIpv4 } from '../packet/ipv4.js';
import type { LinkSpec, NodeSpec, Topology } from './model.js';

export interface TopologyJson {
  name: string;
  description: string;
  nodes: NodeJson[];
  links: LinkJson[];
}

export interface NodeJson {
  name: string;
  host: string;
  /** Every device, `lo` first (with its implicit 127.0.0.1/8), then in file order. */
  interfaces: Array<{ name: string; kind: string; addrs: string[]; master: string | null; mtu: number; mac: string }>;
  routes: string[];
  listen: Array<{ socket: string; addr: string; uid: number; app: string }>;
}

export interface LinkJson {
  a: string;
  b: string;
  latency_us: number;
  bandwidth_bps: number;
  loss: number;
  mtu: number;
}

export function topologyToJson(t: Topology): TopologyJson {
  return { name: t.name, description: t.description, nodes: t.nodes.map(nodeJson), links: t.links.map(linkJson) };
}

function nodeJson(n: NodeSpec): NodeJson {
  const lo = n.interfaces.find((i) => i.name === 'lo');
  const loAddrs = ['127.0.0.1/8', ...(lo?.addrs ?? []).map((a) => `${formatIpv4(a.addr)}/${a.cidr.len}`)];
  const interfaces: NodeJson['interfaces'] = [
    { name: 'lo', kind: 'loopback', addrs: loAddrs, master: null, mtu: lo?.mtu ?? 65536, mac: '00:00:00:00:00:00' },
  ];
  for (const i of n.interfaces) {
    if (i.name === 'lo') continue;
    interfaces.push({
      name: i.name,
      kind: i.kind,
      addrs: i.addrs.map((a) => `${formatIpv4(a.addr)}/${a.cidr.len}`),
      master: i.master,
      mtu: i.mtu,
      mac: i.mac,
    });
  }
  return {
    name: n.name,
    host: n.host,
    interfaces,
    routes: n.routes.map((r) => r.text),
    listen: n.listen.map((l) => ({ socket: `${l.proto}:${l.port}`, addr: formatIpv4(l.addr), uid: l.uid, app: l.app })),
  };
}

function linkJson(l: LinkSpec): LinkJson {
  return {
    a: `${l.a.node}:${l.a.iface}`,
    b: `${l.b.node}:${l.b.iface}`,
    latency_us: l.latency,
    bandwidth_bps: l.bandwidth,
    loss: l.loss,
    mtu: l.mtu,
  };
}
