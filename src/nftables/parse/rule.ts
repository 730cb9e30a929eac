/** A rule's statements, as nft's grammar reads them, and the checks it and the kernel make of them. */
import { type Elem, type Expr, FAMILIES, type Family, type Loc, type NatSpec, type Op, type Stmt } from '../ast.js';
import { BARE_META, FIELD_BITS, PAYLOAD_FIELDS, UNSUPPORTED } from '../exprs.js';
import { NftSyntaxError, type Tok } from '../lexer.js';
import type { RuleAst } from './cmd.js';
import { ExprParser } from './expr.js';
import { networkContext, normalise, protoMatch } from './normalise.js';
import { err, NAME_KEYWORDS, unexpected } from './tokens.js';
import { exprTypes, parseDuration, VERDICTS } from './values.js';
import { type TypeName, TYPES } from '../types.js';

/** How nft's grammar names what a `comment` or `log prefix` takes. */
const NFT_STRING = 'string or quoted string or string with a trailing asterisk';

/** Transport protocol names, values on a relation's right (`meta l4proto tcp`). */
const L4_VALUES = new Set(['tcp', 'udp', 'udplite', 'icmp', 'icmpv6', 'igmp', 'esp', 'ah', 'comp', 'dccp', 'sctp']);

/** Whether nft's scanner reads a word in a rule as a keyword (as it does where a command names its objects). */
const ruleKeyword = (w: string): boolean => NAME_KEYWORDS.has(w) || (FAMILIES as readonly string[]).includes(w);

/** Keywords a rule's statement may start with (besides a protocol's name). */
const STMT_KEYWORDS = new Set([
  ...VERDICTS,
  ...BARE_META,
  ...'counter log limit reject dnat snat masquerade redirect notrack comment queue add update fib numgen meta ct th'.split(' '),
]);

/** The transport protocols nft 1.0.6 has a description of, by number; it calls any other `unknown`. */
const L4_NAMES: Record<number, string> = {
  1: 'icmp',
  2: 'igmp',
  6: 'tcp',
  17: 'udp',
  33: 'dccp',
  50: 'esp',
  51: 'ah',
  58: 'icmpv6',
  108: 'comp',
  132: 'sctp',
  136: 'udplite',
};

/** Parses a rule's tokens (as `ruleTokens` cut them) for a table of `family`. */
export function parseRule(toks: Tok[], family: Family, ifaces?: ReadonlySet<string>): RuleAst {
  return new RuleParser(toks, family, ifaces).rule();
}

/** Parses `{ elements }` tokens for a set of the given key and data types. */
export function parseElements(
  toks: Tok[],
  keyTypes: TypeName[],
  dataType: TypeName | 'verdict' | null,
  interval: boolean,
  keysOnly = false,
  locs?: Loc[],
  ifaces?: ReadonlySet<string>,
): Elem[] {
  const p = new RuleParser(toks, 'ip', ifaces);
  return p.elementBlock(keyTypes, dataType, interval, keysOnly, locs);
}

export class RuleParser extends ExprParser {
  rule(): RuleAst {
    this.inRule = true;
    try {
      const r = this.ruleOf();
      if (this.symbolError) throw this.symbolError;
      return r;
    } catch (e) {
      // nft evaluates statements in order: a symbol it cannot type is refused before what follows it.
      if (this.symbolError && e instanceof NftSyntaxError && !e.message.startsWith('syntax error')) throw this.symbolError;
      throw e;
    }
  }

  /**
   * A statement that starts with a word nft's scanner does not know (or a quoted string): its
   * grammar reads a symbol compared with a value (`bogus state`, `tpc filter`), which its evaluation
   * refuses at the symbol, after every syntax error of the rule. nflab reads it as far as nft's
   * grammar does, for the same syntax errors.
   */
  private symbolStmt(): Stmt {
    const sym = this.next();
    // An address with a prefix: the symbol ends at its `/`, which nothing here takes.
    const slash = sym.kind === 'word' && /^[0-9a-fA-F:.]+\/\d+$/.test(sym.v) ? sym.v.indexOf('/') : -1;
    if (slash > 0) throw new NftSyntaxError('syntax error, unexpected /', sym.line, sym.col + slash, sym.col + slash + 1);
    // Protocol names are values to nft's grammar though its scanner knows them.
    const value = (x: Tok) => x.kind === 'str' || (x.kind === 'word' && (!ruleKeyword(x.v) || L4_VALUES.has(x.v)));
    if (this.peek().kind === 'op' && ['==', '!=', '<', '>', '<=', '>='].includes(this.peek().v)) this.i++;
    if (!value(this.peek())) throw unexpected(this.peek());
    this.i++;
    while (this.is(',')) {
      this.i++;
      if (!value(this.peek())) throw unexpected(this.peek());
      this.i++;
    }
    const n = this.peek();
    const starts = n.kind === 'str' || (n.kind === 'word' && (!ruleKeyword(n.v) || STMT_KEYWORDS.has(n.v) || n.v in PAYLOAD_FIELDS));
    if (n.kind !== 'eof' && !starts)
      throw unexpected(n, this.t[this.t.length - 1].inBlock ? 'newline or semicolon' : 'end of file or newline or semicolon');
    this.symbolError ??= new NftSyntaxError('No symbol type information', sym.line, sym.col, sym.end);
    return { k: 'counter', packets: 0, bytes: 0 };
  }

  private ruleOf(): RuleAst {
    const stmts: Stmt[] = [];
    let comment: string | null = null;
    while (this.peek().kind !== 'eof') {
      const t = this.peek();
      if (t.v === 'comment' && t.kind === 'word') {
        this.i++;
        comment = this.bareWord(NFT_STRING).v;
        // A rule's comment is its last word.
        if (this.peek().kind !== 'eof')
          throw unexpected(this.peek(), this.t[this.t.length - 1].inBlock ? 'newline or semicolon' : 'end of file or newline or semicolon');
        continue;
      }
      stmts.push(this.stmt());
    }
    const out = normalise(stmts, this.family);
    if (this.family === 'inet') this.rejectDependency(out);
    return this.checks.fib.length || this.checks.refusal || this.checks.reject || this.checks.nat
      ? { stmts: out, comment, kernel: this.checks }
      : { stmts: out, comment };
  }

  /**
   * In an inet table nft makes a reject depend on the protocol it answers in, as measured on nft 1.0.6
   * (src/nftables/fixtures/printing/reject-deps.*, reject-bare.*): `reject with tcp reset` without a TCP
   * match gets `meta l4proto tcp` in front of the rule, and lists it; `reject with icmp|icmpv6` without an
   * IPv4|IPv6 match gets `meta nfproto ipv4|ipv6` in front. A bare `reject` after a match that fixes the
   * network protocol (`ip …`, `icmp …`, `ip6 …`, `icmpv6 …`, `meta nfproto ipv4|ipv6`; not `meta l4proto`,
   * `meta protocol`, `ct original ip saddr` or a transport match) is an ICMP one of that family, listed in
   * full as `reject with icmp port-unreachable`. A user's `meta nfproto` that only states the reject's
   * family is left out of the listing unless a statement other than a match (a counter, a log) stands
   * between it and the reject.
   */
  private rejectDependency(stmts: Stmt[]): void {
    let ri = stmts.findIndex((s) => s.k === 'reject');
    if (ri < 0) return;
    const r = stmts[ri] as Extract<Stmt, { k: 'reject' }>;
    if (r.kind === 'tcp') {
      if (this.l4 === null) stmts.unshift(protoMatch('l4proto', 'inet_proto', 6n));
      return;
    }
    let dep = -1;
    let have: number | null = null;
    for (let i = 0; i < ri; i++) {
      const s = stmts[i];
      if (s.k !== 'match') continue;
      const ctx = networkContext(s);
      if (ctx === null) continue;
      have ??= ctx;
      if (s.left.k === 'meta') dep = i;
    }
    if (r.kind === null && have !== null) stmts[ri] = { k: 'reject', kind: have === 2 ? 'icmp' : 'icmpv6', code: 'port-unreachable' };
    const kind = (stmts[ri] as Extract<Stmt, { k: 'reject' }>).kind;
    if (kind !== 'icmp' && kind !== 'icmpv6') return;
    const want = kind === 'icmp' ? 2 : 10;
    if (have !== null && have !== want) {
      // nft names the two in this order whichever side each is on, without the dot of its other conflicts.
      throw err(this.rejectCode!, 'conflicting protocols specified: ip vs ip6');
    }
    if (have === null) {
      stmts.unshift(protoMatch('nfproto', 'nf_proto', BigInt(want)));
      dep = 0;
      ri++;
    }
    if (dep >= 0 && stmts.slice(dep + 1, ri).every((s) => s.k === 'match')) stmts.splice(dep, 1);
  }

  private stmt(): Stmt {
    const t = this.peek();
    if (t.kind === 'str' || (t.kind === 'word' && !ruleKeyword(t.v) && !UNSUPPORTED.has(t.v))) return this.symbolStmt();
    if (t.v === '$' && t.kind === 'op') this.word();
    if (t.kind !== 'word') throw unexpected(t);
    const w = t.v;
    if (VERDICTS.has(w)) return { k: 'verdict', verdict: this.verdict() };
    switch (w) {
      case 'counter': {
        this.i++;
        let packets = 0;
        let bytes = 0;
        if (this.accept('packets')) {
          packets = this.number();
          this.expect('bytes');
          bytes = this.number();
        }
        return { k: 'counter', packets, bytes };
      }
      case 'log':
        return this.log();
      case 'limit':
        return this.limit();
      case 'reject':
        return this.reject();
      case 'dnat':
      case 'snat':
      case 'masquerade':
      case 'redirect':
        return { k: 'nat', nat: this.nat() };
      case 'notrack':
        this.i++;
        return { k: 'notrack' };
      case 'update':
      case 'add':
        if (this.peek(1).v === '@') return this.setUpdate();
        break;
      default:
        break;
    }
    if (UNSUPPORTED.has(w)) throw err(t, `nflab does not support the ${w} expression yet`);
    const startTok = this.peek();
    const prior = this.checks.refusal;
    const left = this.exprWithConcat();
    const endTok = this.t[this.i - 1];
    if (this.is('set') && (left.k === 'meta' || left.k === 'ct')) {
      // The kernel refuses a set statement as a whole, after the expressions of its value.
      this.checks.refusal = prior;
      this.i++;
      const vt = this.peek();
      let value: Expr;
      if (vt.kind === 'word' && (vt.v === 'meta' || vt.v === 'ct' || BARE_META.has(vt.v)) && !/^\d/.test(vt.v))
        value = this.binopTail(this.primary());
      else if (vt.kind === 'word' && vt.v in PAYLOAD_FIELDS) value = this.exprWithConcat();
      else value = { k: 'const', v: this.literal(left.type, this.word()) };
      if (this.is('map')) value = this.mapOf(value, left.type);
      if (left.k === 'ct') this.noConntrack(startTok, this.t[this.i - 1]);
      return left.k === 'meta' ? { k: 'metaset', key: left.key, value } : { k: 'ctset', key: left.key, value };
    }
    if (this.is('vmap')) {
      this.i++;
      if (!this.is('{') && !this.is('@') && !this.is('$')) throw unexpected(this.peek(), "@ or '{' or '$'");
      const map = this.setRhs(exprTypes(left), 'verdict');
      return { k: 'vmap', key: left, map };
    }
    if (this.is('map')) throw err(this.peek(), 'nflab does not support map lookups outside vmap and nat yet');
    const rel = this.relational(left);
    if (left.k === 'concat' && rel.k === 'match' && rel.right.k === 'val')
      throw new NftSyntaxError('Use concatenations with sets and maps, not singleton values', startTok.line, startTok.col, endTok.end);
    return rel;
  }

  private relational(left: Expr): Stmt {
    let op: Op | null = null;
    const t = this.peek();
    if (t.kind === 'op' && ['==', '!=', '<', '>', '<=', '>='].includes(t.v)) {
      op = t.v as Op;
      this.i++;
    } else if (t.kind === 'word' && (t.v === 'eq' || t.v === 'ne' || t.v === 'lt' || t.v === 'gt' || t.v === 'le' || t.v === 'ge')) {
      op = ({ eq: '==', ne: '!=', lt: '<', gt: '>', le: '<=', ge: '>=' } as const)[t.v];
      this.i++;
    }
    if (this.peek().kind === 'eof') throw unexpected(this.peek());
    // nft checks nothing where the largest value would be 0 (`mod 0`, `mod 1`).
    const bits = left.k === 'payload' ? FIELD_BITS[`${left.proto}.${left.field}`] : undefined;
    this.maxValue =
      left.k === 'numgen' && left.mod + left.offset > 1
        ? BigInt(left.mod + left.offset - 1)
        : bits !== undefined
          ? (1n << BigInt(bits)) - 1n
          : null;
    try {
      return this.relationalRhs(left, op, t);
    } finally {
      this.maxValue = null;
    }
  }

  private relationalRhs(left: Expr, op: Op | null, t: Tok): Stmt {
    // A conntrack port's type comes from the packet's transport protocol; `ct protocol` does not give it.
    if (left.k === 'ct' && (left.key === 'proto-src' || left.key === 'proto-dst') && !this.l4Header) {
      const v = this.is('{') ? this.peek(1) : this.peek();
      this.symbolError ??= err(v, "Can't parse symbolic invalid expressions");
    }
    const types = exprTypes(left);
    const rt = this.peek();
    // nft's scanner reads a leading `-` as its own token: `tcp dport > -1` is a syntax error there.
    if (rt.kind === 'word' && rt.v.startsWith('-')) throw new NftSyntaxError('syntax error, unexpected -', rt.line, rt.col, rt.col + 1);
    if (rt.v === '{' || rt.v === '@') return this.protoContext({ k: 'match', left, op, right: this.setRhs(types, null) });
    const baseType = types.length === 1 ? TYPES[types[0]] : null;
    if (baseType && baseType.kind === 'bitmask') {
      const value = this.bitmaskList(types[0]);
      if (this.accept('/')) {
        const mask = this.bitmaskList(types[0]);
        return { k: 'match', left, op, right: { k: 'mask', value, mask } };
      }
      return { k: 'match', left, op, right: { k: 'val', key: { lo: [value], hi: null } } };
    }
    // An interface name is a string to nft's grammar: a keyword cannot stand there.
    if (types.length === 1 && types[0] === 'ifname' && rt.kind === 'word' && ruleKeyword(rt.v)) throw unexpected(rt);
    const key = this.elemKey(types);
    if (left.k === 'fib') this.checks.fib.push({ flags: left.flags, result: left.result });
    if (key.hi !== null && op !== null && op !== '==' && op !== '!=') {
      // nft compares a range only for (in)equality; it underlines the operator beside the range.
      const last = this.t[this.i - 1];
      throw new NftSyntaxError(`Relational expression (${op}) is undefined for range expressions`, rt.line, rt.col, last.end, {
        col: t.col,
        end: t.end,
      });
    }
    return this.protoContext({ k: 'match', left, op, right: { k: 'val', key } });
  }

  /**
   * A match on the transport protocol (`meta l4proto`, `ip protocol`, `ct [original|reply] protocol`)
   * sets nft's protocol context: a later `tcp`, `udp`, ... header of another protocol conflicts. An
   * anonymous set sets it from its first element (nft 1.0.6); a range or `!=` sets nothing.
   */
  private protoContext(s: Stmt): Stmt {
    if (s.k !== 'match' || (s.op !== null && s.op !== '==')) return s;
    const l = s.left;
    if (l.k === 'meta' && l.key === 'nfproto') this.l3Known = true;
    const onProto =
      (l.k === 'meta' && l.key === 'l4proto') ||
      (l.k === 'payload' && l.proto === 'ip' && l.field === 'protocol') ||
      (l.k === 'ct' && l.key === 'protocol');
    if (!onProto) return s;
    const key = s.right.k === 'val' ? s.right.key : s.right.k === 'set' ? s.right.set.elems[0]?.key : undefined;
    if (key && key.hi === null && key.lo.length === 1) {
      this.l4 = L4_NAMES[Number(key.lo[0].n)] ?? 'unknown';
      this.l4Tok = null;
      // `ct protocol` gives nft the transport protocol only once it knows the network protocol.
      if (l.k !== 'ct' || this.l3Known) this.l4Header = true;
    }
    return s;
  }

  private log(): Stmt {
    this.i++;
    const s = {
      k: 'log' as const,
      prefix: null as string | null,
      level: null as string | null,
      flags: null as string | null,
      group: null as number | null,
    };
    for (;;) {
      if (this.accept('prefix')) s.prefix = this.bareWord(NFT_STRING).v;
      else if (this.accept('level')) s.level = this.word().v;
      else if (this.accept('group')) s.group = this.number();
      else if (this.accept('flags')) {
        // `tcp sequence,options`, `ip options`, `skuid`, `ether`, `all`: a protocol word heads its own flags.
        const head = this.word().v;
        let f = head;
        if (head === 'tcp' || head === 'ip') {
          f += ` ${this.word().v}`;
          while (this.accept(',')) f += `,${this.word().v}`;
        } else while (this.accept(',')) f += `,${this.word().v}`;
        s.flags = f;
      } else break;
    }
    if (s.level === 'warn') s.level = null;
    return s;
  }

  private limit(): Stmt {
    this.i++;
    this.expect('rate');
    const over = this.accept('over');
    const r = this.bareWord('number');
    const m = /^(\d+)\/(second|minute|hour|day|week)$/.exec(r.v);
    let rate: number;
    let unit: string;
    let bytes: string | null = null;
    if (m) {
      rate = Number(m[1]);
      unit = m[2];
    } else if (/^\d+$/.test(r.v)) {
      rate = Number(r.v);
      const u = this.word();
      const bm = /^(bytes|kbytes|mbytes)\/(second|minute|hour|day|week)$/.exec(u.v);
      if (!bm) throw unexpected(u, 'rate unit');
      bytes = bm[1];
      unit = bm[2];
    } else throw unexpected(r, 'rate');
    let burst: number | null = null;
    let burstBytes: string | null = null;
    if (this.accept('burst')) {
      burst = this.number();
      const u = this.word();
      if (u.v !== 'packets' && u.v !== 'bytes' && u.v !== 'kbytes' && u.v !== 'mbytes') throw unexpected(u, 'packets or bytes');
      if (u.v !== 'packets') burstBytes = u.v;
    }
    return { k: 'limit', rate, unit, bytes, over, burst: burst === 5 && bytes === null ? null : burst, burstBytes };
  }

  private reject(): Stmt {
    const start = this.next();
    this.checks.reject = true;
    // The kernel here has no reject for the bridge family: the expression is not found.
    if (this.family === 'bridge') this.refuse(start, start, 'Could not process rule: No such file or directory');
    if (!this.accept('with')) return { k: 'reject', kind: null, code: null };
    const kind = this.word();
    if (kind.v === 'tcp') {
      const r = this.t[this.i - 3];
      if (this.l4 !== null && this.l4 !== 'tcp') {
        const rel = this.l4Tok && this.l4Tok.line === r.line ? { col: this.l4Tok.col, end: this.l4Tok.end } : undefined;
        throw new NftSyntaxError('you cannot use tcp reset with this protocol', r.line, r.col, r.end, rel);
      }
      this.expect('reset');
      return { k: 'reject', kind: 'tcp', code: 'reset' };
    }
    if (kind.v !== 'icmp' && kind.v !== 'icmpx' && kind.v !== 'icmpv6') throw unexpected(kind, 'icmp, icmpx, icmpv6 or tcp');
    this.accept('type');
    const code = this.word();
    // nft underlines the `reject` beside the code.
    if (kind.v === 'icmpx' && (this.family === 'ip' || this.family === 'ip6'))
      throw new NftSyntaxError(
        'abstracted ICMP unreachable not supported',
        code.line,
        code.col,
        code.end,
        start.line === code.line ? { col: start.col, end: start.end } : undefined,
      );
    this.rejectCode = code;
    return { k: 'reject', kind: kind.v, code: code.v };
  }

  private nat(): NatSpec {
    const t = this.next();
    this.natTok = t;
    const type = t.v as NatSpec['type'];
    (this.checks.nat ??= []).push(type);
    const spec: NatSpec = { type, family: null, addr: null, port: null, flags: [] };
    if (type === 'dnat' || type === 'snat') {
      if (this.is('ip') || this.is('ip6')) spec.family = this.next().v as 'ip' | 'ip6';
      this.expect('to');
      const at = this.family === 'ip6' || spec.family === 'ip6' ? 'ipv6_addr' : 'ipv4_addr';
      if (this.family === 'inet' && spec.family === null) throw err(t, 'ip or ip6 must be specified with address for inet tables.');
      const nw = this.peek();
      if (nw.kind === 'word' && (nw.v in PAYLOAD_FIELDS || nw.v === 'meta' || nw.v === 'ct' || nw.v === 'numgen' || BARE_META.has(nw.v))) {
        // The address from a map keyed by the packet (`dnat to ip daddr map { ... }`).
        spec.map = this.mapOf(this.exprWithConcat(), at);
      } else this.natTarget(this.word(), at, spec);
    } else if (this.accept('to')) {
      const w = this.word();
      if (!w.v.startsWith(':')) throw unexpected(w, 'port');
      this.natTarget(w, null, spec);
    }
    while (this.is('random') || this.is('fully-random') || this.is('persistent')) {
      spec.flags.push(this.next().v);
      while (this.accept(',')) spec.flags.push(this.word().v);
    }
    return spec;
  }

  /** `ADDR[-ADDR][:PORT[-PORT]]` or `:PORT[-PORT]`. */
  private natTarget(w: Tok, at: TypeName | null, spec: NatSpec): void {
    let text = w.v;
    // nft also reads `to 10.0.0.1 : 80`, and `to :80` arrives as one word.
    if (this.is(':') && this.peek(1).kind === 'word') {
      this.i++;
      text += ':' + this.next().v;
    }
    let addrPart = text;
    let portPart: string | null = null;
    if (at === 'ipv4_addr' || at === null) {
      const c = text.lastIndexOf(':');
      if (c >= 0) {
        addrPart = text.slice(0, c);
        portPart = text.slice(c + 1);
      }
    } else if (text.startsWith('[')) {
      const m = /^\[([^\]]+)\](?::(.+))?$/.exec(text);
      if (!m) throw err(w, 'syntax error, unexpected junk');
      addrPart = m[1];
      portPart = m[2] ?? null;
    }
    if (addrPart !== '') {
      if (at === null) throw err(w, 'syntax error, unexpected address');
      const r = this.rangeOrValue(at, { ...w, v: addrPart });
      spec.addr = { lo: [r.lo], hi: r.hi ? [r.hi] : null };
    }
    if (portPart !== null) {
      if (this.l4 === null) {
        const col = w.col + Math.max(0, text.lastIndexOf(':') + 1);
        const n = this.natTok;
        throw new NftSyntaxError(
          'transport protocol mapping is only valid after transport protocol match',
          w.line,
          col,
          col + portPart.length,
          n && n.line === w.line ? { col: n.col, end: n.end } : undefined,
        );
      }
      const r = this.rangeOrValue('inet_service', { ...w, v: portPart });
      spec.port = { lo: [r.lo], hi: r.hi ? [r.hi] : null };
    }
  }

  private setUpdate(): Stmt {
    const op = this.next().v as 'add' | 'update';
    this.expect('@');
    const set = this.word().v;
    this.expect('{');
    const key = this.exprWithConcat();
    let timeoutMs: number | null = null;
    if (this.accept('timeout')) {
      const d = this.word();
      timeoutMs = parseDuration(d.v);
      if (timeoutMs === null) throw err(d, 'invalid timeout value');
    }
    this.expect('}');
    return { k: 'setupd', op, set, key, timeoutMs };
  }
}
