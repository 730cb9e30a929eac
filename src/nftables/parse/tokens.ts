/**
 * Token-level parsing shared by the command and rule parsers: the cursor, the names nft's syntax
 * errors give tokens, and `define` substitution.
 */
import type { Loc } from '../ast.js';
import { NftSyntaxError, type Tok } from '../lexer.js';

export const locOf = (t: Tok): Loc => ({ line: t.line, col: t.col, end: t.end });
export const err = (t: Tok, msg: string): NftSyntaxError => new NftSyntaxError(msg, t.line, t.col, t.end);

/**
 * Words nft's scanner reads as keywords; any other word is a `string` in its syntax errors
 * (`unexpected string` for `tpc`, `unexpected counter` for `counter`).
 */
export const KEYWORDS = new Set(
  (
    'table tables chain chains set sets map maps rule rules element elements ruleset flowtable flowtables counter counters ' +
    'quota quotas limit limits secmark ct helper helpers add create insert replace delete flush list reset rename export ' +
    'import monitor describe destroy get define redefine undefine include hook device devices priority policy type typeof ' +
    'flags size timeout gc-interval comment auto-merge handle index position accept drop continue return jump goto queue ' +
    'ip ip6 inet arp bridge netdev vlan ether tcp udp udplite sctp dccp th icmp icmpv6 igmp ah esp comp meta mark iif oif ' +
    'iifname oifname iiftype oiftype skuid skgid nftrace rtclassid pkttype cpu iifgroup oifgroup cgroup random ipsec saddr ' +
    'daddr sport dport protocol length version hdrlength dscp ecn id frag-off ttl checksum nexthdr hoplimit flowlabel ' +
    'sequence ackseq doff window urgptr option code mtu gateway state status direction original reply expiration l3proto ' +
    'proto-src proto-dst zone label event bytes packets log prefix level group snaplen queue-threshold reject with reset ' +
    'icmpx snat dnat masquerade redirect to persistent fully-random notrack fib numgen mod offset inc and or xor vmap over ' +
    'rate burst second minute hour day week interval dynamic constant l4proto nfproto emerg alert crit err warn notice info ' +
    'debug audit all fwd dup osf synproxy tproxy socket exthdr rt frag hbh dst mh meter quota update in at not until ' +
    'new established related invalid untracked memory performance'
  ).split(' '),
);

/** How nft's grammar names a punctuation token in `unexpected ...`: quoted characters, named separators, or bare. */
function opName(v: string): string {
  if (v === ',') return 'comma';
  if (v === ';') return 'semicolon';
  if (v === ':') return 'colon';
  return /^[{}()$|=[\]]$/.test(v) ? `'${v}'` : v;
}

/**
 * Words nft's scanner reads as keywords where a command names its table, chain or set (measured
 * with `nft add chain ip t WORD`): any other word is a name there, `state` or `new` included.
 */
export const NAME_KEYWORDS = new Set(
  (
    'all fwd dup osf synproxy socket exthdr rt frag hbh dst mh meter update not hour day interval dynamic constant and or ' +
    'xor random numgen fib notrack masquerade redirect snat dnat reset reject ecn cpu iifgroup oifgroup cgroup ipsec iiftype ' +
    'oiftype rtclassid pkttype skuid skgid nftrace iif oif iifname oifname mark meta ah esp comp igmp icmp icmpv6 th dccp ' +
    'sctp udplite udp tcp ether vlan monitor describe get define redefine undefine include export import rename list flush ' +
    'delete replace insert create add ct secmark quota limit counter flowtable ruleset elements element rule map set chain ' +
    'table hook device devices priority policy type typeof flags size timeout gc-interval comment auto-merge handle index ' +
    'position accept drop continue return jump goto queue log'
  ).split(' '),
);

/** nft's scanner reads decimal and hex digits as a number; an address such as `10.0.0.300` is a string. */
export function isNumberWord(v: string): boolean {
  return /^(?:\d+|0x[0-9a-f]+)$/i.test(v);
}

export function unexpected(t: Tok, expecting?: string): NftSyntaxError {
  // nft's scanner reads an address's `/prefix` as tokens of their own.
  const slash = t.kind === 'word' && /^[0-9a-fA-F:.]+\/\d+$/.test(t.v) ? t.v.indexOf('/') : -1;
  if (slash > 0) return unexpected({ ...t, v: t.v.slice(0, slash), end: t.col + slash }, expecting);
  // nft's scanner reads a leading `-` as a token of its own.
  if (t.kind === 'word' && t.v.length > 1 && t.v.startsWith('-'))
    return err({ ...t, v: '-', end: t.col + 1 }, `syntax error, unexpected -${expecting ? `, expecting ${expecting}` : ''}`);
  const what =
    t.kind === 'eof'
      ? t.v === ''
        ? 'end of file'
        : t.v === '\n'
          ? 'newline'
          : opName(t.v)
      : t.kind === 'junk'
        ? 'junk'
        : t.kind === 'nl'
          ? 'newline'
          : t.kind === 'str'
            ? `quoted string`
            : t.kind === 'word' && isNumberWord(t.v)
              ? 'number'
              : t.kind === 'word' && !KEYWORDS.has(t.v)
                ? 'string'
                : t.kind === 'op'
                  ? opName(t.v)
                  : t.v;
  return err(t, `syntax error, unexpected ${what}${expecting ? `, expecting ${expecting}` : ''}`);
}

/** Replaces `$NAME` with the tokens of `define NAME = ...`, removing the define lines. */
export function substituteDefines(toks: Tok[]): Tok[] {
  const defs = new Map<string, Tok[]>();
  const out: Tok[] = [];
  let atStart = true;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (
      atStart &&
      t.kind === 'word' &&
      (t.v === 'define' || t.v === 'redefine') &&
      toks[i + 1]?.kind === 'word' &&
      toks[i + 2]?.v === '='
    ) {
      const name = toks[i + 1].v;
      const body: Tok[] = [];
      let j = i + 3;
      let depth = 0;
      for (; j < toks.length; j++) {
        const u = toks[j];
        if (u.kind === 'eof' || (depth === 0 && (u.kind === 'nl' || u.v === ';'))) break;
        if (u.v === '{') depth++;
        if (u.v === '}') depth--;
        if (u.kind === 'nl') continue;
        if (u.v === '$') {
          const ref = toks[j + 1];
          const val = ref && defs.get(ref.v);
          if (!val) throw err(ref ?? u, `unknown identifier '${ref?.v ?? ''}'`);
          body.push(...val);
          j++;
          continue;
        }
        body.push(u);
      }
      defs.set(name, body);
      i = j - 1;
      continue;
    }
    if (t.v === '$' && t.kind === 'op') {
      const ref = toks[i + 1];
      const val = ref && defs.get(ref.v);
      // An undefined name stays: nft's grammar says "unknown identifier" where a variable may stand, and a syntax error elsewhere.
      if (!val) {
        out.push(t);
        atStart = false;
        continue;
      }
      for (const v of val) out.push({ ...v, line: ref.line, col: ref.col, end: ref.end });
      i++;
      atStart = false;
      continue;
    }
    out.push(t);
    atStart = t.kind === 'nl' || t.v === ';' || t.v === '{' || t.v === '}';
  }
  return out;
}

/** A position in a token list, shared by the ruleset parser and the rule parser; the last token (end) repeats. */
export class TokenCursor {
  protected i = 0;
  constructor(protected readonly t: Tok[]) {}

  protected peek(o = 0): Tok {
    return this.t[Math.min(this.i + o, this.t.length - 1)];
  }
  protected next(): Tok {
    return this.t[this.i < this.t.length - 1 ? this.i++ : this.i];
  }
  protected is(v: string, o = 0): boolean {
    const t = this.peek(o);
    return (t.kind === 'word' || t.kind === 'op') && t.v === v;
  }
  protected accept(v: string): boolean {
    if (this.is(v)) {
      this.i++;
      return true;
    }
    return false;
  }
  protected expect(v: string): Tok {
    if (!this.is(v)) throw unexpected(this.peek(), /^[a-z]/.test(v) ? v : `'${v}'`);
    return this.next();
  }
}
