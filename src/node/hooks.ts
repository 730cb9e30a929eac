/**
 * The five hooks in the kernel's priority order, with conntrack and NAT at their
 * places between the tables:
 *
 *   PREROUTING   raw(-300) conntrack(-200) mangle(-150) nat/DNAT(-100)
 *   INPUT        mangle(-150) filter(0) security(50) nat/SNAT(100) confirm
 *   FORWARD      mangle(-150) filter(0) security(50)
 *   OUTPUT       raw(-300) conntrack(-200) mangle(-150) nat/DNAT(-100) filter(0) security(50)
 *   POSTROUTING  mangle(-150) nat/SNAT(100) confirm
 *
 * OUTPUT re-routes after mangle or nat changed the mark or the destination, as
 * ip_route_me_harder does.
 */
import { formatIpv4, type Ipv4 } from '../packet/ipv4.js';
import type { Hook, IpSetView, NatKind, NatRange, NfEnv, RejectWith, Skb, StepSink, TableName, Verdict } from '../netfilter/types.js';
import { summarizePacket } from '../trace/steps.js';
import { clonePacket } from '../packet/packet.js';
import type { Node } from './node.js';
import type { Manip } from './ports.js';
import type { NodeSkb } from './skb.js';
import { sendReject } from './icmp.js';
import { hookOrder, type OrderEntry } from '../nftables/hook-order.js';
import { natBound, type CompiledBase, type NftStepSink } from '../nftables/eval.js';

type Stage = TableName | 'conntrack' | 'nat' | 'confirm';

const STAGES: Record<Hook, readonly Stage[]> = {
  PREROUTING: ['raw', 'conntrack', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'security', 'nat', 'confirm'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'conntrack', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat', 'confirm'],
};

const MANIP: Record<Hook, Manip> = { PREROUTING: 'DST', OUTPUT: 'DST', INPUT: 'SRC', POSTROUTING: 'SRC', FORWARD: 'SRC' };

function natView(skb: NodeSkb): string {
  const p = skb.pkt;
  const sp = p.tcp?.sport ?? p.udp?.sport;
  const dp = p.tcp?.dport ?? p.udp?.dport;
  return `${formatIpv4(p.src)}${sp === undefined ? '' : `:${sp}`} → ${formatIpv4(p.dst)}${dp === undefined ? '' : `:${dp}`}`;
}

/** Called by OUTPUT when mark or destination changed; returns false when the packet can no longer be routed. */
export type Reroute = (skb: NodeSkb) => boolean;

/** Runs every stage of `hook`; false means the packet was dropped (or stolen). */
export function runHook(node: Node, hook: Hook, skb: NodeSkb, reroute: Reroute | null = null): boolean {
  const env = node.nfEnv;
  // Native nft base chains take their places among the iptables stages by priority (src/nftables/hook-order.ts).
  const nft = node.nft;
  const prog = nft?.active ? nft.program : null;
  const order = prog ? hookOrder(prog, hook, STAGES[hook], node.netfilter) : null;
  for (const entry of order ? order.entries : IPT_ONLY[hook]) {
    if (entry.kind === 'nft') {
      if (!runNftChain(node, env, hook, entry.chain, skb, reroute)) return false;
      continue;
    }
    const stage = entry.stage;
    switch (stage) {
      case 'conntrack':
        if (!skb.ct && (node.netfilter.needsConntrack() || prog?.needsConntrack)) {
          node.conntrack.inbound(skb);
          if (skb.trace) recordConntrack(node, skb, hook);
        }
        break;
      case 'confirm':
        if (skb.ct && !node.conntrack.confirm(skb)) return dropped(node, skb, hook, 'conntrack clash');
        break;
      case 'nat': {
        const natChains = order?.nat;
        const iptNat = node.netfilter.hasTable('nat');
        if ((!iptNat && !prog?.hasNat) || !skb.ct) break;
        const before = skb.trace ? natView(skb) : null;
        const dstBefore = skb.pkt.dst;
        const v = node.conntrack.natHook(skb, hook, () => {
          if (!natChains) return table(node, env, 'nat', hook, skb) ? 'ACCEPT' : 'DROP';
          // Every nat chain at this hook in priority order, until one binds the connection.
          for (const c of natChains) {
            if (c === null ? iptNat && !table(node, env, 'nat', hook, skb) : !runNftChain(node, env, hook, c, skb, null)) return 'DROP';
            if (natBound(skb, hook)) break;
          }
          return 'ACCEPT';
        });
        if (v !== 'ACCEPT') return skb.trace?.outcome === 'in-flight' ? dropped(node, skb, hook, 'nat') : false;
        if (before !== null) {
          const after = natView(skb);
          if (after !== before)
            node.record(skb.trace, { node: node.name, nat: { hook, kind: MANIP[hook] === 'SRC' ? 'SNAT' : 'DNAT', before, after } });
        }
        if (reroute && skb.pkt.dst !== dstBefore && !reroute(skb)) return false;
        break;
      }
      default: {
        if (!node.netfilter.hasTable(stage)) break;
        const markBefore = skb.mark;
        const dstBefore = skb.pkt.dst;
        if (!table(node, env, stage, hook, skb)) return false;
        if (reroute && stage === 'mangle' && (skb.mark !== markBefore || skb.pkt.dst !== dstBefore) && !reroute(skb)) return false;
      }
    }
  }
  return true;
}

const IPT_ONLY = Object.fromEntries(
  (Object.keys(STAGES) as Hook[]).map((h) => [h, STAGES[h].map((stage) => ({ kind: 'ipt' as const, stage }))]),
) as Record<Hook, OrderEntry[]>;

/** One native nft base chain; false means the packet was dropped. */
function runNftChain(node: Node, env: NodeNfEnv, hook: Hook, chain: CompiledBase, skb: NodeSkb, reroute: Reroute | null): boolean {
  env.hook = hook;
  env.table = chain.type === 'nat' ? 'nat' : 'filter';
  let onStep: NftStepSink | null = null;
  const trace = skb.trace;
  if (trace) {
    const packet = summarizePacket(skb.pkt, skb.mark);
    // The packet as it entered the chain, for "why not" (src/scenario/why-not.ts).
    node.lab.tracer.snapshot(trace, {
      node: node.name,
      hook,
      table: chain.table,
      nft: { family: chain.family, chain: chain.chain },
      skb: { ...skb, pkt: clonePacket(skb.pkt), trace: null },
    });
    onStep = (s) =>
      node.record(trace, {
        node: node.name,
        hook,
        family: s.family,
        table: s.table,
        chain: s.chain,
        handle: s.handle,
        verdict: s.verdict,
        ...(s.ruleText !== undefined ? { rule_text: s.ruleText } : {}),
        ...(s.policy ? { policy: true } : {}),
        packet,
      });
  }
  const markBefore = skb.mark;
  const dstBefore = skb.pkt.dst;
  if (chain.run(skb, env, onStep)) {
    if (reroute && chain.type === 'route' && (skb.mark !== markBefore || skb.pkt.dst !== dstBefore) && !reroute(skb)) return false;
    return true;
  }
  if (trace && trace.outcome === 'in-flight') {
    node.record(trace, {
      node: node.name,
      drop: { reason: env.rejected ? 'rejected' : 'rule', hook, table: chain.table, chain: chain.chain },
    });
    node.lab.tracer.end(trace, env.rejected ? 'rejected' : 'dropped', node.name);
  }
  env.rejected = false;
  return false;
}

function table(node: Node, env: NodeNfEnv, name: TableName, hook: Hook, skb: NodeSkb): boolean {
  env.hook = hook;
  env.table = name;
  let onStep: StepSink | null = null;
  if (skb.trace || skb.traced) {
    const trace = skb.trace;
    const packet = summarizePacket(skb.pkt, skb.mark);
    if (trace)
      node.lab.tracer.snapshot(trace, { node: node.name, hook, table: name, skb: { ...skb, pkt: clonePacket(skb.pkt), trace: null } });
    onStep = (s) => {
      if (!trace) return;
      node.record(trace, {
        node: node.name,
        hook,
        table: s.table,
        chain: s.chain,
        rule: s.rule,
        verdict: s.verdict,
        ...(s.target !== undefined ? { target: s.target } : {}),
        ...(s.ruleText !== undefined ? { rule_text: s.ruleText } : {}),
        ...(s.policy ? { policy: true } : {}),
        packet,
      });
    };
  }
  const v: Verdict = node.netfilter.runTable(name, hook, skb, env, onStep);
  if (v === 'ACCEPT') return true;
  if (skb.trace && skb.trace.outcome === 'in-flight') {
    node.record(skb.trace, {
      node: node.name,
      drop: { reason: env.rejected ? 'rejected' : v === 'QUEUE' ? 'queue' : 'rule', hook, table: name },
    });
    node.lab.tracer.end(skb.trace, env.rejected ? 'rejected' : 'dropped', node.name);
  }
  env.rejected = false;
  return false;
}

function tupleText(t: { src: number; dst: number; proto: number; sport: number; dport: number }): string {
  return t.proto === 6 || t.proto === 17
    ? `${formatIpv4(t.src)}:${t.sport} → ${formatIpv4(t.dst)}:${t.dport}`
    : `${formatIpv4(t.src)} → ${formatIpv4(t.dst)}`;
}

function recordConntrack(node: Node, skb: NodeSkb, hook: Hook): void {
  const ct = skb.ct;
  node.record(skb.trace, {
    node: node.name,
    conntrack: {
      hook,
      state: skb.ctState,
      dir: ct ? (skb.ctReply ? 'reply' : 'original') : null,
      orig: ct ? tupleText(ct.orig) : null,
      reply: ct ? tupleText(ct.reply) : null,
    },
  });
}

function dropped(node: Node, skb: NodeSkb, hook: Hook, reason: string): false {
  if (skb.trace) {
    node.record(skb.trace, { node: node.name, drop: { reason, hook } });
    node.lab.tracer.end(skb.trace, 'dropped', node.name);
  }
  return false;
}

/** The namespace services matches and targets reach through NfEnv. One per node, re-aimed per table. */
export class NodeNfEnv implements NfEnv {
  hook: Hook = 'PREROUTING';
  table: TableName = 'filter';
  /** Set when REJECT answered the packet being dropped, for the trace's outcome. */
  rejected = false;
  readonly nfacctCounters = new Map<string, { packets: number; bytes: number }>();
  readonly ipsets = new Map<string, IpSetView>();

  constructor(private readonly node: Node) {}

  get rng() {
    return this.node.lab.rng;
  }

  now(): number {
    return this.node.lab.timers.now();
  }

  addrType(addr: Ipv4, dev: string | null): number {
    return this.node.routing.addrType(addr, dev);
  }

  pathMtu(skb: Skb): number {
    const r = this.node.routing.lookup({ dst: skb.pkt.dst, src: null, mark: skb.mark, iif: null, oif: null, tos: 0 });
    const dev = r.dev ? this.node.dev(r.dev) : undefined;
    return r.mtu ?? dev?.mtu ?? 1500;
  }

  rpfilter(skb: Skb, opts: { loose: boolean; validMark: boolean; acceptLocal: boolean }): boolean {
    const iif = skb.inIf;
    if (!iif) return true;
    if (opts.acceptLocal && this.node.isLocalAddress(skb.pkt.src)) return true;
    return this.node.routing.validateSource(skb.pkt.src, skb.pkt.dst, iif, opts.validMark ? skb.mark : 0, opts.loose);
  }

  nat(skb: Skb, kind: NatKind, range: NatRange): Verdict {
    const nskb = skb as NodeSkb;
    if (!nskb.ct) return 'DROP';
    if (kind === 'MASQUERADE') {
      const src = this.masqueradeSource(nskb);
      if (src === null) return 'DROP';
      return this.node.conntrack.natSetup(nskb, 'SRC', { ...range, mapIps: true, minIp: src, maxIp: src }, kind);
    }
    if (kind === 'REDIRECT') {
      let to: Ipv4 | null = 0x7f000001;
      if (this.hook === 'PREROUTING') {
        const dev = nskb.inIf ? this.node.dev(nskb.inIf) : undefined;
        to = dev?.primaryAddress() ?? null;
      }
      if (to === null) return 'DROP';
      return this.node.conntrack.natSetup(nskb, 'DST', { ...range, mapIps: true, minIp: to, maxIp: to }, kind);
    }
    const manip = kind === 'SNAT' || (kind === 'NETMAP' && (this.hook === 'POSTROUTING' || this.hook === 'INPUT')) ? 'SRC' : 'DST';
    return this.node.conntrack.natSetup(nskb, manip, range, kind);
  }

  /**
   * MASQUERADE's address (nf_nat_masquerade_ipv4): inet_select_addr on the
   * output device towards the next hop, at universe scope. The route's preferred
   * source plays no part; on `lo` (a packet to a local address) no address
   * qualifies there, and the first one of another device is taken.
   */
  private masqueradeSource(skb: NodeSkb): Ipv4 | null {
    if (!skb.outIf) return null;
    const a = this.node.routing.masqueradeAddress(skb.outIf, skb.nextHop ?? skb.pkt.dst);
    return a === 0 ? null : a;
  }

  tproxy(skb: Skb, opts: { ip: Ipv4; port: number; mark: number; mask: number }): Verdict {
    const nskb = skb as NodeSkb;
    const port = opts.port || (nskb.pkt.tcp?.dport ?? nskb.pkt.udp?.dport ?? 0);
    let ip = opts.ip;
    if (ip === 0) {
      const dev = nskb.inIf ? this.node.dev(nskb.inIf) : undefined;
      ip = dev?.primaryAddress() ?? nskb.pkt.dst;
    }
    const proto = nskb.pkt.tcp ? 'tcp' : 'udp';
    if (!this.node.sockets.hasListener(proto, ip, port)) return 'DROP';
    nskb.mark = ((nskb.mark & ~opts.mask) ^ opts.mark) >>> 0;
    nskb.tproxySocket = { addr: ip, port };
    return 'ACCEPT';
  }

  reject(skb: Skb, how: RejectWith): void {
    this.rejected = true;
    sendReject(this.node, skb as NodeSkb, how, this.hook);
  }

  ctTemplate(skb: Skb, opts: { notrack?: boolean; zone?: number }): void {
    const nskb = skb as NodeSkb;
    if (opts.notrack) nskb.notrack = true;
    if (opts.zone !== undefined) nskb.zone = opts.zone;
  }

  log(line: string): void {
    this.node.lab.log(this.node.name, line);
  }

  ipset(name: string): IpSetView | undefined {
    return this.ipsets.get(name);
  }

  nfacct(name: string, bytes: number): void {
    let c = this.nfacctCounters.get(name);
    if (!c) this.nfacctCounters.set(name, (c = { packets: 0, bytes: 0 }));
    c.packets++;
    c.bytes += bytes;
  }
}
