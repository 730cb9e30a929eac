/**
 * `nft list` output, byte for byte as nft 1.0.6 prints it (tabs, blank lines,
 * `# handle N` with -a, element order and wrapping, named priorities). Every
 * choice here was settled against the kernel (test/fixtures/corpus-nft).
 */
import type {
  AnonSet,
  Chain,
  Elem,
  NftHook,
  ElemKey,
  Expr,
  Family,
  NamedSet,
  NatSpec,
  Rhs,
  Rule,
  Ruleset,
  Stmt,
  Table,
  Verdict,
} from './ast.js';
import { UNQUALIFIED_META } from './exprs.js';
import { namedPriorities } from './parse/blocks.js';
import { printValue, sortKey, TYPES, valueBytes, type TypeName, type Value } from './types.js';

export interface PrintOpts {
  handles: boolean;
  /** Virtual time now, for `expires` of elements with a timeout. */
  nowMs?: number;
}

export function printPriority(p: number, family: Family, hook: NftHook): string {
  for (const [name, v, only] of namedPriorities(family)) {
    if (only !== null && only !== hook) continue;
    const off = p - v;
    if (Math.abs(off) > 10) continue;
    if (off === 0) return name;
    return `${name} ${off > 0 ? '+' : '-'} ${Math.abs(off)}`;
  }
  return String(p);
}

const h = (o: PrintOpts, n: number): string => (o.handles ? ` # handle ${n}` : '');

export function printRuleset(rs: Ruleset, o: PrintOpts, family: Family | null = null): string {
  let out = '';
  for (const t of rs.tables) if (family === null || t.family === family) out += printTable(t, o);
  return out;
}

export function printTable(t: Table, o: PrintOpts, only?: { chain?: string; set?: string }): string {
  let out = `table ${t.family} ${t.name} {${h(o, t.handle)}\n`;
  if (!only && t.comment !== null) out += `\tcomment "${t.comment}"\n`;
  if (!only && t.flags.length) out += `\tflags ${t.flags.join(',')}\n`;
  const blocks: string[] = [];
  for (const s of t.sets) if (!only || only.set === s.name) blocks.push(printSet(s, o));
  for (const c of t.chains) if (!only || only.chain === c.name) blocks.push(printChain(c, t.family, o));
  out += blocks.join('\n');
  return `${out}}\n`;
}

export function printChain(c: Chain, family: Family, o: PrintOpts): string {
  let out = `\tchain ${c.name} {${h(o, c.handle)}\n`;
  if (c.comment !== null) out += `\t\tcomment "${c.comment}"\n`;
  if (c.base) {
    const b = c.base;
    const dev = b.device ? ` device "${b.device}"` : '';
    out += `\t\ttype ${b.type} hook ${b.hook}${dev} priority ${printPriority(b.priority, family, b.hook)}; policy ${b.policy};\n`;
  }
  for (const r of c.rules) out += `\t\t${printRule(r, family)}${h(o, r.handle)}\n`;
  return `${out}\t}\n`;
}

function setFlags(s: NamedSet): string[] {
  const order = ['constant', 'dynamic', 'interval', 'timeout'];
  return order.filter((f) => s.flags.includes(f));
}

export function printSet(s: NamedSet, o: PrintOpts): string {
  const kw = s.isMap ? 'map' : 'set';
  let out = `\t${kw} ${s.name} {${h(o, s.handle)}\n`;
  if (s.typeofKey) {
    const data = s.typeofData ? printExpr(s.typeofData) : s.dataType;
    out += `\t\ttypeof ${printExpr(s.typeofKey)}${data ? ` : ${data}` : ''}\n`;
  } else out += `\t\ttype ${s.keyTypes.join(' . ')}${s.dataType ? ` : ${s.dataType}` : ''}\n`;
  if (s.policy === 'memory') out += `\t\tpolicy memory\n`;
  const size = s.size;
  // A constant set's size is not listed (measured).
  if (size !== null && !s.flags.includes('constant')) out += `\t\tsize ${size}\n`;
  const flags = setFlags(s);
  // nft leaves out `flags timeout` when it is the only flag and a default timeout implies it.
  if (flags.length && !(flags.length === 1 && flags[0] === 'timeout' && s.timeoutMs !== null)) out += `\t\tflags ${flags.join(',')}\n`;
  if (s.timeoutMs !== null) out += `\t\ttimeout ${formatDuration(s.timeoutMs)}\n`;
  if (s.counter) out += `\t\tcounter\n`;
  if (s.comment !== null) out += `\t\tcomment "${s.comment}"\n`;
  if (s.elems.size) {
    const interval = s.flags.includes('interval');
    const elems = sortElems([...s.elems.values()], interval);
    const perLine = s.keyTypes.length > 1 ? 0 : TYPES[s.keyTypes[0]].perLine;
    const parts = elems.map((e) => printElem(e, interval, s.timeoutMs, o));
    let body = '';
    let count = 0;
    parts.forEach((p, i) => {
      if (i > 0) {
        count++;
        if (perLine > 0 && count < perLine) body += ', ';
        else {
          body += ',\n\t\t\t     ';
          count = 0;
        }
      }
      body += p;
    });
    out += `\t\telements = { ${body} }\n`;
  }
  return `${out}\t}\n`;
}

/** Interval sets keep their elements in key order: strings by their bytes, as a big-endian number of fixed width. */
function intervalKey(v: Value): bigint {
  if (TYPES[v.type].kind !== 'str') return v.n;
  // A wildcard is the range of names that start with what comes before its `*`.
  const b = valueBytes(v.s?.endsWith('*') ? { ...v, s: v.s.slice(0, -1) } : v);
  let n = 0n;
  for (let i = 0; i < 16; i++) n = (n << 8n) | BigInt(b[i] ?? 0);
  return n;
}

/**
 * Elements in the order nft lists them: an interval set's by key, a concatenation with intervals
 * (the kernel's pipapo set) in the order they were added, any other by its sort key.
 */
export function sortElems(elems: Elem[], interval: boolean): Elem[] {
  if (interval && elems.length && elems[0].key.lo.length > 1) return elems;
  const keyed = elems.map((e) => ({ e, k: interval ? intervalKey(e.key.lo[0]) : sortKey(e.key.lo) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return keyed.map((x) => x.e);
}

function printElem(e: Elem, interval: boolean, setTimeout: number | null, o: PrintOpts): string {
  let s = printKey(e.key, interval);
  if (e.timeoutMs !== undefined) {
    if (e.timeoutMs !== setTimeout) s += ` timeout ${formatDuration(e.timeoutMs)}`;
    const left = e.timeoutMs - (o.nowMs ?? 0);
    s += ` expires ${formatDuration(Math.max(0, left))}`;
  } else if (setTimeout !== null) s += ` expires ${formatDuration(Math.max(0, setTimeout - (o.nowMs ?? 0)))}`;
  if (e.comment !== undefined) s += ` comment "${e.comment}"`;
  if (e.data !== null) s += ` : ${printData(e.data)}`;
  return s;
}

function printData(d: Verdict | Value[]): string {
  if (Array.isArray(d)) return d.map(printValue).join(' . ');
  return printVerdict(d);
}

export function printVerdict(v: Verdict): string {
  return v.chain !== undefined ? `${v.v} ${v.chain}` : v.v;
}

/** A key; in an interval set an aligned address range prints as its prefix. */
export function printKey(k: ElemKey, asPrefix: boolean): string {
  if (k.hi === null) return k.lo.map(printValue).join(' . ');
  if (k.lo.length === 1) {
    const lo = k.lo[0];
    const hi = k.hi[0];
    if (lo.n === hi.n) return printValue(lo);
    const bits = lo.type === 'ipv4_addr' ? 32 : lo.type === 'ipv6_addr' ? 128 : 0;
    if (bits && (asPrefix || k.plen !== undefined)) {
      const len = prefixLen(lo.n, hi.n, bits);
      if (len !== null) return `${printValue(lo)}/${len}`;
    }
    // nft prints a range of named values by number (`icmp code 1-5`).
    const d = TYPES[lo.type];
    if (d.symbols && d.kind !== 'bitmask' && d.kind !== 'str') return `${lo.n}-${hi.n}`;
    return `${printValue(lo)}-${printValue(hi)}`;
  }
  return k.lo.map((v, i) => printKey({ lo: [v], hi: v.n === k.hi![i].n ? null : [k.hi![i]] }, asPrefix)).join(' . ');
}

function prefixLen(lo: bigint, hi: bigint, bits: number): number | null {
  const span = hi - lo + 1n;
  if ((span & (span - 1n)) !== 0n) return null;
  const host = span.toString(2).length - 1;
  if ((lo & (span - 1n)) !== 0n) return null;
  return bits - host;
}

export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let r = ms;
  let out = '';
  const units: Array<[string, number]> = [
    ['d', 86400000],
    ['h', 3600000],
    ['m', 60000],
    ['s', 1000],
    ['ms', 1],
  ];
  for (const [u, v] of units) {
    const n = Math.floor(r / v);
    if (n > 0) {
      out += `${n}${u}`;
      r -= n * v;
    }
  }
  return out;
}

export function printExpr(e: Expr): string {
  switch (e.k) {
    case 'map':
      return `${printExpr(e.key)} map ${printRhs(e.map)}`;
    case 'payload':
      return `${e.proto} ${e.field}`;
    case 'meta':
      return UNQUALIFIED_META.has(e.key) ? e.key : `meta ${e.key}`;
    case 'ct':
      return `ct ${e.dir ? `${e.dir} ` : ''}${e.key}`;
    case 'fib':
      return `fib ${e.flags.join(' . ')} ${e.result}`;
    case 'numgen':
      return `numgen ${e.mode} mod ${e.mod}${e.offset ? ` offset ${e.offset}` : ''}`;
    case 'concat':
      return e.parts.map(printExpr).join(' . ');
    case 'binop':
      return `${printExpr(e.left)} ${e.op} ${printValue(e.right)}`;
    case 'const':
      return printValue(e.v);
  }
}

function printAnon(s: AnonSet): string {
  // A name with a wildcard is a range: nft sends such a set as an interval set.
  const wild = s.elems.some((e) => e.key.lo.some((v) => TYPES[v.type].kind === 'str' && v.s?.endsWith('*')));
  return `{ ${sortElems(s.elems, s.interval || wild)
    .map((e) => printKey(e.key, s.interval) + (e.data !== null ? ` : ${printData(e.data)}` : ''))
    .join(', ')} }`;
}

function printRhs(r: Rhs): string {
  switch (r.k) {
    case 'val':
      return printKey(r.key, false);
    case 'mask':
      return `${printValue(r.value)} / ${printValue(r.mask)}`;
    case 'set':
      return printAnon(r.set);
    case 'ref':
      return `@${r.name}`;
  }
}

function leftType(e: Expr): TypeName | null {
  return e.k === 'concat' ? null : e.k === 'binop' ? leftType(e.left) : e.k === 'const' ? e.v.type : e.type;
}

function printMatch(s: Extract<Stmt, { k: 'match' }>): string {
  const l = s.left;
  const lt = leftType(l);
  // nft lists a masked compare of tcp flags in its flag-mask form.
  if (
    l.k === 'binop' &&
    l.op === '&' &&
    l.left.k === 'payload' &&
    l.left.field === 'flags' &&
    s.right.k === 'val' &&
    (s.op === null || s.op === '==')
  ) {
    return `${printExpr(l.left)} ${printRhs(s.right)} / ${printValue(l.right)}`;
  }
  // A negated set of flags lists as their bitwise or (`ct state != established | related`; tcp flags as a number).
  if (s.op === '!=' && lt && TYPES[lt].kind === 'bitmask' && s.right.k === 'val' && s.right.key.hi === null) {
    const v = s.right.key.lo[0];
    if ((v.n & (v.n - 1n)) !== 0n)
      return `${printExpr(l)} != ${lt === 'tcp_flag' ? `0x${v.n.toString(16)}` : printValue(v).split(',').join(' | ')}`;
  }
  // An explicit `==` of several flags lists as their bitwise or without it (tcp flags as a number, with it).
  if (s.op === '==' && lt && TYPES[lt].kind === 'bitmask' && s.right.k === 'val' && s.right.key.hi === null) {
    const v = s.right.key.lo[0];
    if ((v.n & (v.n - 1n)) !== 0n)
      return lt === 'tcp_flag' ? `${printExpr(l)} == 0x${v.n.toString(16)}` : `${printExpr(l)} ${printValue(v).split(',').join(' | ')}`;
  }
  let op = '';
  if (s.op === '!=' || s.op === '<' || s.op === '>' || s.op === '<=' || s.op === '>=') op = ` ${s.op}`;
  // A lookup in a set lists without `==`.
  else if (s.right.k === 'set' || s.right.k === 'ref') op = '';
  else if (s.op === '==' && (l.k === 'binop' || (lt && TYPES[lt].kind === 'bitmask'))) op = ' ==';
  else if (s.op === null && l.k === 'binop') op = ' ==';
  return `${printExpr(l)}${op} ${printRhs(s.right)}`;
}

function printNat(n: NatSpec, family: Family): string {
  let s = n.type;
  if (n.family && family === 'inet') s += ` ${n.family}`;
  if (n.addr || n.port) {
    let target = '';
    if (n.addr) {
      const a = printKey(n.addr, false);
      target += n.port && n.addr.lo[0].type === 'ipv6_addr' ? `[${a}]` : a;
    }
    if (n.port) target += `:${printKey(n.port, false)}`;
    s += ` to ${target}`;
  }
  if (n.map) s += ` to ${printExpr(n.map)}`;
  if (n.flags.length) {
    const order = ['random', 'fully-random', 'persistent'];
    s += ` ${order.filter((f) => n.flags.includes(f)).join(',')}`;
  }
  return s;
}

/** `less`: counts to take off counters, for printing a rule as it was before it counted the packet being traced. */
export function printStmt(s: Stmt, family: Family, less?: { packets: number; bytes: number }): string {
  switch (s.k) {
    case 'match':
      return printMatch(s);
    case 'vmap':
      return `${printExpr(s.key)} vmap ${printRhs(s.map)}`;
    case 'verdict':
      return printVerdict(s.verdict);
    case 'counter':
      return `counter packets ${s.packets - (less?.packets ?? 0)} bytes ${s.bytes - (less?.bytes ?? 0)}`;
    case 'log': {
      let out = 'log';
      if (s.prefix !== null) out += ` prefix "${s.prefix}"`;
      if (s.group !== null) out += ` group ${s.group}`;
      if (s.level !== null) out += ` level ${s.level}`;
      if (s.flags !== null) out += ` flags ${s.flags}`;
      return out;
    }
    case 'limit': {
      const rate = s.bytes ? `${s.rate} ${s.bytes}/${s.unit}` : `${s.rate}/${s.unit}`;
      const burst = s.burst !== null && s.burst !== 0 ? ` burst ${s.burst} ${s.burstBytes ?? 'packets'}` : '';
      return `limit rate ${s.over ? 'over ' : ''}${rate}${burst}`;
    }
    case 'reject': {
      if (s.kind === null) return 'reject';
      if (s.kind === 'tcp') return 'reject with tcp reset';
      const dflt =
        (family === 'inet' && s.kind === 'icmpx') || (family === 'ip' && s.kind === 'icmp') || (family === 'ip6' && s.kind === 'icmpv6');
      if (dflt && s.code === 'port-unreachable') return 'reject';
      return `reject with ${s.kind} ${s.code}`;
    }
    case 'metaset':
      return `meta ${s.key} set ${printExpr(s.value)}`;
    case 'ctset':
      return `ct ${s.key} set ${printExpr(s.value)}`;
    case 'nat':
      return printNat(s.nat, family);
    case 'notrack':
      return 'notrack';
    case 'setupd':
      return `${s.op} @${s.set} { ${printExpr(s.key)}${s.timeoutMs !== null ? ` timeout ${formatDuration(s.timeoutMs)}` : ''} }`;
  }
}

export function printRule(r: Rule, family: Family, less?: { packets: number; bytes: number }): string {
  const parts = r.stmts.map((s) => printStmt(s, family, less));
  if (r.comment !== null) parts.push(`comment "${r.comment}"`);
  return parts.join(' ');
}
