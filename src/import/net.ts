/** Interfaces, addresses, routes, policy rules and sysctls of one captured namespace, from iproute2's JSON. */
import { jsonSection, lineOf, nsLabel, type Bundle, type NsCapture } from './bundle.js';
import type { ImportContext, ImportIface, ImportNode, SourcedLine } from './model.js';

type Obj = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const IFNAME = /^[^\s/:]{1,15}$/;

/** Kinds nflab models as they are; everything else is approximated. */
const MODELLED = new Set(['veth', 'bridge', 'dummy']);

export function readInterfaces(b: Bundle, ns: NsCapture, node: ImportNode, ctx: ImportContext): void {
  const at = (section: string, message: string, line?: number) =>
    ctx.warn({ file: b.file, line: line ?? ns.sections.get(section)?.line ?? ns.line, ns: nsLabel(ns), section, message });
  const links = (jsonSection(b, ns, 'link', ctx.warn) ?? []) as Obj[];
  for (const l of links) {
    const name = str(l.ifname);
    const ifindex = num(l.ifindex);
    if (name === null || ifindex === null) continue;
    if (!IFNAME.test(name)) {
      at('link', `interface name ${JSON.stringify(name)} is not one nflab accepts; not imported`);
      continue;
    }
    const info = (l.linkinfo ?? {}) as Obj;
    const kernelKind = str(info.info_kind) ?? (name === 'lo' ? 'loopback' : 'device');
    const iface: ImportIface = {
      name,
      ifindex,
      kind: 'dummy',
      kernelKind,
      addrs: [],
      master: str(l.master),
      mac: str(l.link_type) === 'ether' ? str(l.address) : null,
      mtu: num(l.mtu),
      peer: null,
      linked: false,
      comment: null,
    };
    if (name === 'lo') {
      node.ifaces.push(iface);
      continue;
    }
    if (kernelKind === 'veth') {
      iface.kind = 'veth';
      iface.peer = { index: num(l.link_index), nsid: num(l.link_netnsid), name: str(l.link) };
    } else if (kernelKind === 'bridge') iface.kind = 'bridge';
    else if (kernelKind === 'device' && str(l.link_type) === 'ether') {
      iface.kind = 'phys';
    } else if (!MODELLED.has(kernelKind)) {
      iface.comment = `${kernelKind}: not modelled by nflab, imported as a dummy`;
      at('link', `interface ${name} is of kind ${kernelKind}, which nflab does not model: imported as a dummy interface`);
      ctx.approximated.push(`${node.name}:${name} (${kernelKind} → dummy)`);
    }
    if (iface.mtu === 1500) iface.mtu = null;
    node.ifaces.push(iface);
  }
  for (const i of node.ifaces) {
    if (i.master === null) continue;
    const m = node.ifaces.find((x) => x.name === i.master);
    if (!m || m.kind !== 'bridge') {
      at(
        'link',
        `${i.name} is enslaved to ${i.master}, which is ${m ? `a ${m.kernelKind}` : 'not imported'}; nflab ports belong to bridges only, so it is imported without a master`,
      );
      ctx.approximated.push(`${node.name}:${i.name} (master ${i.master} dropped)`);
      i.master = null;
    }
  }
  readAddrs(b, ns, node, ctx);
}

function readAddrs(b: Bundle, ns: NsCapture, node: ImportNode, ctx: ImportContext): void {
  const list = (jsonSection(b, ns, 'addr', ctx.warn) ?? []) as Obj[];
  const v6: string[] = [];
  let automatic = 0;
  const sec = ns.sections.get('addr');
  for (const l of list) {
    const iface = node.ifaces.find((i) => i.name === str(l.ifname));
    for (const a of (Array.isArray(l.addr_info) ? l.addr_info : []) as Obj[]) {
      const local = str(a.local);
      const len = num(a.prefixlen);
      if (local === null || len === null) continue;
      if (str(a.family) === 'inet6') {
        // ::1 and fe80:: link-local addresses appear by themselves on every interface; only configured ones are worth a warning.
        if (local === '::1' || /^fe[89ab]/i.test(local)) automatic++;
        else v6.push(`${local}/${len} on ${str(l.ifname)}`);
        continue;
      }
      if (!iface) continue;
      if (iface.name === 'lo' && local === '127.0.0.1' && len === 8) continue;
      if (str(a.address) && str(a.address) !== local)
        ctx.warn({
          file: b.file,
          line: sec?.line,
          ns: nsLabel(ns),
          section: 'addr',
          message: `${local} on ${iface.name} has the point-to-point peer ${str(a.address)}; imported as ${local}/${len} without the peer`,
        });
      iface.addrs.push(`${local}/${len}`);
    }
  }
  if (v6.length) {
    ctx.warn({
      file: b.file,
      line: sec?.line,
      ns: nsLabel(ns),
      section: 'addr',
      message: `IPv6 is not modelled: ${v6.length} IPv6 address${v6.length > 1 ? 'es' : ''} not imported (${v6.slice(0, 4).join(', ')}${v6.length > 4 ? ', ...' : ''})`,
    });
    ctx.approximated.push(`${node.name}: ${v6.length} IPv6 addresses left out`);
  }
  if (automatic) ctx.automaticV6 += automatic;
  // A bridge without an address of its own takes its lowest port's MAC; nflab gives it one of its own instead.
  for (const i of node.ifaces) {
    if (i.kind === 'bridge' && node.ifaces.some((x) => x !== i && x.mac === i.mac)) i.mac = null;
  }
}

const DEFAULT_RULES = new Set(['0 local', '32766 main', '32767 default']);

export function readRoutes(b: Bundle, ns: NsCapture, node: ImportNode, ctx: ImportContext): void {
  const list = (jsonSection(b, ns, 'route', ctx.warn) ?? []) as Obj[];
  const sec = ns.sections.get('route');
  const line = sec ? lineOf(sec, 0) : ns.line;
  const devOnly: SourcedLine[] = [];
  const rest: SourcedLine[] = [];
  const v6: string[] = [];
  for (const r of list) {
    const table = str(r.table) ?? 'main';
    const type = str(r.type) ?? 'unicast';
    const proto = str(r.protocol) ?? '';
    const dst = str(r.dst) ?? '';
    const dev = str(r.dev);
    if (proto === 'kernel' && (table === 'local' || (table === 'main' && !r.gateway))) continue;
    if (dst.includes(':') || str(r.gateway)?.includes(':') || str(r.prefsrc)?.includes(':')) {
      v6.push(r.gateway ? `${dst} via ${str(r.gateway)}` : dst);
      continue;
    }
    if (type === 'broadcast' || type === 'multicast' || type === 'anycast') continue;
    const words: string[] = [];
    if (type !== 'unicast') words.push(type);
    words.push(dst);
    const nexthops = Array.isArray(r.nexthops) ? (r.nexthops as Obj[]) : null;
    const hop = nexthops ? nexthops[0] : r;
    if (nexthops) {
      ctx.warn({
        file: b.file,
        line,
        ns: nsLabel(ns),
        section: 'route',
        message: `multipath route ${dst} (${nexthops.length} next hops): nflab has no multipath, only the first next hop is imported`,
      });
      ctx.approximated.push(`${node.name}: multipath route ${dst} → first next hop`);
    }
    const gw = str(hop.gateway);
    const hopDev = str(hop.dev) ?? dev;
    if (gw) words.push('via', gw);
    if (hopDev && type !== 'blackhole' && type !== 'unreachable' && type !== 'prohibit') words.push('dev', hopDev);
    if (table !== 'main') words.push('table', table);
    const flags = Array.isArray(hop.flags) ? hop.flags : [];
    if (flags.includes('onlink')) words.push('onlink');
    const src = str(r.prefsrc);
    if (src) words.push('src', src);
    const metric = num(r.metric);
    if (metric) words.push('metric', String(metric));
    (gw ? rest : devOnly).push({ text: words.join(' '), line, section: 'route' });
  }
  // Gateways must lie on a link route that is already there, so routes without one go first.
  node.routes.push(...devOnly, ...rest);
  if (v6.length) {
    ctx.warn({
      file: b.file,
      line,
      ns: nsLabel(ns),
      section: 'route',
      message: `IPv6 is not modelled: ${v6.length} IPv6 route${v6.length > 1 ? 's' : ''} not imported (${v6.slice(0, 4).join(', ')}${v6.length > 4 ? ', ...' : ''})`,
    });
    ctx.approximated.push(`${node.name}: ${v6.length} IPv6 routes left out`);
  }

  const rules = (jsonSection(b, ns, 'rule', ctx.warn) ?? []) as Obj[];
  const rsec = ns.sections.get('rule');
  const rline = rsec ? lineOf(rsec, 0) : ns.line;
  for (const r of rules) {
    const prio = num(r.priority) ?? 0;
    const table = str(r.table);
    const src = str(r.src) ?? 'all';
    if (table && src === 'all' && !r.dst && !r.fwmark && !r.iif && !r.oif && !r.not && DEFAULT_RULES.has(`${prio} ${table}`)) continue;
    const known = new Set([
      'priority',
      'src',
      'srclen',
      'dst',
      'dstlen',
      'fwmark',
      'fwmask',
      'iif',
      'oif',
      'table',
      'not',
      'action',
      'flags',
    ]);
    const unknown = Object.keys(r).filter((k) => !known.has(k));
    const words = [`priority ${prio}`];
    if (r.not) words.push('not');
    if (src !== 'all') words.push('from', num(r.srclen) !== null ? `${src}/${String(r.srclen)}` : src);
    const dst = str(r.dst);
    if (dst && dst !== 'all') words.push('to', num(r.dstlen) !== null ? `${dst}/${String(r.dstlen)}` : dst);
    const mark = str(r.fwmark) ?? (num(r.fwmark) !== null ? String(r.fwmark) : null);
    if (mark) words.push('fwmark', str(r.fwmask) ? `${mark}/${str(r.fwmask)}` : mark);
    if (str(r.iif)) words.push('iif', str(r.iif)!);
    if (str(r.oif)) words.push('oif', str(r.oif)!);
    const action = str(r.action);
    if (table) words.push('lookup', table);
    else if (action && ['blackhole', 'unreachable', 'prohibit'].includes(action)) words.push(action);
    if (unknown.length || (!table && !action)) {
      ctx.warn({
        file: b.file,
        line: rline,
        ns: nsLabel(ns),
        section: 'rule',
        message: `policy rule ${JSON.stringify(r)} uses ${unknown.join(', ') || 'an action'} that nflab does not model; not imported`,
      });
      ctx.approximated.push(`${node.name}: policy rule ${prio} left out`);
      continue;
    }
    node.rules.push({ text: words.join(' '), line: rline, section: 'rule' });
  }
}

/** Kernel defaults (Linux 6.x) that a new namespace starts with, which nflab starts with too; only differences are written. */
const DEFAULTS: Record<string, string> = {
  'net.ipv4.ip_forward': '0',
  'net.ipv4.ip_unprivileged_port_start': '1024',
  'net.bridge.bridge-nf-call-iptables': '1',
  'net.netfilter.nf_conntrack_tcp_timeout_syn_sent': '120',
  'net.netfilter.nf_conntrack_tcp_timeout_syn_recv': '60',
  'net.netfilter.nf_conntrack_tcp_timeout_established': '432000',
  'net.netfilter.nf_conntrack_tcp_timeout_fin_wait': '120',
  'net.netfilter.nf_conntrack_tcp_timeout_close_wait': '60',
  'net.netfilter.nf_conntrack_tcp_timeout_last_ack': '30',
  'net.netfilter.nf_conntrack_tcp_timeout_time_wait': '120',
  'net.netfilter.nf_conntrack_tcp_timeout_close': '10',
  'net.netfilter.nf_conntrack_tcp_timeout_max_retrans': '300',
  'net.netfilter.nf_conntrack_tcp_timeout_unacknowledged': '300',
  'net.netfilter.nf_conntrack_udp_timeout': '30',
  'net.netfilter.nf_conntrack_udp_timeout_stream': '120',
  'net.netfilter.nf_conntrack_icmp_timeout': '30',
  'net.netfilter.nf_conntrack_generic_timeout': '600',
  'net.netfilter.nf_conntrack_tcp_loose': '1',
  'net.netfilter.nf_conntrack_tcp_be_liberal': '0',
  'net.netfilter.nf_conntrack_tcp_ignore_invalid_rst': '0',
  'net.netfilter.nf_conntrack_tcp_max_retrans': '3',
};
const CONF_KNOBS = new Set(['rp_filter', 'route_localnet', 'accept_local', 'forwarding']);

export function readSysctls(b: Bundle, ns: NsCapture, node: ImportNode, ctx: ImportContext): void {
  const s = ns.sections.get('sysctl');
  if (!s) {
    ctx.warn({ file: b.file, line: ns.line, ns: nsLabel(ns), section: 'sysctl', message: 'section missing from the bundle' });
    return;
  }
  const values = new Map<string, string>();
  s.lines.forEach((l, k) => {
    const m = /^\/proc\/sys\/(\S+):\s*(-?\d+)\s*$/.exec(l);
    if (!m) {
      if (l.trim() !== '')
        ctx.warn({
          file: b.file,
          line: lineOf(s, k),
          ns: nsLabel(ns),
          section: 'sysctl',
          message: `expected /proc/sys/PATH:VALUE, not ${JSON.stringify(l)}`,
        });
      return;
    }
    values.set(m[1], m[2]);
  });
  const forward = values.get('net/ipv4/ip_forward') ?? '0';
  const ifaces = new Set(node.ifaces.map((i) => i.name));
  for (const [path, value] of values) {
    const p = path.split('/');
    if (p[0] === 'net' && p[1] === 'ipv4' && p[2] === 'conf' && p.length >= 5) {
      const knob = p[p.length - 1];
      const iface = p.slice(3, -1).join('/');
      if (!CONF_KNOBS.has(knob)) continue;
      if (iface !== 'all' && iface !== 'default' && !ifaces.has(iface)) continue;
      const dflt = knob === 'forwarding' ? forward : '0';
      if (value === dflt) continue;
      node.sysctl.push([iface.includes('.') ? path : p.join('.'), value]);
      continue;
    }
    const key = p.join('.');
    const dflt = DEFAULTS[key];
    if (dflt !== undefined && value !== dflt) node.sysctl.push([key, value]);
  }
  if (!values.has('net/bridge/bridge-nf-call-iptables') && node.ifaces.some((i) => i.kind === 'bridge')) {
    // Without br_netfilter loaded the host does not filter bridged frames at all; nflab's default is to filter them.
    node.sysctl.push(['net.bridge.bridge-nf-call-iptables', '0']);
    node.notes.push('br_netfilter was not loaded on the host: bridged frames skip iptables there');
  }
}
