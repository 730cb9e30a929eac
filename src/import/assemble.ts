/**
 * From bundles to one lab: node names, veth pairs (peer index + netns id),
 * and LANs (interfaces of different hosts on one subnet joined by a bridge).
 */
import { nsLabel, type Bundle, type NsCapture } from './bundle.js';
import type { ImportContext, ImportIface, ImportNode } from './model.js';
import { readInterfaces, readRoutes, readSysctls } from './net.js';
import { readNetfilter } from './netfilter.js';
import { readSockets } from './sockets.js';

export interface ImportLink {
  a: { node: string; iface: string };
  b: { node: string; iface: string };
}

export interface ImportLab {
  nodes: ImportNode[];
  links: ImportLink[];
  /** Bridge hosts the import made to join LANs: host name → its subnet. */
  lans: Map<string, string>;
}

export function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[-.]+/, '') || 'host';
}

function stripPrefix(name: string, prefix: string | undefined): string {
  if (!prefix || !name.startsWith(prefix) || name.length === prefix.length) return name;
  const rest = name.slice(prefix.length).replace(/^[-_.]/, '');
  return rest || name;
}

function nsShortName(ns: NsCapture, prefix: string | undefined): string {
  if (ns.kind === 'pid') return `pid-${ns.arg}`;
  return safeName(stripPrefix(ns.arg, prefix));
}

export function assemble(bundles: Bundle[], prefix: string | undefined, ctx: ImportContext): ImportLab {
  const nodes: ImportNode[] = [];
  const taken = new Set<string>();
  const unique = (want: string, b: Bundle, ns: NsCapture): string => {
    let name = want;
    for (let k = 2; taken.has(name) || taken.has(name.replace('/', '-')); k++) name = `${want}-${k}`;
    if (name !== want)
      ctx.warn({
        file: b.file,
        line: ns.line,
        ns: nsLabel(ns),
        message: `the name ${want} is already taken in this lab; the node is called ${name}`,
      });
    taken.add(name);
    return name;
  };
  for (const b of bundles) {
    const hasRoot = b.namespaces.some((n) => n.kind === 'root');
    const host = safeName(b.host);
    let rootName = host;
    for (const ns of b.namespaces) {
      let name: string;
      if (ns.kind === 'root') name = rootName = unique(host, b, ns);
      else if (hasRoot) name = unique(`${rootName}/${nsShortName(ns, prefix)}`, b, ns);
      else name = unique(nsShortName(ns, prefix), b, ns);
      const node: ImportNode = {
        name,
        host: name.split('/')[0],
        bundle: b,
        ns,
        isRoot: !name.includes('/'),
        ifaces: [],
        routes: [],
        rules: [],
        sysctl: [],
        iptables: null,
        backend: null,
        ipsets: [],
        listen: [],
        uids: new Set(),
        gids: new Set(),
        legacyRules: null,
        nftNative: null,
        notes: [],
      };
      readInterfaces(b, ns, node, ctx);
      readRoutes(b, ns, node, ctx);
      readSysctls(b, ns, node, ctx);
      readNetfilter(b, ns, node, ctx);
      readSockets(b, ns, node, ctx);
      nodes.push(node);
    }
  }
  const links = pairVeths(nodes, ctx);
  const lans = joinLans(nodes, links, ctx);
  for (const n of nodes) {
    for (const i of n.ifaces) {
      if (i.linked || i.name === 'lo') continue;
      if (i.kind === 'veth') {
        i.comment = `veth whose peer (ifindex ${i.peer?.index ?? '?'}${i.peer?.nsid !== null && i.peer?.nsid !== undefined ? `, netns id ${i.peer.nsid}` : ''}) is not in the bundle: imported as a dummy`;
        ctx.warn({
          file: n.bundle.file,
          line: n.ns.sections.get('link')?.line,
          ns: nsLabel(n.ns),
          section: 'link',
          message: `${i.name}: ${i.comment}`,
        });
        ctx.approximated.push(`${n.name}:${i.name} (veth without its peer → dummy)`);
      } else if (i.kind === 'phys') {
        i.comment = 'a network device with nothing on its other end in these bundles: imported as a dummy';
        ctx.approximated.push(`${n.name}:${i.name} (network device → dummy)`);
      }
      if (i.kind !== 'bridge') i.kind = 'dummy';
    }
  }
  return { nodes, links, lans };
}

function pairVeths(nodes: ImportNode[], ctx: ImportContext): ImportLink[] {
  const links: ImportLink[] = [];
  /** (node, nsid) → the node it names, from `ip netns list-id` or learned from an unambiguous pair. */
  const nsidMap = new Map<string, ImportNode>();
  for (const n of nodes) {
    for (const l of n.ns.sections.get('netns-ids')?.lines ?? []) {
      const m = /^nsid (\d+) .*iproute2 netns name: ([^)]+)\)/.exec(l);
      if (!m) continue;
      const target = nodes.find((x) => x.bundle === n.bundle && x.ns.kind === 'netns' && x.ns.arg === m[2]);
      if (target) nsidMap.set(`${n.name}#${m[1]}`, target);
    }
  }
  const join = (n: ImportNode, i: ImportIface, m: ImportNode, j: ImportIface) => {
    i.linked = j.linked = true;
    links.push({ a: { node: n.name, iface: i.name }, b: { node: m.name, iface: j.name } });
  };
  const mutual = (n: ImportNode, i: ImportIface, m: ImportNode, j: ImportIface) =>
    j.kind === 'veth' && !j.linked && j.ifindex === i.peer!.index && j.peer?.index === i.ifindex && (m !== n || j !== i);
  for (let pass = 0; pass < 2; pass++) {
    for (const n of nodes) {
      for (const i of n.ifaces) {
        if (i.kind !== 'veth' || i.linked || !i.peer) continue;
        if (i.peer.nsid === null) {
          const j = n.ifaces.find((x) => x !== i && (i.peer!.name ? x.name === i.peer!.name : x.ifindex === i.peer!.index));
          if (j && j.kind === 'veth' && !j.linked) join(n, i, n, j);
          continue;
        }
        const known = nsidMap.get(`${n.name}#${i.peer.nsid}`);
        let cands: Array<[ImportNode, ImportIface]> = [];
        for (const m of known ? [known] : nodes.filter((x) => x.bundle === n.bundle && x !== n)) {
          for (const j of m.ifaces) if (mutual(n, i, m, j)) cands.push([m, j]);
        }
        // A candidate whose own netns id is known to name some other namespace is not the peer.
        cands = cands.filter(([m, j]) => {
          const back = j.peer?.nsid !== null && j.peer?.nsid !== undefined ? nsidMap.get(`${m.name}#${j.peer.nsid}`) : undefined;
          return back === undefined || back === n;
        });
        if (cands.length === 1 && (known || pass === 1 || nodes.length === 2)) {
          const [m, j] = cands[0];
          join(n, i, m, j);
          nsidMap.set(`${n.name}#${i.peer.nsid}`, m);
          if (j.peer?.nsid !== null && j.peer?.nsid !== undefined) nsidMap.set(`${m.name}#${j.peer.nsid}`, n);
        } else if (cands.length > 1 && pass === 1) {
          ctx.warn({
            file: n.bundle.file,
            line: n.ns.sections.get('link')?.line,
            ns: nsLabel(n.ns),
            section: 'link',
            message: `veth ${i.name} could pair with ${cands.map(([m, j]) => `${m.name}:${j.name}`).join(' or ')} (its netns id ${i.peer.nsid} is not named in the bundle); left unpaired`,
          });
        }
      }
    }
  }
  return links;
}

function networkOf(cidr: string): string | null {
  const [a, l] = cidr.split('/');
  const len = Number(l);
  if (!(len > 0 && len < 32)) return null;
  const n = a.split('.').reduce((x, o) => x * 256 + Number(o), 0);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')}/${len}`;
}

function joinLans(nodes: ImportNode[], links: ImportLink[], ctx: ImportContext): Map<string, string> {
  const bySubnet = new Map<string, Array<[ImportNode, ImportIface]>>();
  for (const n of nodes) {
    for (const i of n.ifaces) {
      if (i.linked || (i.kind !== 'phys' && i.kind !== 'veth')) continue;
      const master = i.master ? n.ifaces.find((x) => x.name === i.master) : undefined;
      const nets = new Set([...i.addrs, ...(master?.addrs ?? [])].map(networkOf).filter((x): x is string => x !== null));
      const first = [...nets][0];
      if (first === undefined) continue;
      const list = bySubnet.get(first) ?? [];
      list.push([n, i]);
      bySubnet.set(first, list);
    }
  }
  const lans = new Map<string, string>();
  for (const [net, ends] of bySubnet) {
    if (new Set(ends.map(([n]) => n.host)).size < 2) continue;
    const host = `lan-${net.replace('/', '-')}`;
    lans.set(host, net);
    ends.forEach(([n, i], k) => {
      i.linked = true;
      i.kind = 'veth';
      links.push({ a: { node: host, iface: `p${k + 1}` }, b: { node: n.name, iface: i.name } });
    });
    ctx.warn({
      file: ends.map(([n]) => n.bundle.file).join(', '),
      message: `${ends.map(([n, i]) => `${n.name}:${i.name}`).join(', ')} share ${net} with nothing joining them in the bundles: joined through a bridge host ${host}`,
    });
    ctx.approximated.push(`${host}: a bridge joining ${ends.map(([n, i]) => `${n.name}:${i.name}`).join(', ')} (hosts on ${net})`);
  }
  return lans;
}
