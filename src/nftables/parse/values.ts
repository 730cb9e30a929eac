/**
 * Values, set and map elements and verdicts in a rule or an `{ elements }` block, with the rule
 * parser's state that their checks read; the base of the expression and statement parsers.
 */
import { type Elem, elemId, type ElemKey, type Expr, type Family, type Loc, type Rhs, type Verdict } from '../ast.js';
import { NftSyntaxError, type Tok } from '../lexer.js';
import type { KernelChecks } from './cmd.js';
import { err, isNumberWord, locOf, TokenCursor, unexpected } from './tokens.js';
import { parseLiteral, type TypeName, type Value } from '../types.js';

/**
 * An anonymous interval set as nft sends it: overlapping and adjacent elements merged into one
 * range, in ascending order (`{ 10.0.0.1-10.0.0.9, 10.0.0.0/8 }` lists `{ 10.0.0.0/8 }`).
 */
function mergeIntervals(elems: Elem[]): Elem[] {
  const rs = elems.map((e) => ({ lo: e.key.lo[0], hi: (e.key.hi ?? e.key.lo)[0], e }));
  rs.sort((a, b) => (a.lo.n < b.lo.n ? -1 : a.lo.n > b.lo.n ? 1 : 0));
  const out: typeof rs = [];
  for (const r of rs) {
    const last = out[out.length - 1];
    if (last && r.lo.n <= last.hi.n + 1n) {
      if (r.hi.n > last.hi.n) last.hi = r.hi;
      last.e = { ...last.e, key: { lo: [last.lo], hi: [last.hi] } };
    } else out.push({ ...r });
  }
  return out.map((r) => (r.lo.n === r.hi.n && r.e.key.hi !== null ? { ...r.e, key: { lo: [r.lo], hi: null } } : r.e));
}

/** Durations as nft writes them: `1h`, `30s`, `1d2h`, `500ms`; a bare number is seconds. */
export function parseDuration(w: string): number | null {
  if (/^\d+$/.test(w)) return Number(w) * 1000;
  const re = /(\d+)(ms|d|h|m|s)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(w)) !== null) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60000 : m[2] === 'h' ? n * 3600000 : n * 86400000;
    pos = re.lastIndex;
  }
  return pos === w.length && pos > 0 ? total : null;
}

export const VERDICTS = new Set(['accept', 'drop', 'continue', 'return', 'jump', 'goto']);

export class ValueParser extends TokenCursor {
  /** The transport protocol the rule has matched so far (`tcp dport`, `meta l4proto udp`): nft's protocol context. */
  protected l4: string | null = null;
  /** Where the transport header that set `l4` was named (`udp dport`), which nft underlines in a conflict with it. */
  protected l4Tok: Tok | null = null;
  /** The NAT statement's keyword, underlined in nft's error about a port without a transport match. */
  protected natTok: Tok | null = null;
  protected readonly checks: KernelChecks = { fib: [], refusal: null };
  /** Reading a whole rule (not a command's elements): value errors wait for the rule's syntax errors. */
  protected inRule = false;
  /** The transport protocol is known from the packet (`meta l4proto`, `ip protocol`, a header), not from conntrack. */
  protected l4Header = false;
  /** The network protocol is known: the family's, or matched (`ip ...`, `meta nfproto`). */
  protected l3Known: boolean;
  /** A value nft cannot type (`symbolStmt`, a conntrack port): the rule's refusal once it is read to its end. */
  protected symbolError: NftSyntaxError | null = null;
  /** The largest value the expression being compared can take (`numgen ... mod N offset O`: N + O - 1). */
  protected maxValue: bigint | null = null;
  /** Where a `reject with icmp|icmpv6` names its code, for nft's error about a conflicting network protocol. */
  protected rejectCode: Tok | null = null;

  constructor(
    t: Tok[],
    protected readonly family: Family,
    /** The namespace's interfaces, where nft looks `iif|oif NAME` up (unknown: any name is taken). */
    private readonly ifaces?: ReadonlySet<string>,
  ) {
    super(t);
    this.l3Known = family === 'ip' || family === 'ip6';
  }

  /** The first thing the kernel refuses in the rule, from `from` to `to`, whatever the chain. */
  protected refuse(from: Tok, to: Tok, message: string): void {
    this.checks.refusal ??= { loc: { line: from.line, col: from.col, end: to.end }, message };
  }

  /** The kernel (6.18 here) has no conntrack for the netdev, bridge and arp families: a ct expression there is refused. */
  protected noConntrack(from: Tok, to: Tok): void {
    if (this.family === 'netdev' || this.family === 'bridge' || this.family === 'arp')
      this.refuse(from, to, 'Could not process rule: Protocol error');
  }

  /** A word where nft's grammar takes an expression, and so also a variable: an undefined `$NAME` is unknown there. */
  protected word(): Tok {
    const t = this.peek();
    if (t.kind === 'op' && t.v === '$' && this.peek(1).kind === 'word') throw err(this.peek(1), `unknown identifier '${this.peek(1).v}'`);
    return this.bareWord();
  }
  /** A word where nft's grammar takes no variable (a field name, a verdict, a number): `$` is a syntax error there. */
  protected bareWord(expecting?: string): Tok {
    const t = this.peek();
    if (t.kind !== 'word' && t.kind !== 'str') throw unexpected(t, expecting);
    return this.next();
  }
  protected number(): number {
    const t = this.bareWord('number');
    if (!/^\d+$/.test(t.v)) throw unexpected(t, 'number');
    return Number(t.v);
  }

  protected bitmaskList(t: TypeName): Value {
    let n = 0n;
    do {
      const w = this.word();
      // `syn/syn,ack` arrives as one word from the lexer.
      const parts = w.v.split('/');
      const lit = parseLiteral(t, parts[0], false, this.ifaces);
      if (!lit.ok) throw err(w, lit.message);
      n |= lit.value.n;
      if (parts.length > 1) {
        this.t.splice(this.i, 0, { ...w, kind: 'op', v: '/' }, { ...w, kind: 'word', v: parts.slice(1).join('/') });
        break;
      }
    } while (this.accept(',') || this.accept('|'));
    return { type: t, n };
  }

  protected setRhs(keyTypes: TypeName[], dataType: TypeName | 'verdict' | null): Rhs {
    if (this.is('@')) {
      const at = this.next();
      const n = this.word();
      return { k: 'ref', name: n.v, loc: { line: at.line, col: at.col, end: n.end } };
    }
    const start = this.i;
    let elems = this.elementBlock(keyTypes, dataType, false);
    const interval = elems.some((e) => e.key.hi !== null);
    if (elems.length === 1 && dataType === null && elems[0].comment === undefined && keyTypes.length === 1) {
      // nft turns a one-element anonymous set into the element itself.
      return { k: 'val', key: elems[0].key };
    }
    if (elems.length === 0) throw err(this.t[start], 'syntax error, empty set');
    if (interval && dataType === null && keyTypes.length === 1) elems = mergeIntervals(elems);
    else {
      // An element written twice is one element (the first).
      const seen = new Set<string>();
      elems = elems.filter((e) => !seen.has(elemId(e.key)) && (seen.add(elemId(e.key)), true));
    }
    return { k: 'set', set: { elems, handle: 0, interval, isMap: dataType !== null } };
  }

  /** `keysOnly`: a map's elements named for deletion, without their data. */
  /** `locs`: where each element's key is written, for the errors that point at one element. */
  elementBlock(keyTypes: TypeName[], dataType: TypeName | 'verdict' | null, _interval: boolean, keysOnly = false, locs?: Loc[]): Elem[] {
    this.expect('{');
    // nft's grammar wants at least one element.
    if (this.is('}')) throw unexpected(this.peek());
    const out: Elem[] = [];
    while (!this.is('}')) {
      // An empty block's end is plainly unexpected; after an element nft wants more of them or the end.
      if (this.peek().kind === 'eof') throw unexpected(this.peek(), out.length ? "comma or '}'" : undefined);
      const first = this.peek();
      const key = this.elemKey(keyTypes, dataType !== null && !keysOnly && this.inRule ? 'colon' : "comma or '}'");
      const keyEnd = this.t[this.i - 1];
      const elem: Elem = { key, data: null };
      for (;;) {
        if (this.accept('timeout')) {
          const d = this.word();
          const ms = parseDuration(d.v);
          if (ms === null) throw err(d, 'invalid timeout value');
          elem.timeoutMs = ms;
        } else if (this.accept('expires')) {
          this.word();
        } else if (this.accept('comment')) {
          elem.comment = this.word().v;
        } else if (this.is('counter')) {
          this.i++;
          if (this.accept('packets')) {
            this.number();
            this.expect('bytes');
            this.number();
          }
        } else break;
      }
      // A map element's place takes in its timeout and comment (not its data); a set element's is its key.
      const last = this.is(':') ? this.t[this.i - 1] : keyEnd;
      locs?.push({ line: first.line, col: first.col, end: last.line === first.line ? last.end : first.end });
      if (this.accept(':')) {
        if (dataType === null) throw err(this.peek(), 'syntax error, unexpected colon');
        if (dataType === 'verdict') elem.data = this.verdict();
        else elem.data = [this.literal(dataType, this.word())];
      } else if (dataType !== null && !keysOnly) {
        // A command's map element may lack its data to nft's grammar (the kernel refuses it); a rule's may not.
        if (this.inRule) throw unexpected(this.peek(), 'colon');
        if (!this.is(',') && !this.is('}')) throw unexpected(this.peek(), "comma or '}'");
      }
      out.push(elem);
      if (!this.accept(',')) break;
    }
    if (!this.is('}')) throw unexpected(this.peek(), "comma or '}'");
    this.i++;
    return out;
  }

  protected verdict(): Verdict {
    const t = this.bareWord();
    if (t.v === 'jump' || t.v === 'goto') {
      // A chain's name is an identifier; nft's grammar offers only an anonymous chain's `{` instead.
      if (this.peek().kind === 'str' || isNumberWord(this.peek().v)) throw unexpected(this.peek(), "'{'");
      const c = this.word();
      return { v: t.v, chain: c.v, loc: locOf(c) };
    }
    if (VERDICTS.has(t.v)) return { v: t.v as Verdict['v'] };
    throw unexpected(t, 'verdict');
  }

  /** One key: values joined by ` . `, each possibly a range `a-b` or prefix `a/n`. */
  /** `next`: what nft's grammar takes after a whole key here (for its syntax error where a field is missing). */
  protected elemKey(types: TypeName[], next?: string): ElemKey {
    const lo: Value[] = [];
    const hi: Value[] = [];
    let isRange = false;
    let plen: number | undefined;
    types.forEach((ty, idx) => {
      // nft's grammar takes a concatenation of any length: a word where a `.` should be is unexpected after the key.
      if (idx > 0 && next && !this.is('.') && this.peek().kind === 'word') throw unexpected(this.peek(), next);
      if (idx > 0) this.expect('.');
      const t = this.word();
      const r = this.rangeOrValue(ty, t);
      lo.push(r.lo);
      hi.push(r.hi ?? r.lo);
      if (r.hi) isRange = true;
      if (types.length === 1) plen = r.plen;
    });
    if (this.is('.')) throw err(this.peek(), `datatype mismatch: concatenation has ${types.length} fields`);
    const key: ElemKey = { lo, hi: isRange ? hi : null };
    if (plen !== undefined) key.plen = plen;
    return key;
  }

  /** A value beyond what the compared expression can take: nft refuses it where it stands. */
  private inRange(v: Value, line: number, col: number, end: number): void {
    if (this.maxValue !== null && v.n > this.maxValue)
      throw new NftSyntaxError(`Value ${v.n} exceeds valid range 0-${this.maxValue}`, line, col, end);
  }

  protected rangeOrValue(ty: TypeName, t: Tok): { lo: Value; hi: Value | null; plen?: number } {
    const r = this.deferred(
      () => this.rangeOrValueOf(ty, t),
      () => ({ lo: { type: ty, n: 0n }, hi: null }),
    );
    if (this.maxValue === null) return r;
    // `lo-hi` in one word, or `lo - hi` in three.
    const dash = t.kind === 'word' && r.hi ? findRangeDash(t.v) : -1;
    this.inRange(r.lo, t.line, t.col, dash > 0 ? t.col + dash : t.end);
    if (r.hi) {
      const h = dash > 0 ? { line: t.line, col: t.col + dash + 1, end: t.end } : this.t[this.i - 1];
      this.inRange(r.hi, h.line, h.col, h.end);
    }
    return r;
  }

  private rangeOrValueOf(ty: TypeName, t: Tok): { lo: Value; hi: Value | null; plen?: number } {
    const whole = parseLiteral(ty, t.v, t.kind === 'str', this.ifaces);
    if (whole.ok) {
      if (this.is('-') && this.peek(1).kind === 'word') {
        this.i++;
        const hiTok = this.word();
        const hi = parseLiteral(ty, hiTok.v, false, this.ifaces);
        if (!hi.ok) throw err(hiTok, hi.message);
        return { lo: whole.value, hi: hi.value };
      }
      return { lo: whole.value, hi: null };
    }
    if (t.kind === 'word') {
      const slash = t.v.lastIndexOf('/');
      if (slash > 0 && (ty === 'ipv4_addr' || ty === 'ipv6_addr')) {
        const base = parseLiteral(ty, t.v.slice(0, slash), false);
        const len = Number(t.v.slice(slash + 1));
        const bits = ty === 'ipv4_addr' ? 32 : 128;
        if (base.ok && Number.isInteger(len) && len >= 0 && len <= bits) {
          const host = (1n << BigInt(bits - len)) - 1n;
          return { lo: { type: ty, n: base.value.n & ~host }, hi: { type: ty, n: base.value.n | host }, plen: len };
        }
      }
      const dash = findRangeDash(t.v);
      if (dash > 0) {
        const a = parseLiteral(ty, t.v.slice(0, dash), false);
        const b = parseLiteral(ty, t.v.slice(dash + 1), false);
        if (a.ok && b.ok) {
          if (a.value.n > b.value.n) throw err(t, 'Range has zero or negative size');
          return { lo: a.value, hi: b.value };
        }
      }
    }
    throw err(t, whole.message);
  }

  protected literal(ty: TypeName, t: Tok): Value {
    const r = parseLiteral(ty, t.v, t.kind === 'str', this.ifaces);
    if (!r.ok) {
      if (!this.inRule) throw err(t, r.message);
      this.symbolError ??= err(t, r.message);
      return { type: ty, n: 0n };
    }
    return r.value;
  }

  /**
   * A value nft cannot read is its evaluation's error, found after every syntax error of the rule:
   * in a rule it is kept (the first one) and the rule read on with a stand-in value.
   */
  /** An error of nft's evaluation found while reading a rule: it waits for the rule's syntax errors (see `deferred`). */
  protected evalError(e: NftSyntaxError): void {
    if (!this.inRule) throw e;
    this.symbolError ??= e;
  }

  private deferred<T>(read: () => T, standIn: () => T): T {
    try {
      return read();
    } catch (e) {
      if (!this.inRule || !(e instanceof NftSyntaxError) || e.message.startsWith('syntax error')) throw e;
      this.symbolError ??= e;
      return standIn();
    }
  }

  /** `KEY map { k : v, ... }` or `KEY map @m`, the data of type `data`. */
  protected mapOf(key: Expr, data: TypeName): Expr {
    this.expect('map');
    return { k: 'map', key, map: this.setRhs(exprTypes(key), data), type: data };
  }
}

/** The index of the `-` that separates a range, not one inside a name such as `echo-request`. */
function findRangeDash(w: string): number {
  for (let i = 1; i < w.length; i++) if (w[i] === '-' && /[0-9a-fA-F.:]/.test(w[i - 1]) && /[0-9a-fA-F:]/.test(w[i + 1] ?? '')) return i;
  return -1;
}

export function exprTypes(e: Expr): TypeName[] {
  switch (e.k) {
    case 'concat':
      return e.parts.flatMap(exprTypes);
    case 'binop':
      return exprTypes(e.left);
    case 'const':
      return [e.v.type];
    default:
      return [e.type];
  }
}
