/**
 * The topology pane's content: hosts, their namespaces, interfaces with
 * addresses, what each interface is cabled to, and the sockets listening.
 * Each node's header line is selectable.
 */
import type { NodeSummary } from '../session/session.js';
import type { ListenSpec } from '../topology/model.js';
import { formatIpv4 } from '../packet/ipv4.js';
import type { Line } from './style.js';

export interface TopologyView {
  lines: Line[];
  /** Line index of each node's header, in node order. */
  nodeLine: Map<string, number>;
  nodes: string[];
}

export function listenText(l: ListenSpec): string {
  const addr = l.addr ? `${formatIpv4(l.addr)}:` : '';
  const uid = l.uid ? ` uid ${l.uid}` : '';
  return `${l.proto}:${addr}${l.port} ${l.app}${uid}`;
}

export function topologyView(nodes: NodeSummary[], listen: Map<string, ListenSpec[]>): TopologyView {
  const lines: Line[] = [];
  const nodeLine = new Map<string, number>();
  for (const n of nodes) {
    const slash = n.name.indexOf('/');
    const indent = slash < 0 ? '' : '  ';
    nodeLine.set(n.name, lines.length);
    lines.push({ text: slash < 0 ? n.name : `${indent}${n.name.slice(slash + 1)} (netns of ${n.name.slice(0, slash)})`, tone: 'head' });
    for (const d of n.interfaces) {
      if (d.name === 'lo') continue;
      const kind = d.kind === 'veth' ? '' : ` ${d.kind}`;
      const master = d.master ? ` @${d.master}` : '';
      const addrs = d.addrs.length ? ` ${d.addrs.join(' ')}` : '';
      const peer = d.peer ? ` -- ${d.peer}` : '';
      lines.push({ text: `${indent}  ${d.name}${kind}${master}${addrs}${peer}` });
    }
    for (const l of listen.get(n.name) ?? []) lines.push({ text: `${indent}  listen ${listenText(l)}`, tone: 'dim' });
  }
  return { lines, nodeLine, nodes: nodes.map((n) => n.name) };
}
