/**
 * One shared instance of each equal selector, value, key and match in a ruleset.
 * kube-proxy's 62,000 rules at 10,000 Services repeat the same few selectors
 * (`ip daddr`, `tcp dport 80`, `ip saddr != 10.0.0.0/8`, `jump mark-for-masquerade`)
 * tens of thousands of times; sharing them is what keeps the nftables ruleset
 * smaller than the iptables-mode one for the same Services (`npm run bench`).
 * Only what nothing mutates is shared: counters, limits, anonymous sets, nat
 * statements and rules stay per rule. Verdicts lose their source position,
 * which only the transaction's checks (already done) read.
 */
import type { Elem, ElemKey, Expr, Rhs, Ruleset, Stmt, Verdict } from './ast.js';
import type { Value } from './types.js';

/**
 * Tables of the shared instances, keyed by the shared instances of their parts
 * (nested maps, no key strings), so a value seen once costs one map slot.
 */
class Interner {
  private readonly exprs = new Map<string, Expr>();
  private readonly vals = new Map<string, Map<number | bigint, Value>>();
  private readonly lists = new Map<Value, Value[]>();
  private readonly keys = new Map<Value[], ElemKey>();
  private readonly ranges = new Map<Value[], ElemKey[]>();
  private readonly rhss = new Map<ElemKey, Rhs>();
  private readonly matches = new Map<Expr, Map<string, Map<Rhs, Stmt>>>();
  private readonly verdicts = new Map<string, Map<string, Verdict>>();
  private readonly verdictStmts = new Map<Verdict, Stmt>();

  /** String-valued literals (interface names) are rare and stay as they are. */
  value(v: Value): Value {
    if (v.s !== undefined) return v;
    // As a number where it fits: V8 hashes a BigInt map key slowly.
    const n = v.n <= MAX_SAFE ? Number(v.n) : v.n;
    return memo(
      memo(this.vals, v.type, () => new Map<number | bigint, Value>()),
      n,
      () => v,
    );
  }

  /** Single-value lists (nearly every key) are shared; concatenations keep their own list of shared values. */
  values(vs: Value[]): Value[] {
    for (let i = 0; i < vs.length; i++) vs[i] = this.value(vs[i]);
    return vs.length === 1 ? memo(this.lists, vs[0], () => vs) : vs;
  }

  elemKey(e: ElemKey): ElemKey {
    e.lo = this.values(e.lo);
    if (e.hi) e.hi = this.values(e.hi);
    if (e.lo.length !== 1) return e;
    // A nested map per distinct value would cost more than it saves: ranges and prefixes share a short list.
    if (e.hi === null && e.plen === undefined) return memo(this.keys, e.lo, () => e);
    const same = memo(this.ranges, e.lo, () => [] as ElemKey[]);
    const got = same.find((k) => k.hi === e.hi && k.plen === e.plen);
    if (got) return got;
    same.push(e);
    return e;
  }

  /** Selectors without state; a numgen counts its own packets and a concatenation is rare, so they stay. */
  expr(e: Expr): Expr | null {
    if (e.k === 'payload') return memo(this.exprs, `p ${e.proto} ${e.field} ${e.type}`, () => e);
    if (e.k === 'meta') return memo(this.exprs, `m ${e.key} ${e.type}`, () => e);
    if (e.k === 'ct') return memo(this.exprs, `c ${e.key} ${e.dir} ${e.type}`, () => e);
    return null;
  }

  verdict(v: Verdict): Verdict {
    const byChain = memo(this.verdicts, v.v, () => new Map<string, Verdict>());
    return memo(byChain, v.chain ?? '', () => (v.chain === undefined ? { v: v.v } : { v: v.v, chain: v.chain }));
  }

  stmt(s: Stmt): Stmt {
    if (s.k === 'verdict') {
      const verdict = this.verdict(s.verdict);
      return memo(this.verdictStmts, verdict, (): Stmt => ({ k: 'verdict', verdict }));
    }
    if (s.k === 'nat') {
      if (s.nat.addr) s.nat.addr = this.elemKey(s.nat.addr);
      if (s.nat.port) s.nat.port = this.elemKey(s.nat.port);
      return s;
    }
    if (s.k !== 'match') return s;
    const left = this.expr(s.left);
    if (!left || s.right.k !== 'val') return s;
    const key = this.elemKey(s.right.key);
    if (key.lo.length !== 1) return s;
    const right = memo(this.rhss, key, (): Rhs => ({ k: 'val', key }));
    const byOp = memo(this.matches, left, () => new Map<string, Map<Rhs, Stmt>>());
    return memo(
      memo(byOp, s.op ?? '', () => new Map<Rhs, Stmt>()),
      right,
      (): Stmt => ({ k: 'match', left, op: s.op, right }),
    );
  }

  elem(e: Elem): void {
    e.key = this.elemKey(e.key);
    if (e.data && !Array.isArray(e.data)) e.data = this.verdict(e.data);
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function memo<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make()));
  return v;
}

const pools = new WeakMap<Ruleset, Interner>();

function poolOf(rs: Ruleset): Interner {
  let p = pools.get(rs);
  if (!p) pools.set(rs, (p = new Interner()));
  return p;
}

/** Replaces a checked rule's statements by their shared instances. */
export function internStmts(rs: Ruleset, stmts: Stmt[]): void {
  const i = poolOf(rs);
  for (let k = 0; k < stmts.length; k++) {
    const s = stmts[k];
    stmts[k] = i.stmt(s);
    // Anonymous sets and maps keep their own objects, but their keys and verdicts are shared.
    const anon = s.k === 'vmap' ? s.map : s.k === 'match' ? s.right : null;
    if (anon?.k === 'set') for (const e of anon.set.elems) i.elem(e);
  }
}

/** Shares a checked element's key values and verdict. */
export function internElem(rs: Ruleset, e: Elem): void {
  poolOf(rs).elem(e);
}
