/**
 * Binds a node's packet path to the real modules: the routing tables, the
 * iptables rule engine, and the conntrack/NAT cores. Also loads each node's
 * configuration from its topology spec (addresses, routes, rules, sysctls),
 * reporting problems at their place in the topology file.
 */
import type { Diagnostic, SourcePos } from '../core/diagnostic.js';
import { formatIpv4, isLoopback, isMulticast, type Ipv4 } from '../packet/ipv4.js';
import { RoutingTables } from '../routing/route.js';
import { parseRoute, parseRule } from '../routing/parse.js';
import { tableName } from '../routing/names.js';
import { SCOPE_LINK, SCOPE_UNIVERSE, type LookupKey, type RouteResult } from '../routing/types.js';
import { Conntrack } from '../netfilter/conntrack/table.js';
import type { CtEntry } from '../netfilter/conntrack/entry.js';
import { plainEntry } from '../netfilter/conntrack/format.js';
import { natHook } from '../netfilter/nat/hook.js';
import { masquerade, natTo, netmap, redirect } from '../netfilter/nat/targets.js';
import { ADDRTYPE, type Hook, type NatKind, type NatRange, type Verdict } from '../netfilter/types.js';
import type { Node } from '../node/node.js';
import type { ConntrackPort, Manip, RouteDecision, RouteKey, RoutingPort } from '../node/ports.js';
import type { NodeSkb } from '../node/skb.js';
import type { NodeSpec } from '../topology/model.js';
import { attachNetfilter } from './netfilter-adapter.js';
import { loadNftables, NftNode } from '../nftables/node-state.js';
import { buildIpset } from './ipset.js';
import type { NodeModules } from './types.js';

function decision(r: RouteResult): RouteDecision {
  if (r.kind === 'error')
    return { kind: 'error', dev: null, via: null, src: null, table: '', mtu: null, errno: r.errno, reason: r.reason, icmpCode: r.icmpCode };
  const table = r.table === null ? 'main' : tableName(r.table);
  if (r.kind === 'unicast') return { kind: 'unicast', dev: r.dev, via: r.via, src: r.src || null, table, mtu: r.mtu };
  return { kind: r.kind, dev: r.dev, via: null, src: r.src || null, table, mtu: null };
}

class RoutingAdapter implements RoutingPort {
  constructor(
    private readonly node: Node,
    private readonly rt: RoutingTables,
  ) {}

  masqueradeAddress(dev: string, near: Ipv4): Ipv4 {
    return this.rt.selectAddress(dev, near, SCOPE_UNIVERSE);
  }

  arpSource(dev: string, target: Ipv4, packetSrc: Ipv4 | null): Ipv4 {
    // inet_addr_type is RTN_LOCAL for every address of the namespace and all of 127.0.0.0/8 (lo's local route).
    if (packetSrc !== null && packetSrc !== 0 && this.rt.isLocalSource(packetSrc)) return packetSrc;
    return this.rt.selectAddress(dev, target, SCOPE_LINK);
  }

  lookup(k: RouteKey): RouteDecision {
    const key: LookupKey = { dst: k.dst, mark: k.mark, tos: k.tos };
    if (k.src !== null) key.src = k.src;
    if (k.iif !== null) key.iif = k.iif;
    if (k.oif !== null) key.oif = k.oif;
    if (k.anySrc) key.anySrc = true;
    return decision(this.rt.lookup(key));
  }

  addrType(addr: Ipv4, dev: string | null): number {
    if (isMulticast(addr)) return ADDRTYPE.MULTICAST;
    if (addr === 0xffffffff || addr >>> 24 === 0) return ADDRTYPE.BROADCAST;
    if (dev === null) {
      if (this.rt.isLocalAddress(addr) || isLoopback(addr)) return ADDRTYPE.LOCAL;
    } else {
      for (const a of this.rt.addresses(dev)) if (a.addr === addr) return ADDRTYPE.LOCAL;
    }
    for (const d of this.node.devs.values()) {
      for (const a of d.addrs) {
        if (dev !== null && d.name !== dev) continue;
        const bcast = (a.cidr.network | ~a.cidr.mask) >>> 0;
        if (a.cidr.len < 31 && addr === bcast) return ADDRTYPE.BROADCAST;
      }
    }
    return ADDRTYPE.UNICAST;
  }

  /**
   * `-m rpfilter`: the route back to the source must be a unicast route out of
   * the arrival device (`--loose`: out of any device). Unlike the rp_filter
   * sysctl this is asked per rule, so it does its own reverse lookup.
   */
  validateSource(src: Ipv4, dst: Ipv4, iif: string, mark: number, loose: boolean): boolean {
    const r = this.rt.lookup({ dst: src, src: dst, mark });
    if (r.kind !== 'unicast' && r.kind !== 'local') return false;
    return loose || r.dev === iif;
  }
}

class ConntrackAdapter implements ConntrackPort {
  constructor(
    private readonly node: Node,
    private readonly ct: Conntrack,
  ) {}

  inbound(skb: NodeSkb): void {
    this.ct.inbound(skb, skb.zone, skb.notrack || skb.zone ? { notrack: skb.notrack, zone: skb.zone } : undefined);
  }

  /** Only a packet in the original direction confirms an entry: REJECT's reset, attached to the entry as a reply, never does. */
  confirm(skb: NodeSkb): boolean {
    if (skb.ctReply) return true;
    return this.ct.confirm(skb);
  }

  get insertFailed(): number {
    return this.ct.insertFailed;
  }

  natHook(skb: NodeSkb, hook: Hook, runRules: () => Verdict): Verdict {
    return natHook(this.ct, skb, hook, this.node.lab.rng, runRules);
  }

  natSetup(skb: NodeSkb, manip: Manip, range: NatRange, kind: NatKind): Verdict {
    const e = skb.ct as CtEntry;
    const rng = this.node.lab.rng;
    switch (kind) {
      case 'MASQUERADE':
        return masquerade(this.ct, e, range, range.minIp, skb.outIf ?? '', rng);
      case 'REDIRECT':
        return redirect(this.ct, e, range, range.minIp, rng);
      case 'NETMAP':
        return netmap(this.ct, e, manip, range, manip === 'SRC' ? skb.pkt.src : skb.pkt.dst, rng);
      default:
        return natTo(this.ct, e, manip, range, rng);
    }
  }

  setClosing(skb: NodeSkb): void {
    if (skb.ct) this.ct.setClosing(skb.ct as CtEntry);
  }

  originalDestination(proto: number, local: Ipv4, localPort: number, peer: Ipv4, peerPort: number) {
    return this.ct.originalDst({ addr: local, port: localPort }, { addr: peer, port: peerPort }, proto);
  }
}

function at(pos: SourcePos, colOffset: number, message: string): Diagnostic {
  return { file: pos.file, line: pos.line, col: pos.col + Math.max(0, colOffset - 1), message };
}

/** Creates a node's routing, conntrack and netfilter from its spec: the modules, and what is wrong with the spec. */
export function attachNodeModules(node: Node, spec: NodeSpec): { modules: NodeModules; diags: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const rt = new RoutingTables({ loopback: true });
  for (const dev of node.devs.values()) if (dev.name !== 'lo') rt.addDevice(dev.name, { up: true });
  const lo = node.devs.get('lo')!;
  lo.addrs.push({ addr: 0x7f000001, cidr: { addr: 0x7f000001, len: 8, mask: 0xff000000, network: 0x7f000000 } });
  for (const i of spec.interfaces) {
    const dev = node.devs.get(i.name)!;
    for (const a of i.addrs) {
      dev.addrs.push({ addr: a.addr, cidr: a.cidr });
      const e = rt.addAddress(i.name, a.addr, a.cidr.len);
      if (e) diags.push(at(i.pos, 1, `${i.name}: cannot add ${formatIpv4(a.addr)}/${a.cidr.len}: ${e.stderr.trim()}`));
    }
  }
  for (const [k, v] of spec.sysctl) rt.setSysctl(k, v.value);
  for (const r of spec.routes) {
    const parsed = parseRoute(r.text);
    if (!parsed.ok) {
      for (const d of parsed.error) diags.push(at(r.pos, d.col ?? 1, `route "${r.text}": ${d.message}`));
      continue;
    }
    const e = rt.addRoute(parsed.value);
    if (e) diags.push(at(r.pos, 1, `route "${r.text}": ${e.stderr.trim()}`));
  }
  for (const r of spec.ipRules) {
    const parsed = parseRule(r.text);
    if (!parsed.ok) {
      for (const d of parsed.error) diags.push(at(r.pos, d.col ?? 1, `ip rule "${r.text}": ${d.message}`));
      continue;
    }
    const e = rt.addRule(parsed.value);
    if (e) diags.push(at(r.pos, 1, `ip rule "${r.text}": ${e.stderr.trim()}`));
  }
  node.routing = new RoutingAdapter(node, rt);

  const ct = new Conntrack({
    timers: node.lab.timers,
    sysctl: (name) => node.sysctl.get(name),
    onEvent: (e) => {
      if (!node.lab.tracer.hasListeners()) return;
      node.lab.tracer.emit({ t_us: e.at, kind: `conntrack.${e.type}`, node: node.name, data: plainEntry(e.entry) });
    },
  });
  node.conntrack = new ConntrackAdapter(node, ct);

  for (const s of spec.ipsets) node.nfEnv.ipsets.set(s.name, buildIpset(s));
  for (const n of spec.nfacct) node.nfEnv.nfacctCounters.set(n, { packets: 0, bytes: 0 });
  const { ruleset, lookups } = attachNetfilter(node, spec, ct, diags);
  const nft = new NftNode(
    () => node.lab.timers.now() / 1000,
    () => node.devs.keys(),
  );
  node.nft = nft;
  if (spec.nftables) diags.push(...loadNftables(nft, spec.nftables));
  return { modules: { routing: rt, conntrack: ct, ruleset, lookups, nft }, diags };
}
