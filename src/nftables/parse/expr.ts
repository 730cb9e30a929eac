/** Expressions in a rule: selectors (payload, meta, ct, fib, numgen), concatenations and binary operations. */
import type { Expr } from '../ast.js';
import { BARE_META, CT_KEYS, META_KEYS, PAYLOAD_FIELDS, UNSUPPORTED } from '../exprs.js';
import { NftSyntaxError } from '../lexer.js';
import { err, KEYWORDS, unexpected } from './tokens.js';
import { exprTypes, ValueParser } from './values.js';
import type { TypeName, Value } from '../types.js';

/** The meta keys nft 1.0.6 knows, in the order it lists them when it meets another. */
const NFT_META_KEYS =
  'length, protocol, priority, mark, iif, oif, iifname, oifname, iiftype, oiftype, skuid, skgid, nftrace, rtclassid, secmark, nfproto, l4proto, ibrname, obrname, pkttype, cpu, iifgroup, oifgroup, cgroup, random, ipsec, iifkind, oifkind, ibrpvid, ibrvproto, time, day, hour, sdif, sdifname'.split(
    ', ',
  );

/** The ct keys nft 1.0.6's grammar knows (after `ct`, or `ct original|reply`). */
const NFT_CT_KEYS = new Set(
  'state direction status mark expiration helper l3proto saddr daddr protocol proto-src proto-dst label bytes packets avgpkt zone event secmark id ip ip6'.split(
    ' ',
  ),
);

export class ExprParser extends ValueParser {
  /** One expression that must be all of the tokens. */
  wholeExpr(): Expr {
    const e = this.exprWithConcat();
    if (this.peek().kind !== 'eof') throw unexpected(this.peek());
    return e;
  }

  protected exprWithConcat(): Expr {
    const first = this.binopTail(this.primary());
    if (!this.is('.')) return first;
    const parts = [first];
    while (this.accept('.')) parts.push(this.primary());
    return { k: 'concat', parts };
  }

  protected binopTail(e: Expr): Expr {
    let cur = e;
    for (;;) {
      const t = this.peek();
      let op: '&' | '|' | '^' | null = null;
      if (t.v === '&' || t.v === 'and') op = '&';
      else if (t.v === '|' || t.v === 'or') op = '|';
      else if (t.v === '^' || t.v === 'xor') op = '^';
      if (!op) return cur;
      this.i++;
      const ty = exprTypes(cur)[0];
      let right: Value;
      if (this.accept('(')) {
        let n = 0n;
        do {
          n |= this.literal(ty, this.word()).n;
        } while (this.accept('|'));
        this.expect(')');
        right = { type: ty, n };
      } else right = this.literal(ty, this.word());
      // nft drops a mask that keeps every bit of a 32-bit field (`mark & 0xffffffff == 42` lists `meta mark 0x0000002a`).
      if (op === '&' && right.n === 0xffffffffn && (ty === 'mark' || ty === 'ipv4_addr')) continue;
      cur = { k: 'binop', op, left: cur, right };
    }
  }

  protected primary(): Expr {
    const t = this.word();
    const w = t.v;
    if (w in PAYLOAD_FIELDS && !(w === 'ip' && this.peek().v === 'to')) {
      const f = this.bareWord();
      const type = PAYLOAD_FIELDS[w][f.v];
      if (!type) throw unexpected(f);
      if (w === 'tcp' || w === 'udp' || w === 'icmp' || w === 'sctp') {
        if (this.l4 !== null && this.l4 !== w)
          this.evalError(new NftSyntaxError(`conflicting protocols specified: ${this.l4} vs. ${w}`, t.line, t.col, f.end));
        this.l4 = w;
        this.l4Tok = { ...t, end: f.end };
        this.l4Header = true;
      }
      // The family's network protocol conflicts with another's header (the whole `proto field` underlined).
      const conflict = (net: string) => new NftSyntaxError(`conflicting protocols specified: ${net} vs. ${w}`, t.line, t.col, f.end);
      if (w === 'ip6' && this.family === 'ip') this.evalError(conflict('ip'));
      if (w === 'ip' && this.family === 'ip6') this.evalError(conflict('ip6'));
      if (this.family === 'arp' && w !== 'th' && w !== 'ether') this.evalError(conflict('arp'));
      if (w === 'ip' || w === 'ip6' || w === 'icmp' || w === 'icmpv6') this.l3Known = true;
      return { k: 'payload', proto: w, field: f.v, type };
    }
    if (w === 'meta') {
      const k = this.word();
      const type = META_KEYS[k.v];
      if (!type && k.kind === 'word' && !NFT_META_KEYS.includes(k.v) && !['secpath', 'ibriport', 'obriport', 'broute'].includes(k.v))
        throw KEYWORDS.has(k.v)
          ? unexpected(k)
          : new NftSyntaxError(`syntax error, unexpected ${k.v}, known keys are ${NFT_META_KEYS.join(', ')}`, t.line, t.col, k.end);
      if (!type) throw err(k, `nflab does not support meta ${k.v} yet`);
      if (k.v === 'nfproto' && this.family !== 'inet')
        throw new NftSyntaxError('meta nfproto is only useful in the inet family', t.line, t.col, k.end);
      // The kernel sets nftrace but does not read it.
      if (k.v === 'nftrace') this.refuse(t, k, 'Could not process rule: Operation not supported');
      return { k: 'meta', key: k.v, type };
    }
    if (BARE_META.has(w)) return { k: 'meta', key: w, type: META_KEYS[w] };
    if (w === 'ct') {
      let dir: 'original' | 'reply' | null = null;
      if (this.is('original') || this.is('reply')) dir = this.next().v as 'original' | 'reply';
      const k = this.word();
      if ((k.v === 'ip' || k.v === 'ip6') && dir) {
        const f = this.word();
        if (f.v !== 'saddr' && f.v !== 'daddr') throw err(f, `syntax error, unexpected ${f.v}`);
        this.noConntrack(t, f);
        return { k: 'ct', key: `${k.v} ${f.v}`, dir, type: k.v === 'ip' ? 'ipv4_addr' : 'ipv6_addr' };
      }
      const type = CT_KEYS[k.v];
      if (!type && !NFT_CT_KEYS.has(k.v)) throw unexpected(k);
      if (!type) throw err(k, `nflab does not support ct ${k.v} yet`);
      this.noConntrack(t, k);
      return { k: 'ct', key: k.v, dir, type };
    }
    if (w === 'fib') {
      const flags = [this.word().v];
      while (this.accept('.')) flags.push(this.word().v);
      for (const f of flags) if (!['saddr', 'daddr', 'mark', 'iif', 'oif'].includes(f)) throw err(t, `syntax error, unexpected ${f}`);
      const r = this.word();
      if (r.v !== 'type' && r.v !== 'oif' && r.v !== 'oifname') throw unexpected(r, 'type, oif or oifname');
      const type: TypeName = r.v === 'type' ? 'fib_addrtype' : r.v === 'oif' ? 'iface_index' : 'ifname';
      // `fib ... oif missing|exists` compares presence, a boolean.
      const boolNext = this.is('missing') || this.is('exists');
      return { k: 'fib', flags, result: r.v, type: boolNext ? 'boolean' : type };
    }
    if (w === 'numgen') {
      const mode = this.word();
      if (mode.v !== 'random' && mode.v !== 'inc') throw unexpected(mode, 'random or inc');
      this.expect('mod');
      const mod = this.number();
      let offset = 0;
      if (this.accept('offset')) offset = this.number();
      if (mod === 0 && !this.checks.refusal) {
        const last = this.t[this.i - 1];
        this.checks.refusal = {
          loc: { line: t.line, col: t.col, end: last.end },
          message: 'Could not process rule: Numerical result out of range',
        };
      }
      return { k: 'numgen', mode: mode.v, mod, offset, type: 'integer' };
    }
    if (UNSUPPORTED.has(w)) throw err(t, `nflab does not support the ${w} expression yet`);
    throw err(t, `syntax error, unexpected ${/^[a-z]/.test(w) ? w : 'number'}`);
  }
}
