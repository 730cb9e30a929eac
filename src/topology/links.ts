/**
 * Reading `links:`. Each endpoint must name an existing node; an interface that
 * node does not list is created as the link's end (a veth), per the file format.
 */
import { isMap } from 'yaml';
import { didYouMean, type SourcePos } from '../core/diagnostic.js';
import type { NodeDraft } from './draft.js';
import type { LinkEndpoint, LinkSpec } from './model.js';
import { checkIfaceName, DEFAULT_LATENCY_US, parseBandwidth, parseLatency, parseLoss, parseMtu } from './values.js';
import { describe, entries, items, scalar, type YamlNode, type YamlSrc } from './yaml-src.js';

const LINK_KEYS = ['endpoints', 'latency', 'bandwidth', 'loss', 'mtu'];

/** A link as read; `mtu` is null when the file leaves it to the interfaces. */
export interface LinkDraft {
  spec: LinkSpec;
  mtu: number | null;
}

export function readLinks(src: YamlSrc, node: YamlNode | null, nodes: Map<string, NodeDraft>): LinkDraft[] {
  const out: LinkDraft[] = [];
  for (const item of items(src, node, '`links`') ?? []) {
    const spec: LinkSpec = {
      a: { node: '', iface: '' },
      b: { node: '', iface: '' },
      latency: DEFAULT_LATENCY_US,
      bandwidth: 0,
      loss: 0,
      mtu: 0,
      pos: src.pos(item),
    };
    const draft: LinkDraft = { spec, mtu: null };
    let endsNode: YamlNode | null = item;
    let ok = true;
    if (isMap(item)) {
      const es = entries(src, item, 'a link', LINK_KEYS) ?? [];
      const ends = es.find((e) => e.key === 'endpoints');
      if (!ends) {
        src.error(item, 'a link needs `endpoints: [NODE:IF, NODE:IF]`');
        ok = false;
      }
      endsNode = ends?.value ?? null;
      for (const e of es) {
        if (e.key === 'endpoints') continue;
        const v = scalar(e.value);
        const r =
          e.key === 'latency' ? parseLatency(v) : e.key === 'bandwidth' ? parseBandwidth(v) : e.key === 'loss' ? parseLoss(v) : parseMtu(v);
        if (!r.ok) {
          src.error(e.value, `link ${e.key}: ${r.message}`);
          ok = false;
        } else if (e.key === 'latency') spec.latency = r.value;
        else if (e.key === 'bandwidth') spec.bandwidth = r.value;
        else if (e.key === 'loss') spec.loss = r.value;
        else draft.mtu = r.value;
      }
      if (!ends) continue;
    }
    const ends = items(src, endsNode, 'link endpoints');
    if (!ends) continue;
    if (ends.length !== 2) {
      src.error(endsNode, `a link has exactly two endpoints, not ${ends.length}`);
      continue;
    }
    const a = endpoint(src, ends[0], nodes);
    const b = endpoint(src, ends[1], nodes);
    if (!a || !b || !ok) continue;
    if (a.node === b.node && a.iface === b.iface) {
      src.error(ends[1], `both ends of this link are ${a.node}:${a.iface}`);
      continue;
    }
    if (!attach(src, ends[0], a, nodes) || !attach(src, ends[1], b, nodes)) continue;
    spec.a = a;
    spec.b = b;
    out.push(draft);
  }
  return out;
}

function endpoint(src: YamlSrc, n: YamlNode, nodes: Map<string, NodeDraft>): LinkEndpoint | null {
  const v = scalar(n);
  const text = typeof v === 'string' ? v.trim() : '';
  const colon = text.lastIndexOf(':');
  if (colon <= 0 || colon === text.length - 1) {
    src.error(n, `a link endpoint is NODE:INTERFACE such as client:eth0 or docker-host/web:eth0, not ${describe(n)}`);
    return null;
  }
  const node = text.slice(0, colon);
  const iface = text.slice(colon + 1);
  if (!nodes.has(node)) {
    src.error(n, `link endpoint ${text}: no node "${node}"${didYouMean(node, nodes.keys())}; nodes are ${[...nodes.keys()].join(', ')}`);
    return null;
  }
  const bad = checkIfaceName(iface);
  if (bad) {
    src.error(n, `link endpoint ${text}: ${bad}`);
    return null;
  }
  return { node, iface };
}

/** Marks the interface as this link's end, creating it when the node does not list it. */
function attach(src: YamlSrc, n: YamlNode, e: LinkEndpoint, nodes: Map<string, NodeDraft>): boolean {
  const d = nodes.get(e.node)!;
  const pos: SourcePos = src.pos(n);
  let i = d.ifaces.get(e.iface);
  if (e.iface === 'lo') {
    src.error(n, `link endpoint ${e.node}:lo: the loopback device cannot be a link end`);
    return false;
  }
  if (i && i.linkedAt) {
    src.error(
      n,
      `interface ${e.node}:${e.iface} is already the end of the link at line ${i.linkedAt.line}; an interface can be on one link only`,
    );
    return false;
  }
  if (i && (i.kind === 'bridge' || i.kind === 'dummy')) {
    src.error(
      n,
      `interface ${e.node}:${e.iface} is a ${i.kind}; a link end is one side of a veth pair (add a veth port with \`master: ${e.iface}\` to connect a bridge)`,
    );
    return false;
  }
  if (!i) {
    i = { name: e.iface, kind: 'veth', addrs: [], master: null, mtu: null, mac: null, pos, listed: false, linkedAt: null };
    d.ifaces.set(e.iface, i);
  }
  i.kind = 'veth';
  i.linkedAt = pos;
  return true;
}
