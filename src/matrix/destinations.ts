/**
 * `--to auto`: the destinations worth probing in a lab. Every listening socket
 * (on its node's addresses), and every address and port a DNAT or REDIRECT rule
 * can be reached with: the rule's own `-d`/`--dport` and those of every rule on
 * a jump path from a built-in chain down to it (kube-proxy's KUBE-SERVICES →
 * KUBE-SVC → KUBE-SEP, Docker's PREROUTING → DOCKER). Read from the compiled
 * rule model, never from save text.
 */
import { formatIpv4, type Ipv4 } from '../packet/ipv4.js';
import type { Lab } from '../lab/lab.js';
import type { Chain, Rule } from '../netfilter/rule.js';
import type { NatRange } from '../netfilter/types.js';
import type { NodeSpec, Topology } from '../topology/model.js';
import { nftDestinations } from './nft-destinations.js';

export type Proto = 'tcp' | 'udp';

export interface Destination {
  addr: Ipv4;
  port: number;
  /** Why it is a destination: `listen NODE` or `DNAT NODE CHAIN` (the first reason found). */
  why: string;
}

export const PROTO_NUM: Record<Proto, number> = { tcp: 6, udp: 17 };
const LOOPBACK_NET = 0x7f000000;

function isLoopback(a: Ipv4): boolean {
  return (a & 0xff000000) >>> 0 === LOOPBACK_NET;
}

/** A node's addresses other than loopback, in interface order. */
export function nodeAddrs(spec: NodeSpec): Ipv4[] {
  return spec.interfaces.flatMap((i) => i.addrs.map((a) => a.addr)).filter((a) => !isLoopback(a));
}

/** What one jump path through the nat table requires of the packet's destination. */
interface PathNeed {
  /** A single destination address, when some rule on the path says `-d A/32`. */
  host: Ipv4 | null;
  /** Networks the destination must (or, inverted, must not) be in. */
  nets: Array<{ addr: Ipv4; mask: number; inv: boolean }>;
  /** The destination ports the path allows (several for `-m multiport`); null: any. */
  ports: number[] | null;
  proto: number;
  /** False when two rules on the path cannot both match. */
  possible: boolean;
}

/**
 * The destination ports a multiport match's own save form lists (`--dports 80,443,8000:8100`), a range
 * sampled at both ends: a cell per port in a range of thousands would drown the grid, and the ends are
 * where an off-by-one would show. Inverted lists and `--sports` say nothing about the destination.
 */
function multiportDports(save: string): number[] | null {
  const m = /^ --(?:dports|destination-ports|ports) (\S+)$/.exec(save);
  if (!m) return null;
  const out: number[] = [];
  for (const part of m[1].split(',')) {
    const [a, b] = part.split(':').map(Number);
    out.push(a);
    if (b !== undefined && b !== a) out.push(b);
  }
  return out;
}

/** The destination ports a rule requires (`--dport N`, `-m multiport --dports ...`); null: any. */
export function rulePorts(r: Rule): number[] | null {
  for (const m of r.matches) {
    if (m.exactDport !== undefined) return [m.exactDport];
    if (m.name === 'multiport') {
      const ports = multiportDports(m.save());
      if (ports) return ports;
    }
  }
  return null;
}

/** Narrows `need.ports` to `ports` (null: no narrowing); an empty intersection makes the path impossible. */
export function narrowPorts(need: { ports: number[] | null; possible: boolean }, ports: number[] | null): void {
  if (ports === null) return;
  const kept = need.ports === null ? ports : need.ports.filter((p) => ports.includes(p));
  if (!kept.length) need.possible = false;
  need.ports = kept;
}

function addRule(need: PathNeed, r: Rule): void {
  const h = r.header;
  if (h.proto !== 0 && !h.protoInv) {
    if (need.proto !== 0 && need.proto !== h.proto) need.possible = false;
    need.proto = h.proto;
  }
  if (h.dst) {
    if (!h.dstInv && h.dst.mask === 0xffffffff) {
      if (need.host !== null && need.host !== h.dst.addr) need.possible = false;
      need.host = h.dst.addr;
    } else need.nets.push({ addr: h.dst.addr, mask: h.dst.mask, inv: h.dstInv });
  }
  narrowPorts(need, rulePorts(r));
}

/** Every chain's callers: the rules that jump or go to it. */
function callers(chains: Map<string, Chain>): Map<string, Array<{ chain: Chain; rule: Rule }>> {
  const by = new Map<string, Array<{ chain: Chain; rule: Rule }>>();
  for (const c of chains.values())
    for (const r of c.rules)
      if (r.target.kind === 'jump' || r.target.kind === 'goto') {
        const list = by.get(r.target.chainName) ?? [];
        list.push({ chain: c, rule: r });
        by.set(r.target.chainName, list);
      }
  return by;
}

/** Bounds the walk on rule sets whose jump graph fans in heavily; kube-proxy's paths are three or four rules long. */
const MAX_PATHS_PER_RULE = 64;

interface Step {
  chain: Chain;
  rule: Rule;
}

/** Every jump path from a built-in chain to `rule` in `chain`, each as the rules on it (the NAT rule first). */
function pathsTo(chain: Chain, rule: Rule, by: ReturnType<typeof callers>): Step[][] {
  const out: Step[][] = [];
  const walk = (c: Chain, path: Step[], seen: Set<string>): void => {
    if (out.length >= MAX_PATHS_PER_RULE) return;
    if (c.builtin) {
      out.push(path);
      return;
    }
    for (const caller of by.get(c.name) ?? []) {
      if (seen.has(caller.chain.name)) continue;
      walk(caller.chain, [...path, caller], new Set([...seen, caller.chain.name]));
    }
  };
  walk(chain, [{ chain, rule }], new Set([chain.name]));
  return out;
}

function natRange(r: Rule): { kind: string; range: NatRange } | null {
  if (r.target.kind !== 'ext') return null;
  const ext = r.target.ext as { name: string; r?: NatRange };
  if ((ext.name !== 'DNAT' && ext.name !== 'REDIRECT') || ext.r === undefined) return null;
  return { kind: ext.name, range: ext.r };
}

/** The addresses one path can lead from: its `-d` host, or the node's own addresses that its `-d` networks allow. */
export function pathAddrs(need: PathNeed, own: Ipv4[]): Ipv4[] {
  const inNets = (a: Ipv4) => need.nets.every((n) => ((a & n.mask) >>> 0 === (n.addr & n.mask) >>> 0) !== n.inv);
  if (need.host !== null) return inNets(need.host) ? [need.host] : [];
  return own.filter(inNets);
}

function natDestinations(lab: Lab, spec: NodeSpec, proto: Proto): Destination[] {
  const nat = lab.modulesOf(spec.name)?.ruleset.table('nat');
  if (!nat) return [];
  const by = callers(nat.chains);
  const own = nodeAddrs(spec);
  const out: Destination[] = [];
  for (const chain of nat.chains.values())
    for (const rule of chain.rules) {
      const target = natRange(rule);
      if (!target) continue;
      for (const path of pathsTo(chain, rule, by)) {
        const need: PathNeed = { host: null, nets: [], ports: null, proto: 0, possible: true };
        for (const s of path) addRule(need, s.rule);
        if (!need.possible || (need.proto !== 0 && need.proto !== PROTO_NUM[proto])) continue;
        // No --dport anywhere on the path: every port is rewritten, so probe the port it leads to.
        const ports = need.ports ?? (target.range.protoSpecified ? [target.range.minPort] : []);
        // Named after the chain nearest the hook that narrows the destination (KUBE-SERVICES, KUBE-NODEPORTS, DOCKER).
        const entry = [...path].reverse().find((s) => s.rule.header.dst !== null || rulePorts(s.rule) !== null) ?? path[0];
        const why = `${target.kind} ${spec.name} ${entry.chain.name}`;
        for (const addr of pathAddrs(need, own)) for (const port of ports) out.push({ addr, port, why });
      }
    }
  return out;
}

function listenDestinations(spec: NodeSpec, proto: Proto): Destination[] {
  const out: Destination[] = [];
  for (const l of spec.listen) {
    if (l.proto !== proto) continue;
    const addrs = l.addr === 0 ? nodeAddrs(spec) : isLoopback(l.addr) ? [] : [l.addr];
    for (const addr of addrs) out.push({ addr, port: l.port, why: `listen ${spec.name}` });
  }
  return out;
}

/** Every destination of `--to auto`, each once, in address then port order. */
export function autoDestinations(lab: Lab, topo: Topology, proto: Proto): Destination[] {
  const seen = new Map<string, Destination>();
  for (const spec of topo.nodes)
    for (const d of [
      ...listenDestinations(spec, proto),
      ...natDestinations(lab, spec, proto),
      ...nftDestinations(lab, spec, proto, nodeAddrs(spec)),
    ]) {
      const key = `${d.addr}:${d.port}`;
      if (!seen.has(key)) seen.set(key, d);
    }
  return [...seen.values()].sort((a, b) => a.addr - b.addr || a.port - b.port);
}

export function destinationText(d: { addr: Ipv4; port: number }): string {
  return `${formatIpv4(d.addr)}:${d.port}`;
}
