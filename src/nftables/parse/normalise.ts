/** A parsed rule brought to the form `nft list` prints it in, and the protocol context its checks read. */
import type { Elem, Expr, Family, Stmt } from '../ast.js';
import type { TypeName } from '../types.js';

const L4 = new Set(['tcp', 'udp', 'sctp', 'icmp', 'icmpv6']);
const L4NUM: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, icmp: 1, icmpv6: 58 };

/**
 * What nft's listing does to a rule it reads back: a protocol match that is exactly
 * the dependency nft itself would add before a transport header match is dropped
 * (`meta l4proto udp th dport 53` → `udp dport 53`; in the ip family also `ip
 * protocol tcp tcp dport 80` → `tcp dport 80`). Measured on the kernel.
 */
function icmpEchoDependency(): Stmt {
  const elem = (n: bigint): Elem => ({ key: { lo: [{ type: 'icmp_type', n }], hi: null }, data: null });
  return {
    k: 'match',
    left: { k: 'payload', proto: 'icmp', field: 'type', type: 'icmp_type' },
    op: null,
    right: { k: 'set', set: { elems: [elem(0n), elem(8n)], handle: 0, interval: false, isMap: false } },
  };
}

/** `meta KEY VALUE`, as nft adds it for a dependency. */
/** The network protocol (2 for IPv4, 10 for IPv6) a match fixes in nft's protocol context, or null. */
export function networkContext(s: Extract<Stmt, { k: 'match' }>): number | null {
  const of = (e: Expr): number | null => {
    if (e.k === 'payload') return e.proto === 'ip' || e.proto === 'icmp' ? 2 : e.proto === 'ip6' || e.proto === 'icmpv6' ? 10 : null;
    if (e.k === 'binop') return of(e.left);
    if (e.k === 'concat') {
      for (const p of e.parts) {
        const c = of(p);
        if (c !== null) return c;
      }
    }
    return null;
  };
  const l = s.left;
  if (l.k === 'meta') {
    if (l.key !== 'nfproto' || s.op !== null || s.right.k !== 'val' || s.right.key.hi !== null) return null;
    const n = Number(s.right.key.lo[0].n);
    return n === 2 || n === 10 ? n : null;
  }
  return of(l);
}

export function protoMatch(key: 'l4proto' | 'nfproto', type: TypeName, n: bigint): Stmt {
  return { k: 'match', left: { k: 'meta', key, type }, op: null, right: { k: 'val', key: { lo: [{ type, n }], hi: null } } };
}

export function normalise(stmts: Stmt[], family: Family): Stmt[] {
  const out: Stmt[] = [];
  for (let i = 0; i < stmts.length; i++) {
    const s = stmts[i];
    const n = stmts[i + 1];
    // `meta nfproto ipv4|ipv6` in inet lists only where no later match on that header (past other matches) implies it.
    if (family === 'inet' && s.k === 'match' && s.op === null && s.left.k === 'meta' && s.left.key === 'nfproto' && s.right.k === 'val') {
      const want = Number(s.right.key.lo[0].n) === 2 ? 'ip' : Number(s.right.key.lo[0].n) === 10 ? 'ip6' : null;
      let j = i + 1;
      while (j < stmts.length && stmts[j].k === 'match') {
        const m = stmts[j] as Extract<Stmt, { k: 'match' }>;
        if (m.left.k === 'payload' && m.left.proto === want) break;
        j++;
      }
      if (want && j < stmts.length && stmts[j].k === 'match' && j > i + 1) continue;
    }
    if (
      s.k === 'match' &&
      s.op === null &&
      s.right.k === 'val' &&
      s.right.key.hi === null &&
      n &&
      n.k === 'match' &&
      n.left.k === 'payload'
    ) {
      const l = s.left;
      const isDep =
        (l.k === 'meta' && l.key === 'l4proto') || (family === 'ip' && l.k === 'payload' && l.proto === 'ip' && l.field === 'protocol');
      const proto = Number(s.right.key.lo[0].n);
      if (
        family === 'inet' &&
        l.k === 'meta' &&
        l.key === 'nfproto' &&
        ((proto === 2 && n.left.proto === 'ip') || (proto === 10 && n.left.proto === 'ip6'))
      )
        continue;
      if (isDep) {
        const np = n.left.proto;
        if (L4.has(np) && L4NUM[np] === proto) continue;
        if (np === 'th' && (proto === 6 || proto === 17 || proto === 132)) {
          n.left = { ...n.left, proto: proto === 6 ? 'tcp' : proto === 17 ? 'udp' : 'sctp' };
          continue;
        }
      }
    }
    // nft matches `icmp id` and `icmp sequence` only in echo messages, and lists the dependency it adds.
    if (
      s.k === 'match' &&
      s.left.k === 'payload' &&
      s.left.proto === 'icmp' &&
      (s.left.field === 'id' || s.left.field === 'sequence') &&
      !out.some((o) => o.k === 'match' && o.left.k === 'payload' && o.left.proto === 'icmp' && o.left.field === 'type')
    )
      out.push(icmpEchoDependency());
    out.push(s);
  }
  return out;
}
