/**
 * `--to auto` for native nftables: every address and port an nft `dnat` or
 * `redirect` rule can be reached with, read from the node's ruleset (its
 * objects, not its text) as destinations.ts reads iptables. For each such rule,
 * every path from a base chain down to it is walked through `jump`/`goto`
 * verdicts and verdict maps, and what the path requires of the destination is
 * combined: `ip daddr A`, `ip daddr @set`, `tcp|udp|th dport N`,
 * `meta l4proto P`, and the key of the vmap element taken (kube-proxy's
 * `ip daddr . meta l4proto . th dport vmap @service-ips` gives each Service's
 * ClusterIP, protocol and port; `ip daddr @nodeport-ips ... vmap
 * @service-nodeports` each NodePort on the node's addresses). A match it does
 * not read narrows nothing.
 */
import type { Ipv4 } from '../packet/ipv4.js';
import type { Lab } from '../lab/lab.js';
import type { Chain, Elem, ElemKey, Expr, Rhs, Rule, Stmt, Table } from '../nftables/ast.js';
import type { NodeSpec } from '../topology/model.js';

interface Need {
  /** The destination must be one of these addresses; null: any of the node's own. */
  hosts: Ipv4[] | null;
  ports: number[] | null;
  proto: number;
  possible: boolean;
}

/** An edge of the jump graph: `rule` in `from` leads to the chain, requiring `key` (a vmap element's key) as well. */
interface Edge {
  from: Chain;
  rule: Rule;
  /** The statements of the rule before its jump or vmap. */
  before: Stmt[];
  keyExpr: Expr | null;
  key: ElemKey | null;
}

const PROTO: Record<'tcp' | 'udp', number> = { tcp: 6, udp: 17 };
const MAX_PATHS_PER_RULE = 64;

function intersect<T>(a: T[] | null, b: T[]): T[] {
  return a === null ? b : a.filter((x) => b.includes(x));
}

function narrowHosts(n: Need, hosts: Ipv4[]): void {
  n.hosts = intersect(n.hosts, hosts);
  if (!n.hosts.length) n.possible = false;
}

function narrowPorts(n: Need, ports: number[]): void {
  n.ports = intersect(n.ports, ports);
  if (!n.ports.length) n.possible = false;
}

function narrowProto(n: Need, p: number): void {
  if (n.proto !== 0 && n.proto !== p) n.possible = false;
  n.proto = p;
}

type Field = 'daddr' | 'dport' | 'l4proto' | null;

/** Which destination field an expression reads; a `tcp dport` or `udp dport` also fixes the protocol. */
function fieldOf(e: Expr): { field: Field; proto: number } {
  if (e.k === 'payload' && e.proto === 'ip' && e.field === 'daddr') return { field: 'daddr', proto: 0 };
  if (e.k === 'payload' && e.field === 'dport' && (e.proto === 'th' || e.proto === 'tcp' || e.proto === 'udp'))
    return { field: 'dport', proto: e.proto === 'tcp' ? 6 : e.proto === 'udp' ? 17 : 0 };
  if (e.k === 'meta' && (e.key === 'l4proto' || e.key === 'protocol')) return { field: 'l4proto', proto: 0 };
  return { field: null, proto: 0 };
}

/** Single values an element key allows for one field: a value, or an interval's ends (as multiport ranges are sampled). */
function keyValues(k: ElemKey, i: number): number[] | null {
  const lo = k.lo[i];
  if (!lo) return null;
  if (k.plen !== undefined && k.plen < 32) return null;
  const hi = k.hi?.[i];
  return hi && hi.n !== lo.n ? [Number(lo.n), Number(hi.n)] : [Number(lo.n)];
}

function apply(n: Need, field: Field, proto: number, values: number[] | null): void {
  if (proto) narrowProto(n, proto);
  if (values === null) return;
  if (field === 'daddr') narrowHosts(n, values);
  else if (field === 'dport') narrowPorts(n, values);
  else if (field === 'l4proto' && values.length === 1) narrowProto(n, values[0]);
}

function elemsOf(rhs: Rhs, t: Table): Elem[] {
  if (rhs.k === 'set') return rhs.set.elems;
  if (rhs.k === 'ref') return [...(t.setByName.get(rhs.name)?.elems.values() ?? [])];
  return [];
}

/** What one match statement requires of the destination (equality only; `!=` and masks narrow nothing). */
function applyMatch(n: Need, s: Stmt, t: Table): void {
  if (s.k !== 'match' || (s.op !== null && s.op !== '==')) return;
  const { field, proto } = fieldOf(s.left);
  if (field === null) return;
  if (s.right.k === 'val') return apply(n, field, proto, keyValues(s.right.key, 0));
  if (s.right.k === 'set' || s.right.k === 'ref') {
    const all = elemsOf(s.right, t).map((e) => keyValues(e.key, 0));
    if (all.every((v) => v !== null)) apply(n, field, proto, all.flat());
  }
}

/** A vmap element's key, part by part against the vmap's key expression. */
function applyKey(n: Need, keyExpr: Expr, key: ElemKey): void {
  const parts = keyExpr.k === 'concat' ? keyExpr.parts : [keyExpr];
  parts.forEach((p, i) => {
    const { field, proto } = fieldOf(p);
    if (field !== null) apply(n, field, proto, keyValues(key, i));
  });
}

function edgesInto(t: Table): Map<string, Edge[]> {
  const by = new Map<string, Edge[]>();
  const add = (to: string | undefined, e: Edge) => {
    if (to === undefined) return;
    const list = by.get(to) ?? [];
    list.push(e);
    by.set(to, list);
  };
  for (const c of t.chains)
    for (const r of c.rules)
      r.stmts.forEach((s, i) => {
        const before = r.stmts.slice(0, i);
        if (s.k === 'verdict' && (s.verdict.v === 'jump' || s.verdict.v === 'goto'))
          add(s.verdict.chain, { from: c, rule: r, before, keyExpr: null, key: null });
        if (s.k === 'vmap')
          for (const e of elemsOf(s.map, t)) {
            const v = e.data as { v?: string; chain?: string } | null;
            if (v && (v.v === 'jump' || v.v === 'goto')) add(v.chain, { from: c, rule: r, before, keyExpr: s.key, key: e.key });
          }
      });
  return by;
}

/** Every path from a base chain to `chain`, each as the edges on it (nearest the hook last). */
function pathsTo(chain: Chain, by: Map<string, Edge[]>): Edge[][] {
  const out: Edge[][] = [];
  const walk = (c: Chain, path: Edge[], seen: Set<string>) => {
    if (out.length >= MAX_PATHS_PER_RULE) return;
    if (c.base) {
      if (c.base.type === 'nat' && (c.base.hook === 'prerouting' || c.base.hook === 'output')) out.push(path);
      return;
    }
    for (const e of by.get(c.name) ?? []) if (!seen.has(e.from.name)) walk(e.from, [...path, e], new Set([...seen, e.from.name]));
  };
  walk(chain, [], new Set([chain.name]));
  return out;
}

export function nftDestinations(
  lab: Lab,
  spec: NodeSpec,
  proto: 'tcp' | 'udp',
  own: Ipv4[],
): Array<{ addr: Ipv4; port: number; why: string }> {
  const nft = lab.modulesOf(spec.name)?.nft;
  if (!nft) return [];
  const out: Array<{ addr: Ipv4; port: number; why: string }> = [];
  for (const t of nft.rs.tables) {
    if (t.family !== 'ip' && t.family !== 'inet') continue;
    const by = edgesInto(t);
    for (const c of t.chains)
      for (const r of c.rules)
        r.stmts.forEach((s, i) => {
          if (s.k !== 'nat' || (s.nat.type !== 'dnat' && s.nat.type !== 'redirect')) return;
          for (const path of pathsTo(c, by)) {
            const need: Need = { hosts: null, ports: null, proto: 0, possible: true };
            for (const b of r.stmts.slice(0, i)) applyMatch(need, b, t);
            for (const e of path) {
              for (const b of e.before) applyMatch(need, b, t);
              if (e.keyExpr && e.key) applyKey(need, e.keyExpr, e.key);
            }
            if (!need.possible || (need.proto !== 0 && need.proto !== PROTO[proto])) continue;
            // No port on the path: every port is rewritten, so probe the one it leads to.
            const to = s.nat.port ? keyValues(s.nat.port, 0) : null;
            const ports = need.ports ?? (to ? [to[0]] : []);
            // Named after the chain nearest the hook whose rule narrowed the destination (kube-proxy's `services`).
            const narrowing = [...path].reverse().find((e) => e.key !== null || e.before.some((b) => b.k === 'match'));
            const why = `${s.nat.type} ${spec.name} ${(narrowing?.from ?? c).name}`;
            for (const addr of need.hosts ?? own) for (const port of ports) out.push({ addr, port, why });
          }
        });
  }
  return out;
}
