/**
 * Native nft chains, compiled once per ruleset change into closures, and run as
 * the kernel runs them: a base chain ends on `accept` (the next base chain at the
 * hook still runs), `drop` is final, jump/goto/return walk a stack, and the
 * base chain's policy decides when no rule did. Only the ip and inet families
 * see packets (nflab's packets are IPv4).
 */
import type { Hook, NfEnv, RejectWith, Skb } from '../netfilter/types.js';
import { IPS_DST_NAT_DONE, IPS_SRC_NAT_DONE } from '../netfilter/types.js';
import { packetLength } from '../packet/packet.js';
import type { Chain, ElemKey, Expr, Family, NatSpec, Rhs, Rule, Ruleset, Stmt, Table, Verdict } from './ast.js';
import { printRule } from './print.js';
import { buildLookup, scalarOf, SetLookup, type Lookup, type Scalar } from './sets.js';
import type { NftChanges, SetDelta } from './txn/cache.js';
import { TYPES, type TypeName } from './types.js';

/** What a base chain reports per traced step (the packet path adds node, hook and packet). */
export interface NftStep {
  family: Family;
  table: string;
  chain: string;
  handle: number | null;
  verdict: string;
  ruleText?: string;
  policy?: boolean;
}

export type NftStepSink = (s: NftStep) => void;

export interface CompiledBase {
  family: Family;
  table: string;
  chain: string;
  type: 'filter' | 'nat' | 'route';
  priority: number;
  regSeq: number;
  /** Returns true to let the packet go on to the next base chain, false for drop. */
  run(skb: Skb, env: NfEnv, onStep: NftStepSink | null): boolean;
}

export interface CompiledRuleset {
  byHook: Map<Hook, CompiledBase[]>;
  /** A rule needs conntrack (a ct expression, a nat statement; see `usesCt`): the kernel then tracks every packet. */
  needsConntrack: boolean;
  /** Some nat chain exists: the nat core then runs at all four nat hooks (nf_nat_register_fn registers them together). */
  hasNat: boolean;
  /** Each table's compiled chains and set lookups, kept for the next change to reuse. */
  tables: Map<Table, TableCompiler>;
}

const HOOK_OF: Record<string, Hook> = {
  prerouting: 'PREROUTING',
  input: 'INPUT',
  forward: 'FORWARD',
  output: 'OUTPUT',
  postrouting: 'POSTROUTING',
};

type Key = (skb: Skb, env: NfEnv) => Scalar | undefined;
/** 0: go on with the rule; 1: the rule does not match; 2: the rule gave a verdict (in `res`). */
type Op = (skb: Skb, env: NfEnv, res: Res) => 0 | 1 | 2;

interface Res {
  v: Verdict | null;
}

interface CRule {
  rule: Rule;
  ops: Op[];
}

interface CChain {
  chain: Chain;
  rules: CRule[];
}

const CT_STATE_BITS: Record<string, number> = { INVALID: 1, ESTABLISHED: 2, RELATED: 4, NEW: 8, UNTRACKED: 64 };
const PKTTYPE: Record<string, number> = { unicast: 0, broadcast: 1, multicast: 2 };

/**
 * A rule whose expressions the kernel initialises with nf_ct_netns_get: a `ct` expression (as a match,
 * a key, a value, `ct … set`) or a nat statement. Measured on Linux 6.18: these make a namespace track
 * IPv4 from an ip or inet table, in a base chain or not; a nat base chain whose rules only accept or
 * count, and `notrack`, do not; and deleting the last such rule stops tracking again.
 */
function usesCt(stmts: Stmt[]): boolean {
  const inExpr = (e: Expr): boolean =>
    e.k === 'ct' ||
    (e.k === 'concat' && e.parts.some(inExpr)) ||
    ((e.k === 'binop' || e.k === 'map') && inExpr(e.k === 'map' ? e.key : e.left));
  return stmts.some(
    (s) =>
      (s.k === 'match' && inExpr(s.left)) ||
      (s.k === 'vmap' && inExpr(s.key)) ||
      s.k === 'ctset' ||
      s.k === 'nat' ||
      (s.k === 'metaset' && inExpr(s.value)) ||
      (s.k === 'setupd' && inExpr(s.key)),
  );
}

/**
 * Compiles the base chains; `prev` is the ruleset compiled before a change, with
 * what the change touched already forgotten (`forget`), so every chain and set
 * the change left alone keeps its compiled form.
 */
export function compileRuleset(rs: Ruleset, prev?: CompiledRuleset): CompiledRuleset {
  const byHook = new Map<Hook, CompiledBase[]>();
  const tables = new Map<Table, TableCompiler>();
  let needsConntrack = false;
  let hasNat = false;
  for (const t of rs.tables) {
    if (t.family !== 'ip' && t.family !== 'inet') continue;
    const c = prev?.tables.get(t) ?? new TableCompiler(t);
    tables.set(t, c);
    if (c.ctRules > 0) needsConntrack = true;
    for (const ch of t.chains) {
      if (!ch.base) continue;
      const hook = HOOK_OF[ch.base.hook];
      if (!hook) continue;
      if (ch.base.type === 'nat') hasNat = true;
      const list = byHook.get(hook) ?? [];
      list.push(c.base(ch));
      byHook.set(hook, list);
    }
  }
  // Ascending priority; at equal priority the chain registered last runs first (the kernel inserts before its equals).
  for (const list of byHook.values()) list.sort((a, b) => a.priority - b.priority || b.regSeq - a.regSeq);
  return { byHook, needsConntrack, hasNat, tables };
}

/**
 * Drops the compiled forms a committed change made stale. True when `prev` is then
 * whole again: no base chain or table changed (base chains hold their compiled
 * chain, other chains are found by name when jumped to); whether conntrack is
 * needed follows the changed chains' rules. Otherwise `compileRuleset(rs, prev)`
 * rebuilds the hook lists, reusing every chain and set the change left alone.
 */
export function forget(prev: CompiledRuleset, ch: NftChanges): boolean {
  for (const [t, names] of ch.chains) prev.tables.get(t)?.forgetChains(names);
  for (const [t, sets] of ch.sets) prev.tables.get(t)?.forgetSets(sets);
  if (ch.hooks) return false;
  prev.needsConntrack = false;
  for (const c of prev.tables.values()) if (c.ctRules > 0) prev.needsConntrack = true;
  return true;
}

class TableCompiler {
  private readonly chains = new Map<string, CChain>();
  private readonly lookups = new Map<string, SetLookup>();
  private readonly nowRef = { now: () => 0 };

  /** Rules that need conntrack, by chain name, kept up to date as chains change (a full scan at 62,000 rules is too slow per update). */
  private readonly ctByChain = new Map<string, number>();
  /** Rules in the table that need conntrack (see `usesCt`). */
  ctRules = 0;

  constructor(readonly t: Table) {
    for (const ch of t.chains) this.countCt(ch.name);
  }

  forgetChains(names: Iterable<string>): void {
    for (const n of names) {
      this.chains.delete(n);
      this.countCt(n);
    }
  }

  private countCt(name: string): void {
    const ch = this.t.chainByName.get(name);
    let n = 0;
    if (ch) for (const r of ch.rules) if (usesCt(r.stmts)) n++;
    this.ctRules += n - (this.ctByChain.get(name) ?? 0);
    if (n) this.ctByChain.set(name, n);
    else this.ctByChain.delete(name);
  }

  forgetSets(sets: Map<string, SetDelta>): void {
    for (const [name, delta] of sets) this.lookups.get(name)?.apply(delta);
  }

  base(ch: Chain): CompiledBase {
    const cc = this.chain(ch);
    const policy = ch.base!.policy;
    const t = this.t;
    return {
      family: t.family,
      table: t.name,
      chain: ch.name,
      type: ch.base!.type,
      priority: ch.base!.priority,
      regSeq: ch.regSeq,
      run: (skb, env, onStep) => {
        this.nowRef.now = () => env.now() / 1000;
        const v = walk(this, cc, skb, env, onStep);
        if (v === null) {
          onStep?.({ family: t.family, table: t.name, chain: ch.name, handle: null, verdict: policy, policy: true });
          return policy === 'accept';
        }
        return v.v !== 'drop';
      },
    };
  }

  chain(ch: Chain): CChain {
    let cc = this.chains.get(ch.name);
    if (cc) return cc;
    cc = { chain: ch, rules: [] };
    this.chains.set(ch.name, cc);
    cc.rules = ch.rules.map((r) => ({ rule: r, ops: this.ops(r.stmts) }));
    return cc;
  }

  private ops(stmts: Stmt[]): Op[] {
    const ops = stmts.map((s) => this.stmt(s));
    // In an ip table nft gives `reject with tcp reset` a `meta l4proto tcp` it does not list (measured
    // with --debug=netlink): the rule does not match other packets. An inet table lists it (parser.ts).
    if (this.t.family === 'ip' && stmts.some((s) => s.k === 'reject' && s.kind === 'tcp')) ops.unshift((skb) => (skb.pkt.tcp ? 0 : 1));
    return ops;
  }

  byName(name: string): CChain {
    return this.chain(this.t.chainByName.get(name)!);
  }

  private lookup(name: string): Lookup {
    let l = this.lookups.get(name);
    if (!l) {
      l = new SetLookup(() => {
        const s = this.t.setByName.get(name)!;
        return buildLookup(s.elems.values(), s.keyTypes.length, s.flags.includes('interval'), () => this.nowRef.now());
      });
      this.lookups.set(name, l);
    }
    return l;
  }

  /** A map lookup as a value: the data of the packet's key, or undefined when the map has no such key. */
  private mapValue(e: Extract<Expr, { k: 'map' }>): Key {
    const keys = keysOf(e.key);
    const look =
      e.map.k === 'ref' ? this.lookup(e.map.name) : buildLookup(e.map.k === 'set' ? e.map.set.elems : [], keys.length, false, () => 0);
    const buf = new Array<Scalar>(keys.length);
    return (skb, env) => {
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i](skb, env);
        if (k === undefined) return undefined;
        buf[i] = k;
      }
      const d = look.get(buf);
      return Array.isArray(d) && d.length ? scalarOf(d[0]) : undefined;
    };
  }

  private stmt(s: Stmt): Op {
    switch (s.k) {
      case 'match':
        return this.match(s.left, s.op, s.right);
      case 'vmap': {
        const keys = keysOf(s.key);
        const look =
          s.map.k === 'ref' ? this.lookup(s.map.name) : buildLookup(s.map.k === 'set' ? s.map.set.elems : [], keys.length, false, () => 0);
        const buf = new Array<Scalar>(keys.length);
        return (skb, env, res) => {
          for (let i = 0; i < keys.length; i++) {
            const k = keys[i](skb, env);
            if (k === undefined) return 1;
            buf[i] = k;
          }
          const d = look.get(buf);
          if (d === undefined || d === true || Array.isArray(d)) return 1;
          res.v = d;
          return 2;
        };
      }
      case 'verdict':
        return (_skb, _env, res) => {
          res.v = s.verdict;
          return 2;
        };
      case 'counter':
        return (skb) => {
          s.packets++;
          s.bytes += packetBytes(skb);
          return 0;
        };
      case 'log':
        return (skb, env) => {
          env.log(`${s.prefix ?? ''}IN=${skb.inIf ?? ''} OUT=${skb.outIf ?? ''}`);
          return 0;
        };
      case 'limit':
        return limitOp(s);
      case 'reject': {
        const how = rejectHow(s);
        return (skb, env, res) => {
          env.reject(skb, how);
          res.v = DROP;
          return 2;
        };
      }
      case 'metaset': {
        const val = s.value.k === 'map' ? this.mapValue(s.value) : valueOf(s.value);
        if (s.key === 'mark')
          return (skb, env) => {
            const v = val(skb, env);
            if (typeof v === 'number') skb.mark = v >>> 0;
            return 0;
          };
        if (s.key === 'nftrace')
          return (skb, env) => {
            if (val(skb, env) === 1) skb.traced = true;
            return 0;
          };
        return () => 0;
      }
      case 'ctset': {
        const val = s.value.k === 'map' ? this.mapValue(s.value) : valueOf(s.value);
        return (skb, env) => {
          const v = val(skb, env);
          if (skb.ct && typeof v === 'number') skb.ct.mark = v >>> 0;
          return 0;
        };
      }
      case 'nat':
        return s.nat.map?.k === 'map' ? natMapOp(s.nat, this.mapValue(s.nat.map)) : natOp(s.nat);
      case 'notrack':
        return (skb, env) => {
          env.ctTemplate(skb, { notrack: true });
          return 0;
        };
      case 'setupd': {
        const keys = keysOf(s.key);
        const set = this.t.setByName.get(s.set)!;
        const timeout = s.timeoutMs ?? set.timeoutMs;
        return (skb, env) => {
          const key: Scalar[] = [];
          for (const k of keys) {
            const v = k(skb, env);
            if (v === undefined) return 0;
            key.push(v);
          }
          const now = env.now() / 1000;
          this.lookup(s.set).add(key, timeout === null ? null : now + timeout);
          return 0;
        };
      }
    }
  }

  private match(left: Expr, op: string | null, right: Rhs): Op {
    // A concatenation compared with one value is a lookup in a set of that one element.
    if (left.k === 'concat' && right.k === 'val')
      return this.match(left, op, {
        k: 'set',
        set: { elems: [{ key: right.key, data: null }], handle: 0, interval: right.key.hi !== null, isMap: false },
      });
    if (right.k === 'ref' || right.k === 'set') {
      const keys = keysOf(left);
      const look = right.k === 'ref' ? null : buildLookup(right.set.elems, keys.length, right.set.interval, () => 0);
      const name = right.k === 'ref' ? right.name : '';
      const neg = op === '!=';
      const buf = new Array<Scalar>(keys.length);
      return (skb, env) => {
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i](skb, env);
          if (k === undefined) return 1;
          buf[i] = k;
        }
        const hit = (look ?? this.lookup(name)).get(buf) !== undefined;
        return hit !== neg ? 0 : 1;
      };
    }
    const val = valueOf(left);
    const type = typeOfExpr(left);
    if (right.k === 'mask') {
      const v = Number(right.value.n);
      const m = Number(right.mask.n);
      const neg = op === '!=';
      return (skb, env) => {
        const x = val(skb, env);
        if (typeof x !== 'number') return 1;
        return ((x & m) === v) !== neg ? 0 : 1;
      };
    }
    return relational(val, type, op, right.key, left.k === 'binop');
  }
}

const DROP: Verdict = { v: 'drop' };

function packetBytes(skb: Skb): number {
  return packetLength(skb.pkt);
}

function typeOfExpr(e: Expr): TypeName | null {
  if (e.k === 'concat') return null;
  if (e.k === 'binop') return typeOfExpr(e.left);
  if (e.k === 'const') return e.v.type;
  return e.type;
}

function relational(val: Key, type: TypeName | null, op: string | null, key: ElemKey, binop: boolean): Op {
  const lo = scalarOf(key.lo[0]);
  const hi = key.hi ? scalarOf(key.hi[0]) : lo;
  const bitmask = type !== null && TYPES[type].kind === 'bitmask' && op === null && !binop;
  if (typeof lo === 'string') {
    const wild = lo.endsWith('*');
    const prefix = lo.slice(0, -1);
    const eq = (x: Scalar | undefined): boolean => typeof x === 'string' && (wild ? x.startsWith(prefix) : x === lo);
    return op === '!='
      ? (skb, env) => (val(skb, env) !== undefined && !eq(val(skb, env)) ? 0 : 1)
      : (skb, env) => (eq(val(skb, env)) ? 0 : 1);
  }
  const l = lo;
  const h = hi as number;
  if (bitmask) return (skb, env) => ((((val(skb, env) as number) ?? 0) & l) !== 0 ? 0 : 1);
  switch (op) {
    case '!=':
      return (skb, env) => {
        const x = val(skb, env);
        return typeof x === 'number' && (x < l || x > h) ? 0 : 1;
      };
    case '<':
      return (skb, env) => ((val(skb, env) as number) < l ? 0 : 1);
    case '>':
      return (skb, env) => ((val(skb, env) as number) > l ? 0 : 1);
    case '<=':
      return (skb, env) => ((val(skb, env) as number) <= l ? 0 : 1);
    case '>=':
      return (skb, env) => ((val(skb, env) as number) >= l ? 0 : 1);
    default:
      return (skb, env) => {
        const x = val(skb, env);
        return typeof x === 'number' && x >= l && x <= h ? 0 : 1;
      };
  }
}

function keysOf(e: Expr): Key[] {
  return e.k === 'concat' ? e.parts.map(valueOf) : [valueOf(e)];
}

/** How a selector reads the packet: undefined when the header is absent (the rule then does not match). */
function valueOf(e: Expr): Key {
  switch (e.k) {
    case 'const': {
      const v = scalarOf(e.v);
      return () => v;
    }
    case 'binop': {
      const l = valueOf(e.left);
      const r = Number(e.right.n);
      if (e.op === '&') return (skb, env) => ((l(skb, env) as number) & r) >>> 0;
      if (e.op === '|') return (skb, env) => ((l(skb, env) as number) | r) >>> 0;
      return (skb, env) => ((l(skb, env) as number) ^ r) >>> 0;
    }
    case 'concat':
      throw new Error('concatenation read as one value');
    case 'map':
      throw new Error('a map lookup is compiled with its table (TableCompiler.mapValue)');
    case 'payload':
      return payload(e.proto, e.field);
    case 'meta':
      return meta(e.key);
    case 'ct':
      return ct(e.key, e.dir);
    case 'fib':
      return fib(e.flags, e.result, e.type === 'boolean');
    case 'numgen': {
      const { mod, offset } = e;
      if (e.mode === 'random') return (_skb, env) => Math.floor(env.rng.nextFloat() * mod) + offset;
      const inc = numgenCounter(e);
      return () => (inc.n++ % mod) + offset;
    }
  }
}

/**
 * The kernel's `numgen inc` counter belongs to its rule's expression, so it survives every other
 * change to the ruleset; kept by the expression here, a recompile (of this chain or another) goes on
 * counting where it was, and a rule replaced or added anew starts at 0 as the kernel's does.
 */
const numgenCounters = new WeakMap<Expr, { n: number }>();

function numgenCounter(e: Expr): { n: number } {
  let c = numgenCounters.get(e);
  if (!c) numgenCounters.set(e, (c = { n: 0 }));
  return c;
}

function payload(proto: string, field: string): Key {
  switch (proto) {
    case 'ip':
      switch (field) {
        case 'saddr':
          return (skb) => skb.pkt.src >>> 0;
        case 'daddr':
          return (skb) => skb.pkt.dst >>> 0;
        case 'protocol':
          return (skb) => skb.pkt.proto;
        case 'ttl':
          return (skb) => skb.pkt.ttl;
        case 'id':
          return (skb) => skb.pkt.id;
        case 'length':
          return (skb) => packetBytes(skb);
        case 'dscp':
          return (skb) => skb.pkt.tos >> 2;
        case 'version':
          return () => 4;
      }
      break;
    case 'tcp':
      if (field === 'sport') return (skb) => skb.pkt.tcp?.sport;
      if (field === 'dport') return (skb) => skb.pkt.tcp?.dport;
      if (field === 'flags') return (skb) => skb.pkt.tcp?.flags;
      if (field === 'window') return (skb) => skb.pkt.tcp?.window;
      if (field === 'sequence') return (skb) => skb.pkt.tcp?.seq;
      if (field === 'ackseq') return (skb) => skb.pkt.tcp?.ack;
      break;
    case 'udp':
      if (field === 'sport') return (skb) => skb.pkt.udp?.sport;
      if (field === 'dport') return (skb) => skb.pkt.udp?.dport;
      break;
    case 'th':
      if (field === 'sport') return (skb) => skb.pkt.tcp?.sport ?? skb.pkt.udp?.sport;
      if (field === 'dport') return (skb) => skb.pkt.tcp?.dport ?? skb.pkt.udp?.dport;
      break;
    case 'icmp':
      if (field === 'type') return (skb) => skb.pkt.icmp?.type;
      if (field === 'code') return (skb) => skb.pkt.icmp?.code;
      if (field === 'id') return (skb) => skb.pkt.icmp?.id;
      if (field === 'sequence') return (skb) => skb.pkt.icmp?.seq;
      break;
    default:
      break;
  }
  // ip6, icmpv6, sctp, ether: headers an IPv4 packet through the IP hooks does not have.
  return () => undefined;
}

function meta(key: string): Key {
  switch (key) {
    case 'mark':
      return (skb) => skb.mark >>> 0;
    case 'l4proto':
      return (skb) => skb.pkt.proto;
    case 'nfproto':
      return () => 2;
    case 'protocol':
      return () => 0x0800;
    // Without a device the kernel reads an empty name (and index 0): `iifname != "x"` matches a local packet.
    case 'iif':
    case 'iifname':
      return (skb) => skb.inIf ?? '';
    case 'oif':
    case 'oifname':
      return (skb) => skb.outIf ?? '';
    case 'skuid':
      return (skb) => skb.socket?.uid;
    case 'skgid':
      return (skb) => skb.socket?.gid;
    case 'pkttype':
      return (skb) => PKTTYPE[skb.pktType];
    case 'length':
      return (skb) => packetBytes(skb);
    case 'nftrace':
      return (skb) => (skb.traced ? 1 : 0);
    default:
      return () => undefined;
  }
}

function ct(key: string, dir: 'original' | 'reply' | null): Key {
  switch (key) {
    case 'state':
      return (skb) => (skb.ct || skb.ctState === 'UNTRACKED' ? CT_STATE_BITS[skb.ctState] : 1);
    case 'status':
      return (skb) => skb.ct?.status;
    case 'mark':
      return (skb) => (skb.ct ? skb.ct.mark >>> 0 : undefined);
    case 'direction':
      return (skb) => (skb.ct ? (skb.ctReply ? 1 : 0) : undefined);
    case 'protocol':
      return (skb) => skb.ct?.orig.proto;
    default:
      break;
  }
  const tuple = (skb: Skb) =>
    skb.ct ? (dir === 'reply' ? skb.ct.reply : dir === 'original' ? skb.ct.orig : skb.ctReply ? skb.ct.reply : skb.ct.orig) : null;
  if (key === 'ip saddr') return (skb) => tuple(skb)?.src;
  if (key === 'ip daddr') return (skb) => tuple(skb)?.dst;
  if (key === 'proto-src') return (skb) => tuple(skb)?.sport;
  if (key === 'proto-dst') return (skb) => tuple(skb)?.dport;
  return () => undefined;
}

function fib(flags: string[], result: string, presence: boolean): Key {
  const useSaddr = flags.includes('saddr');
  const iif = flags.includes('iif');
  if (result === 'type')
    return (skb, env) => {
      const bits = env.addrType(useSaddr ? skb.pkt.src : skb.pkt.dst, iif ? skb.inIf : null);
      // The route type: the lowest RTN_* bit the address has (unicast when none).
      for (let t = 0; t < 12; t++) if (bits & (1 << t)) return t;
      return 1;
    };
  if (presence && useSaddr)
    return (skb, env) => (env.rpfilter(skb, { loose: !iif, validMark: flags.includes('mark'), acceptLocal: false }) ? 1 : 0);
  return () => undefined;
}

function rejectHow(s: Extract<Stmt, { k: 'reject' }>): RejectWith {
  if (s.kind === 'tcp') return 'tcp-reset';
  switch (s.code) {
    // icmpx's no-route is ICMP's net-unreachable for IPv4 (nft_reject's icmpx table).
    case 'no-route':
    case 'net-unreachable':
      return 'icmp-net-unreachable';
    case 'host-unreachable':
      return 'icmp-host-unreachable';
    case 'prot-unreachable':
      return 'icmp-proto-unreachable';
    case 'net-prohibited':
      return 'icmp-net-prohibited';
    case 'host-prohibited':
      return 'icmp-host-prohibited';
    case 'admin-prohibited':
      return 'icmp-admin-prohibited';
    default:
      return 'icmp-port-unreachable';
  }
}

const UNIT_MS: Record<string, number> = { second: 1000, minute: 60000, hour: 3600000, day: 86400000, week: 604800000 };

/** A token bucket, as nft_limit: `burst` packets (default 5) refilled at `rate` per unit. */
function limitOp(s: Extract<Stmt, { k: 'limit' }>): Op {
  const perMs = s.rate / UNIT_MS[s.unit];
  const burst = s.bytes ? 0 : (s.burst ?? 5);
  let tokens = Math.max(1, burst);
  let last = -1;
  return (skb, env) => {
    const now = env.now() / 1000;
    if (last >= 0) tokens = Math.min(Math.max(1, burst), tokens + (now - last) * perMs);
    last = now;
    const cost = s.bytes ? packetBytes(skb) / (s.bytes === 'kbytes' ? 1024 : s.bytes === 'mbytes' ? 1048576 : 1) : 1;
    const within = tokens >= cost;
    if (within) tokens -= cost;
    return within !== s.over ? 0 : 1;
  };
}

function natOp(n: NatSpec): Op {
  const kind = n.type === 'dnat' ? 'DNAT' : n.type === 'snat' ? 'SNAT' : n.type === 'masquerade' ? 'MASQUERADE' : 'REDIRECT';
  const range = {
    mapIps: n.addr !== null,
    minIp: n.addr ? Number(n.addr.lo[0].n) : 0,
    maxIp: n.addr ? Number((n.addr.hi ?? n.addr.lo)[0].n) : 0,
    protoSpecified: n.port !== null,
    minPort: n.port ? Number(n.port.lo[0].n) : 0,
    maxPort: n.port ? Number((n.port.hi ?? n.port.lo)[0].n) : 0,
    random: n.flags.includes('random'),
    randomFully: n.flags.includes('fully-random'),
    persistent: n.flags.includes('persistent'),
  };
  return (skb, env, res) => {
    const v = env.nat(skb, kind, range);
    res.v = v === 'ACCEPT' ? ACCEPT : DROP;
    return 2;
  };
}

/** NAT to the address a map gives for the packet; no entry: the rule does nothing (as the kernel's lookup breaks). */
function natMapOp(n: NatSpec, addr: Key): Op {
  const kind = n.type === 'dnat' ? 'DNAT' : 'SNAT';
  const flags = {
    random: n.flags.includes('random'),
    randomFully: n.flags.includes('fully-random'),
    persistent: n.flags.includes('persistent'),
  };
  return (skb, env, res) => {
    const a = addr(skb, env);
    if (typeof a !== 'number') return 1;
    const v = env.nat(skb, kind, { mapIps: true, minIp: a, maxIp: a, protoSpecified: false, minPort: 0, maxPort: 0, ...flags });
    res.v = v === 'ACCEPT' ? ACCEPT : DROP;
    return 2;
  };
}

const ACCEPT: Verdict = { v: 'accept' };

/** Whether a nat chain bound the connection for this hook's manipulation. */
export function natBound(skb: Skb, hook: Hook): boolean {
  const st = skb.ct?.status ?? 0;
  return hook === 'PREROUTING' || hook === 'OUTPUT' ? (st & IPS_DST_NAT_DONE) !== 0 : (st & IPS_SRC_NAT_DONE) !== 0;
}

const verdictText = (v: Verdict | null): string => (v === null ? 'continue' : v.chain !== undefined ? `${v.v} ${v.chain}` : v.v);

/** Walks a base chain; null means it fell off the end (the policy decides). */
function walk(tc: TableCompiler, base: CChain, skb: Skb, env: NfEnv, onStep: NftStepSink | null): Verdict | null {
  const stack: Array<{ c: CChain; i: number }> = [];
  let cur = base;
  let i = 0;
  const res: Res = { v: null };
  for (;;) {
    if (i >= cur.rules.length) {
      if (cur === base) return null;
      const top = stack.pop();
      if (!top) return null;
      cur = top.c;
      i = top.i;
      continue;
    }
    const r = cur.rules[i++];
    res.v = null;
    let outcome: 0 | 1 | 2 = 0;
    for (const op of r.ops) {
      outcome = op(skb, env, res);
      if (outcome !== 0) break;
    }
    if (outcome === 1) continue;
    if (onStep) {
      const family = tc.t.family;
      onStep({
        family,
        table: tc.t.name,
        chain: cur.chain.name,
        handle: r.rule.handle,
        verdict: verdictText(res.v),
        // As `nft monitor trace` shows it: the listing from before this packet was counted.
        ruleText: printRule(r.rule, family, { packets: 1, bytes: packetBytes(skb) }),
      });
    }
    const v = res.v as Verdict | null;
    if (v === null || v.v === 'continue') continue;
    switch (v.v) {
      case 'accept':
      case 'drop':
        return v;
      case 'return': {
        const top = stack.pop();
        if (!top) return null;
        cur = top.c;
        i = top.i;
        break;
      }
      case 'jump':
        if (stack.length >= 16) return DROP;
        stack.push({ c: cur, i });
        cur = tc.byName(v.chain!);
        i = 0;
        break;
      case 'goto':
        cur = tc.byName(v.chain!);
        i = 0;
        break;
    }
  }
}
