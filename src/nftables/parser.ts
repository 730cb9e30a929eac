/**
 * `nft -f` input to commands: the nested block form and the command form
 * (`add|create|insert|replace|delete|flush|list ...`), with `define` substituted
 * at the token level as nft does. Rules come out already normalised to what
 * `nft list` prints (`mark` is `meta mark`, the dependency nft would add and
 * remove is gone, one-element anonymous sets are bare values).
 */
import type { Elem, ElemKey, Expr, Family, Loc, NatSpec, Op, Rhs, Stmt, Verdict, BaseSpec, NftHook, SetProps } from './ast.js';
import { elemId, FAMILIES } from './ast.js';
import { tokenize, NftSyntaxError, type Tok } from './lexer.js';
import { BARE_META, CT_KEYS, FIELD_BITS, META_KEYS, PAYLOAD_FIELDS, UNSUPPORTED } from './exprs.js';
import { parseLiteral, TYPES, type TypeName, type Value } from './types.js';

export interface ChainSpecAst {
  /** `loc` is the `type` keyword's; `typeLoc` and `hookLoc` the type's and hook's names, where the kernel and nft point. */
  base: {
    type: BaseSpec['type'];
    hook: NftHook;
    priority: number;
    device: string | null;
    loc: Loc;
    typeLoc: Loc;
    hookLoc: Loc;
    /** A priority name the family and hook do not have: nft's evaluation refuses it there, after the syntax errors. */
    priorityError?: Loc;
  } | null;
  policy: 'accept' | 'drop' | null;
  /** Where `policy P` stands: the kernel points there when it refuses a policy on a regular chain. */
  policyLoc?: Loc;
  comment: string | null;
}

export interface SetSpecAst extends SetProps {
  /** Element tokens, typed when the command is applied. */
  elems: Tok[] | null;
}

export interface RuleAst {
  stmts: Stmt[];
  comment: string | null;
  /** What the kernel checks once it knows the chain: each `fib` match (its hooks) and a refusal it makes whatever the chain. */
  kernel?: KernelChecks;
}

export interface KernelChecks {
  fib: Array<{ flags: string[]; result: string }>;
  refusal: { loc: Loc; message: string } | null;
  /** The rule rejects: the kernel takes a reject in no postrouting chain. */
  reject?: boolean;
  /** The rule's NAT statements: the kernel takes each only in a nat chain on its hooks. */
  nat?: NatSpec['type'][];
}

/** One command of a transaction (a table block expands to several). Fields unused by a command are empty. */
export interface Cmd {
  loc: Loc;
  op: 'add' | 'create' | 'insert' | 'replace' | 'delete' | 'flush' | 'list';
  obj: 'ruleset' | 'tables' | 'table' | 'chain' | 'set' | 'rule' | 'element';
  /** null only for `flush|list ruleset` and `list tables` without a family. */
  family: Family | null;
  table: string;
  /** The chain, set or map the command names. */
  name: string;
  handle: number | null;
  index: number | null;
  comment: string | null;
  flags: string[];
  chainSpec: ChainSpecAst | null;
  setSpec: SetSpecAst | null;
  /** A rule's tokens, or `{ elements }` tokens. */
  toks: Tok[];
  /** A rule's statements once parsed (or the error parsing them gave), before the transaction applies. */
  parsed?: RuleAst | NftSyntaxError;
  /** `list map` and `flush map` (rather than `set`): nft finds only a map by them, and only a set by `set`. */
  asMap?: boolean;
  /** Where the command names its table, object and handle, and where it ends: nft points its errors there. */
  at: { table: Loc; name: Loc; handle: Loc; end: Loc; whole: Loc };
}

const mk = (c: Partial<Cmd> & Pick<Cmd, 'loc' | 'op' | 'obj'>): Cmd => ({
  family: 'ip',
  table: '',
  name: '',
  handle: null,
  index: null,
  comment: null,
  flags: [],
  chainSpec: null,
  setSpec: null,
  toks: [],
  at: { table: c.loc, name: c.loc, handle: c.loc, end: c.loc, whole: c.loc },
  ...c,
});

const locOf = (t: Tok): Loc => ({ line: t.line, col: t.col, end: t.end });
const err = (t: Tok, msg: string): NftSyntaxError => new NftSyntaxError(msg, t.line, t.col, t.end);

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

/**
 * Words nft's scanner reads as keywords; any other word is a `string` in its syntax errors
 * (`unexpected string` for `tpc`, `unexpected counter` for `counter`).
 */
const KEYWORDS = new Set(
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
const NAME_KEYWORDS = new Set(
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

/** What nft's grammar takes for a command's elements: a block or a variable. */
const ELEMENTS_START = "'{' or '$'";

/** Words nft's scanner reads as keywords only after `list` (measured): elsewhere they are names. */
const LIST_ONLY = new Set(['tables', 'chains', 'sets', 'maps', 'flowtables', 'counters', 'quotas', 'rules', 'meters', 'limits']);

/** How nft's grammar names what a `comment` or `log prefix` takes. */
const NFT_STRING = 'string or quoted string or string with a trailing asterisk';

/** nft's scanner reads decimal and hex digits as a number; an address such as `10.0.0.300` is a string. */
function isNumberWord(v: string): boolean {
  return /^(?:\d+|0x[0-9a-f]+)$/i.test(v);
}

function unexpected(t: Tok, expecting?: string): NftSyntaxError {
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
function substituteDefines(toks: Tok[]): Tok[] {
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

export function parseNft(text: string): Cmd[] {
  const toks = tokenize(text);
  // Without a define or a `$` there is nothing to substitute, and copying a full sync's 1.5 million tokens costs.
  return new Parser(text.includes('define') || text.includes('$') ? substituteDefines(toks) : toks).file();
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

const HOOKS: readonly NftHook[] = ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress', 'egress'];

/** The named priorities of a family, and the hooks each belongs to (null: every hook). */
export function namedPriorities(family: Family): Array<[string, number, NftHook | null]> {
  if (family === 'bridge')
    return [
      ['dstnat', -300, 'prerouting'],
      ['filter', -200, null],
      ['out', 100, 'output'],
      ['srcnat', 300, 'postrouting'],
    ];
  if (family === 'netdev' || family === 'arp') return [['filter', 0, null]];
  return [
    ['raw', -300, null],
    ['mangle', -150, null],
    ['dstnat', -100, 'prerouting'],
    ['filter', 0, null],
    ['security', 50, null],
    ['srcnat', 100, 'postrouting'],
  ];
}

/** A position in a token list, shared by the ruleset parser and the rule parser; the last token (end) repeats. */
class TokenCursor {
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

export class Parser extends TokenCursor {
  private names: Tok[] = [];
  private lastNum: Tok | null = null;
  private lastEnd: Tok | null = null;
  /** The newline or `;` that ended the last command: nft's span of a whole command takes it in. */
  private lastSep: Tok | null = null;

  private word(what = 'string'): Tok {
    const t = this.peek();
    if (t.kind !== 'word' && t.kind !== 'str') throw unexpected(t, what);
    return this.next();
  }
  private skipNl(): void {
    while (this.peek().kind === 'nl' || this.is(';')) this.i++;
  }
  private endOfStmt(): boolean {
    const t = this.peek();
    return t.kind === 'nl' || t.kind === 'eof' || t.v === ';' || t.v === '}';
  }
  private endLine(): void {
    if (!this.endOfStmt()) throw unexpected(this.peek(), 'end of file or newline or semicolon');
    this.lastEnd = this.t[this.i - 1];
    this.lastSep = this.peek().kind === 'nl' || this.is(';') ? this.peek() : null;
    if (this.peek().v !== '}' && this.peek().kind !== 'eof') this.i++;
  }
  /**
   * The end of an item of a table, chain or set block. nft's grammar ends each one (a rule, a chain
   * block, `type`, `policy`, `flags`) with a newline or `;`, never with the `}` that closes the block:
   * `chain c { counter accept }` is a syntax error at the `}` (nft 1.0.6). `expecting` as nft lists it.
   */
  private itemEnd(expecting: string | null = 'newline or semicolon'): void {
    if (this.is('}')) throw unexpected(this.peek(), expecting ?? undefined);
    this.endLine();
  }
  private number(): number {
    const t = this.word('number');
    if (!/^\d+$/.test(t.v)) throw unexpected(t, 'number');
    this.lastNum = t;
    return Number(t.v);
  }

  file(): Cmd[] {
    const out: Cmd[] = [];
    for (;;) {
      this.skipNl();
      const t = this.peek();
      if (t.kind === 'eof') return out;
      out.push(...this.command());
    }
  }

  /**
   * A name where nft's grammar takes an identifier: a bare word that its scanner does not read as
   * a keyword there, nor a number, nor a quoted string.
   */
  private identifier(what = 'string'): Tok {
    const t = this.peek();
    if (t.kind === 'word' && NAME_KEYWORDS.has(t.v)) throw err(t, `syntax error, unexpected ${t.v}, expecting ${what}`);
    if (t.kind === 'str' || (t.kind === 'word' && isNumberWord(t.v))) throw unexpected(t, what);
    return this.word(what);
  }

  private family(): Family | null {
    const t = this.peek();
    // A family's name is a keyword to nft: `flush table ip` names no table.
    if (t.kind === 'word' && (FAMILIES as readonly string[]).includes(t.v)) {
      this.i++;
      return t.v as Family;
    }
    return null;
  }

  private name(what = 'string'): string {
    // A family is a keyword to nft, never a name (`add table ip netdev` names no table).
    if (this.peek().kind === 'word' && (FAMILIES as readonly string[]).includes(this.peek().v)) throw unexpected(this.peek(), what);
    const t = this.identifier(what);
    this.names.push(t);
    return t.v;
  }

  private command(): Cmd[] {
    this.names = [];
    this.lastNum = null;
    this.lastEnd = null;
    this.lastSep = null;
    const cmds = this.command1();
    if (cmds.length === 1) {
      const c = cmds[0];
      const tl = this.names[0] ? locOf(this.names[0]) : c.loc;
      const nl = this.names[1] ? locOf(this.names[1]) : tl;
      const le = this.lastEnd as Tok | null;
      const end = le ? { line: le.line, col: le.end - 1, end: le.end } : c.loc;
      const sep = this.lastSep as Tok | null;
      const whole =
        le && le.line === c.loc.line ? { line: le.line, col: c.loc.col, end: sep && sep.line === le.line ? sep.end : le.end } : c.loc;
      c.at = { table: tl, name: nl, handle: this.lastNum ? locOf(this.lastNum) : end, end, whole };
    }
    return cmds;
  }

  private command1(): Cmd[] {
    const t = this.next();
    const loc = locOf(t);
    if (t.kind !== 'word') throw unexpected(t);
    switch (t.v) {
      case 'table':
        return this.tableBlock(loc, 'add');
      case 'add':
      case 'create':
      case 'insert':
      case 'replace':
      case 'delete':
      case 'destroy':
      case 'flush':
      case 'list':
        return this.verbCommand(t.v === 'destroy' ? 'delete' : t.v, loc);
      case 'include':
        throw err(t, 'include is not supported by nflab');
      default:
        if (['chain', 'set', 'map', 'rule', 'element'].includes(t.v)) return this.objectCommand('add', t.v, loc);
        if (t.v === 'counter') return this.counterObject(t);
        this.i--;
        return this.implicitRule(loc, false);
    }
  }

  /**
   * nft's grammar reads a command without a verb, or `add` without an object keyword, as `add rule`:
   * `[family] table chain statements`. Its table and chain must be plain words (no keyword, number or
   * quoted string); after an explicit `add` nft names what it expected, at a command's start it does not.
   */
  private implicitRule(loc: Loc, afterAdd: boolean): Cmd[] {
    const plain = (u: Tok) => u.kind === 'word' && (!KEYWORDS.has(u.v) || LIST_ONLY.has(u.v)) && !isNumberWord(u.v);
    const t = this.peek();
    const isFamily = t.kind === 'word' && (FAMILIES as readonly string[]).includes(t.v);
    if (!isFamily && !plain(t)) throw unexpected(t, afterAdd ? 'string' : undefined);
    this.i++;
    const family = isFamily ? (t.v as Family) : 'ip';
    const names = isFamily ? [] : [t];
    while (names.length < 2) {
      const u = this.peek();
      if (!plain(u)) throw unexpected(u, 'string');
      names.push(this.next());
    }
    this.names.push(...names);
    const rule = this.ruleTokens();
    return [mk({ op: 'add', obj: 'rule', family, table: names[0].v, name: names[1].v, toks: rule, loc })];
  }

  /** `[add] counter [family] table name`: nft's named counter objects, which nflab refuses by name once the syntax holds. */
  private counterObject(kw: Tok): Cmd[] {
    const t = this.peek();
    if (t.kind === 'word' && (FAMILIES as readonly string[]).includes(t.v)) this.i++;
    for (let k = 0; k < 2; k++) {
      const u = this.peek();
      if (u.kind !== 'word' || KEYWORDS.has(u.v) || isNumberWord(u.v)) throw unexpected(u, 'string');
      this.i++;
    }
    if (!this.endOfStmt()) this.word();
    throw err(kw, 'nflab does not support named counter objects');
  }

  private verbCommand(verb: string, loc: Loc): Cmd[] {
    const peek = this.peek();
    if (verb === 'add') {
      if (peek.v === 'counter' && peek.kind === 'word') return this.counterObject(this.next());
      if (peek.kind !== 'word' || !['table', 'chain', 'set', 'map', 'rule', 'element'].includes(peek.v))
        return this.implicitRule(loc, true);
    }
    if ((verb === 'delete' || verb === 'list' || verb === 'reset' || verb === 'create') && peek.v === 'counter' && peek.kind === 'word')
      return this.counterObject(this.next());
    // nft names the expected object only where one word fits (`insert|replace rule`).
    const objExpect = verb === 'insert' || verb === 'replace' ? 'rule' : undefined;
    if (peek.kind !== 'word') throw unexpected(peek, objExpect);
    const objTok = this.next();
    const obj = objTok.v;
    if (objExpect && obj !== 'rule') throw unexpected(objTok, objExpect);
    const objects =
      verb === 'list'
        ? ['ruleset', 'tables', 'table', 'chain', 'set', 'map']
        : ['table', 'chain', 'set', 'map', 'rule', 'element', 'ruleset'];
    if (!objects.includes(obj) || (verb === 'create' && obj === 'rule')) throw unexpected(objTok);
    if (verb === 'flush' && obj === 'ruleset') {
      const family =
        this.peek().kind === 'word' && (FAMILIES as readonly string[]).includes(this.peek().v) ? (this.next().v as Family) : null;
      this.endLine();
      return [mk({ op: 'flush', obj: 'ruleset', family, loc })];
    }
    if (verb === 'list') {
      if (obj === 'ruleset' || obj === 'tables') {
        const family =
          this.peek().kind === 'word' && (FAMILIES as readonly string[]).includes(this.peek().v) ? (this.next().v as Family) : null;
        this.endLine();
        return [mk({ op: 'list', obj, family, loc })];
      }
      const family = this.family() ?? 'ip';
      const table = this.name();
      if (obj === 'table') {
        this.endLine();
        return [mk({ op: 'list', obj: 'table', family, table, loc })];
      }
      if (obj === 'chain' || obj === 'set' || obj === 'map') {
        const name = this.name();
        this.endLine();
        return [mk({ op: 'list', obj: obj === 'map' ? 'set' : obj, family, table, name, loc, asMap: obj === 'map' })];
      }
      throw unexpected(objTok, 'ruleset, table, chain, set or map');
    }
    if (obj === 'table' && verb === 'add') return this.tableBlock(loc, 'add');
    if (obj === 'table' && verb === 'create') return this.tableBlock(loc, 'create');
    return this.objectCommand(verb, obj, loc, objTok);
  }

  private objectCommand(verb: string, obj: string, loc: Loc, objTok?: Tok): Cmd[] {
    const at = objTok ?? this.peek();
    if (verb === 'delete' || verb === 'flush') {
      const family = this.family() ?? 'ip';
      // nft deletes a table, chain or set by name or by `handle N` (a map only by name).
      const byHandle = verb === 'delete' && (obj === 'table' || obj === 'chain' || obj === 'set') ? 'handle or string' : 'string';
      const table = this.name(obj === 'table' ? byHandle : 'string');
      if (obj === 'table') {
        this.endLine();
        return verb === 'flush'
          ? [mk({ op: 'flush', obj: 'table', family, table, loc })]
          : [mk({ op: 'delete', obj: 'table', family, table, loc })];
      }
      if (obj === 'element' && verb === 'delete') {
        const name = this.name();
        const elems = this.rawBraces(ELEMENTS_START);
        this.endLine();
        return [mk({ op: 'delete', obj: 'element', family, table, name, toks: elems, loc })];
      }
      if (obj === 'rule' && verb === 'delete') {
        const chain = this.name();
        this.expect('handle');
        const handle = this.number();
        this.endLine();
        return [mk({ op: 'delete', obj: 'rule', family, table, name: chain, handle, loc })];
      }
      if (obj === 'chain' || obj === 'set' || obj === 'map') {
        let name = '';
        let handle: number | null = null;
        if (this.accept('handle')) handle = this.number();
        else name = this.name(byHandle);
        this.endLine();
        const o = obj === 'map' ? 'set' : obj;
        if (verb === 'flush') {
          if (name === '') throw unexpected(this.peek(), 'string');
          return [mk({ op: 'flush', obj: o, family, table, name, loc, asMap: obj === 'map' })];
        }
        return [mk({ op: 'delete', obj: o, family, table, name, handle, loc })];
      }
      throw unexpected(at);
    }
    const op = verb as 'add' | 'create' | 'insert' | 'replace';
    const family = this.family() ?? 'ip';
    const table = this.name();
    switch (obj) {
      case 'chain': {
        if (op !== 'add' && op !== 'create') throw unexpected(at);
        const chain = this.name();
        const spec = this.is('{') ? this.chainSpecBraces(family) : null;
        this.endLine();
        return [mk({ op, obj: 'chain', family, table, name: chain, chainSpec: spec, loc })];
      }
      case 'set':
      case 'map': {
        if (op !== 'add' && op !== 'create') throw unexpected(at);
        const name = this.name();
        this.expect('{');
        const spec = this.setBody(obj === 'map', family ?? 'ip');
        this.expect('}');
        this.endLine();
        return [mk({ op, obj: 'set', family, table, name, setSpec: spec, loc })];
      }
      case 'element': {
        if (op !== 'add' && op !== 'create') throw unexpected(at);
        const name = this.name();
        const elems = this.rawBraces(ELEMENTS_START);
        this.endLine();
        return [mk({ op, obj: 'element', family, table, name, toks: elems, loc })];
      }
      case 'rule': {
        const chain = this.name();
        let handle: number | null = null;
        let index: number | null = null;
        const kw = this.peek();
        if (this.accept('handle') || this.accept('position')) handle = this.number();
        else if (this.accept('index')) index = this.number();
        // nft points at `position N` and `index N` whole, at a handle's number alone.
        if (this.lastNum && kw.v !== 'handle') this.lastNum = { ...this.lastNum, col: kw.col };
        if (op === 'replace' && handle === null) throw unexpected(this.peek(), 'handle');
        const rule = this.ruleTokens();
        if (this.is('}')) this.strayBrace(rule, family);
        return [mk({ op, obj: 'rule', family, table, name: chain, handle, index, toks: rule, loc })];
      }
      default:
        throw unexpected(at, 'table, chain, rule, set, map or element');
    }
  }

  /** Tokens of `{ ... }`, braces included, newlines dropped. */
  private rawBraces(expecting = "'{'"): Tok[] {
    if (!this.is('{')) throw unexpected(this.peek(), expecting);
    const start = this.next();
    // nft's grammar wants at least one element.
    let k = this.i;
    while (this.t[k]?.kind === 'nl') k++;
    if (this.t[k]?.v === '}') throw unexpected(this.t[k]);
    const out: Tok[] = [start];
    let depth = 1;
    while (depth > 0) {
      const t = this.next();
      if (t.kind === 'eof') throw unexpected(t);
      if (t.v === '{') depth++;
      if (t.v === '}') depth--;
      if (t.kind !== 'nl') out.push(t);
    }
    return out;
  }

  /** A rule's tokens up to the end of its line (braces may span lines). */
  private ruleTokens(): Tok[] {
    const out: Tok[] = [];
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') break;
      if (depth === 0 && (t.kind === 'nl' || t.v === ';' || t.v === '}')) break;
      this.i++;
      if (t.v === '{') depth++;
      if (t.v === '}') depth--;
      if (t.kind !== 'nl') out.push(t);
    }
    if (out.length === 0) throw unexpected(this.peek());
    // The rule's end stands for what ended it, which nft names in a syntax error there.
    const stop = this.peek();
    out.push({ kind: 'eof', v: stop.kind === 'eof' ? '' : stop.v, line: stop.line, col: stop.col, end: stop.end });
    if (this.peek().v !== '}') this.endLine();
    return out;
  }

  /**
   * A `}` that ends a command-form rule: nft reads in order, so a syntax error inside the rule comes
   * first, and one at its end is at the `}`.
   */
  private strayBrace(rule: Tok[], family: Family): never {
    const brace = this.peek();
    try {
      parseRule(rule, family);
    } catch (e) {
      if (!(e instanceof NftSyntaxError) || !e.message.startsWith('syntax error')) throw unexpected(brace);
      if (e.line !== brace.line || e.col !== brace.col) throw e;
      throw new NftSyntaxError(e.message.replace('unexpected end of file', "unexpected '}'"), e.line, e.col, e.end);
    }
    throw unexpected(brace, 'end of file or newline or semicolon');
  }

  private tableBlock(loc: Loc, op: 'add' | 'create'): Cmd[] {
    const family = this.family() ?? 'ip';
    const table = this.name();
    const head: Cmd = mk({ op, obj: 'table', family, table, loc });
    if (!this.is('{')) {
      this.endLine();
      return [head];
    }
    this.expect('{');
    const chains: Cmd[] = [];
    const sets: Cmd[] = [];
    const rules: Cmd[] = [];
    for (;;) {
      this.skipNl();
      const t = this.next();
      if (t.v === '}') break;
      if (t.kind !== 'word') throw unexpected(t);
      if (t.v === 'comment') {
        head.comment = this.word('string').v;
        this.itemEnd();
      } else if (t.v === 'flags') {
        head.flags.push(...this.commaWords());
        this.itemEnd();
      } else if (t.v === 'chain') {
        const nameTok = this.peek();
        const chain = this.name();
        const cl = locOf(t);
        this.expect('{');
        const spec = this.chainBody(family, (toks) =>
          rules.push(mk({ op: 'add', obj: 'rule', family, table, name: chain, toks, loc: locOf(toks[0]) })),
        );
        const cmd = mk({ op: 'add', obj: 'chain', family, table, name: chain, chainSpec: spec, loc: cl });
        // The kernel's refusals of a chain it has point at a block chain's name.
        cmd.at = { ...cmd.at, name: locOf(nameTok) };
        chains.push(cmd);
        this.itemEnd();
      } else if (t.v === 'set' || t.v === 'map') {
        const nameTok = this.peek();
        const name = this.name();
        this.expect('{');
        const spec = this.setBody(t.v === 'map', family);
        this.expect('}');
        // nft locates a block's set by its name.
        sets.push(mk({ op: 'add', obj: 'set', family, table, name, setSpec: spec, loc: locOf(nameTok) }));
        this.itemEnd();
      } else if (UNSUPPORTED.has(t.v) || ['flowtable', 'counter', 'quota', 'ct', 'limit', 'secmark', 'synproxy'].includes(t.v)) {
        // A named object's block needs its name first, as nft's grammar reads it.
        if (t.v === 'counter' || t.v === 'quota' || t.v === 'limit') {
          const n = this.peek();
          if (n.kind !== 'word' || NAME_KEYWORDS.has(n.v) || isNumberWord(n.v)) throw unexpected(n, 'string');
        }
        throw err(t, `nflab does not support ${t.v} objects`);
      } else throw unexpected(t);
    }
    this.endLine();
    // nft sends a table block as: the table, its chains, its sets, then every chain's rules.
    return [head, ...chains, ...sets, ...rules];
  }

  private commaWords(): string[] {
    const out = [this.word().v];
    while (this.accept(',')) out.push(this.word().v);
    return out;
  }

  private chainSpecBraces(family: Family): ChainSpecAst {
    this.expect('{');
    const spec = this.chainBody(family, (toks) => {
      throw err(toks[0], 'syntax error, unexpected rule in chain declaration');
    });
    return spec;
  }

  /** After `{`: chain properties and rules, through the closing `}`. */
  private chainBody(family: Family, onRule: (toks: Tok[]) => void): ChainSpecAst {
    const spec: ChainSpecAst = { base: null, policy: null, comment: null };
    for (;;) {
      this.skipNl();
      const t = this.peek();
      if (t.v === '}' && t.kind === 'op') {
        this.i++;
        return spec;
      }
      // An unfinished chain block: nft's grammar names nothing it expected.
      if (t.kind === 'eof') throw unexpected(t);
      if (t.kind === 'word' && t.v === 'type' && !this.is('.', 1)) {
        this.i++;
        const typeTok = this.identifier();
        const type = typeTok.v;
        if (type !== 'filter' && type !== 'nat' && type !== 'route') throw err(this.t[this.i - 1], `unknown chain type ${type}`);
        this.expect('hook');
        const hookTok = this.word();
        const hook = hookTok.v as NftHook;
        if (!HOOKS.includes(hook)) throw err(hookTok, `unknown chain hook`);
        let device: string | null = null;
        if (this.accept('device')) device = this.word().v;
        const prioTok = this.expect('priority');
        const { priority, error } = this.priority(family, hook, prioTok);
        spec.base = { type, hook, priority, device, loc: locOf(t), typeLoc: locOf(typeTok), hookLoc: locOf(hookTok) };
        if (error) spec.base.priorityError = error;
        this.itemEnd();
      } else if (t.kind === 'word' && t.v === 'policy') {
        this.i++;
        const p = this.word();
        if (p.v !== 'accept' && p.v !== 'drop') throw unexpected(p, "accept or drop or '$'");
        spec.policy = p.v;
        spec.policyLoc = { line: t.line, col: t.col, end: p.end };
        this.itemEnd();
      } else if (t.kind === 'word' && t.v === 'comment' && this.peek(1).kind === 'str' && this.isEnd(2)) {
        this.i++;
        spec.comment = this.next().v;
        this.itemEnd();
      } else {
        const toks = this.ruleTokens();
        const end = toks[toks.length - 1];
        end.inBlock = true;
        const brace = this.peek();
        if (brace.v === '}' && brace.line === end.line && brace.col === end.col) {
          // nft reads in order: a syntax error inside the rule comes before the one at its `}`, which it sees as `}`.
          try {
            parseRule(toks, family);
          } catch (e) {
            if (!(e instanceof NftSyntaxError) || !e.message.startsWith('syntax error')) throw e;
            if (e.line !== end.line || e.col !== end.col) throw e;
            throw new NftSyntaxError(e.message.replace('unexpected end of file', "unexpected '}'"), e.line, e.col, e.end);
          }
          this.itemEnd();
        }
        onRule(toks);
      }
    }
  }

  private isEnd(o: number): boolean {
    const t = this.peek(o);
    return t.kind === 'nl' || t.kind === 'eof' || t.v === ';' || t.v === '}';
  }

  /**
   * nft's grammar takes any name as a priority, with an optional `+ N` or `- N`; its evaluation
   * looks the name up for the family and hook and refuses it over the whole `priority ...`.
   */
  private priority(family: Family, hook: NftHook, prioTok: Tok): { priority: number; error?: Loc } {
    const t = this.next();
    if (t.kind === 'word' && (/^-?\d+$/.test(t.v) || isNumberWord(t.v))) return { priority: Number(t.v) };
    if (t.kind === 'op' && t.v === '-' && /^\d+$/.test(this.peek().v)) return { priority: -Number(this.next().v) };
    if (t.kind !== 'word' || KEYWORDS.has(t.v) || t.v.startsWith('-') || isNumberWord(t.v)) throw unexpected(t, 'priority');
    const named = namedPriorities(family).find(([n, , h]) => n === t.v && (h === null || h === hook));
    let p = named ? named[1] : 0;
    let end = t.end;
    if (this.is('+') || this.is('-')) {
      const sign = this.next().v === '-' ? -1 : 1;
      end = this.peek().end;
      p += sign * this.number();
    }
    return named ? { priority: p } : { priority: 0, error: { line: prioTok.line, col: prioTok.col, end } };
  }

  /** After `{` of a set or map: its properties, through (not including) `}`. */
  private setBody(isMap: boolean, family: Family): SetSpecAst {
    const spec: SetSpecAst = {
      isMap,
      keyTypes: [],
      dataType: null,
      flags: [],
      timeoutMs: null,
      size: null,
      comment: null,
      policy: null,
      counter: false,
      elems: null,
    };
    for (;;) {
      this.skipNl();
      const t = this.peek();
      if (t.v === '}') break;
      this.i++;
      // What nft expects after the item besides its end: `.` after a key type, `,` after a flag.
      let more: string | null = '';
      switch (t.v) {
        case 'type': {
          more = ' or .';
          spec.keyTypes = [this.typeName()];
          while (this.accept('.')) spec.keyTypes.push(this.typeName());
          if (this.accept(':')) {
            if (!isMap) throw err(this.peek(), 'syntax error, unexpected colon');
            const d = this.typeWord();
            if (d.v === 'verdict') spec.dataType = 'verdict';
            else if (d.v in TYPES) spec.dataType = d.v as TypeName;
            else throw err(d, `unknown datatype ${d.v}`);
          } else if (isMap) throw unexpected(this.peek(), 'colon');
          break;
        }
        case 'typeof': {
          more = ' or .';
          // `typeof EXPR [. EXPR] [: EXPR|verdict]`: the key (and data) types are those of the expressions.
          const toks: Tok[] = [];
          let colon = -1;
          while (!this.endOfStmt()) {
            const u = this.next();
            if (u.v === ':' && u.kind === 'op') colon = toks.length;
            toks.push(u);
          }
          if (toks.length === 0) throw unexpected(this.peek());
          const keyToks = colon >= 0 ? toks.slice(0, colon) : toks;
          const key = typeofExpr(keyToks, family, colon >= 0 ? toks[colon] : this.peek());
          spec.typeofKey = key;
          spec.keyTypes = exprTypes(key);
          if (colon >= 0) {
            if (!isMap) throw err(toks[colon], 'syntax error, unexpected colon');
            const dataToks = toks.slice(colon + 1);
            if (dataToks.length === 1 && dataToks[0].v === 'verdict') spec.dataType = 'verdict';
            else {
              const data = typeofExpr(dataToks, family, this.peek());
              spec.typeofData = data;
              spec.dataType = exprTypes(data)[0];
            }
          } else if (isMap) throw unexpected(this.peek(), 'colon');
          break;
        }
        case 'flags':
          more = ' or comma';
          spec.flags = [];
          do {
            const f = this.peek();
            // The four set flags are keywords of nft's grammar; anything else is a syntax error there.
            if (f.kind !== 'word' || !['interval', 'timeout', 'dynamic', 'constant'].includes(f.v))
              throw unexpected(f, 'constant or interval or dynamic or timeout');
            spec.flags.push(this.next().v);
          } while (this.accept(','));
          break;
        case 'timeout': {
          const d = this.word();
          spec.timeoutMs = parseDuration(d.v);
          if (spec.timeoutMs === null) throw err(d, 'invalid timeout value');
          break;
        }
        case 'gc-interval':
          this.word();
          break;
        case 'size':
          spec.size = this.number();
          break;
        case 'comment':
          spec.comment = this.word('string').v;
          break;
        case 'policy':
          spec.policy = this.word().v;
          break;
        case 'counter':
          spec.counter = true;
          more = null;
          break;
        case 'auto-merge':
        case 'elements':
          // nft's grammar needs no end after these: `{ type ipv4_addr; elements = { 10.0.0.1 } }` is one line.
          if (t.v === 'elements') {
            this.expect('=');
            spec.elems = this.rawBraces();
          }
          if (!this.is('}')) this.endLine();
          continue;
        default:
          throw unexpected(t);
      }
      this.itemEnd(more === null ? null : `newline or semicolon${more}`);
    }
    if (spec.keyTypes.length === 0) throw err(this.peek(), 'set definition does not specify key');
    return spec;
  }

  /** A datatype's name: an identifier to nft's grammar, which names nothing it expected instead. */
  private typeWord(): Tok {
    const t = this.peek();
    if (t.kind !== 'word' || isNumberWord(t.v)) throw unexpected(t);
    return this.next();
  }

  private typeName(): TypeName {
    const t = this.typeWord();
    if (t.v in TYPES && t.v !== 'verdict') return t.v as TypeName;
    throw err(t, `unknown datatype ${t.v}`);
  }
}

/** Parses a rule's tokens (as `ruleTokens` cut them) for a table of `family`. */
/** The expression of a `typeof` set declaration (a concatenation, or one selector). */
function typeofExpr(toks: Tok[], family: Family, end: Tok): Expr {
  if (toks.length === 0) throw new NftSyntaxError('set definition does not specify key', 1, 1, 2);
  const last = toks[toks.length - 1];
  // The expression ends where the item does: nft names that token (a newline, `;`, `}`) in its syntax errors.
  const v = end.kind === 'nl' ? '\n' : end.kind === 'eof' ? '' : end.v;
  return new RuleParser([...toks, { kind: 'eof', v, line: last.line, col: last.end, end: last.end + 1 }], family).wholeExpr();
}

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

const VERDICTS = new Set(['accept', 'drop', 'continue', 'return', 'jump', 'goto']);

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

class RuleParser extends TokenCursor {
  /** The transport protocol the rule has matched so far (`tcp dport`, `meta l4proto udp`): nft's protocol context. */
  private l4: string | null = null;
  /** Where the transport header that set `l4` was named (`udp dport`), which nft underlines in a conflict with it. */
  private l4Tok: Tok | null = null;
  /** The NAT statement's keyword, underlined in nft's error about a port without a transport match. */
  private natTok: Tok | null = null;
  private readonly checks: KernelChecks = { fib: [], refusal: null };
  /** Reading a whole rule (not a command's elements): value errors wait for the rule's syntax errors. */
  private inRule = false;
  /** The transport protocol is known from the packet (`meta l4proto`, `ip protocol`, a header), not from conntrack. */
  private l4Header = false;
  /** The network protocol is known: the family's, or matched (`ip ...`, `meta nfproto`). */
  private l3Known: boolean;
  /** A value nft cannot type (`symbolStmt`, a conntrack port): the rule's refusal once it is read to its end. */
  private symbolError: NftSyntaxError | null = null;
  /** The largest value the expression being compared can take (`numgen ... mod N offset O`: N + O - 1). */
  private maxValue: bigint | null = null;
  /** Where a `reject with icmp|icmpv6` names its code, for nft's error about a conflicting network protocol. */
  private rejectCode: Tok | null = null;

  constructor(
    t: Tok[],
    private readonly family: Family,
    /** The namespace's interfaces, where nft looks `iif|oif NAME` up (unknown: any name is taken). */
    private readonly ifaces?: ReadonlySet<string>,
  ) {
    super(t);
    this.l3Known = family === 'ip' || family === 'ip6';
  }

  /** The first thing the kernel refuses in the rule, from `from` to `to`, whatever the chain. */
  private refuse(from: Tok, to: Tok, message: string): void {
    this.checks.refusal ??= { loc: { line: from.line, col: from.col, end: to.end }, message };
  }

  /** The kernel (6.18 here) has no conntrack for the netdev, bridge and arp families: a ct expression there is refused. */
  private noConntrack(from: Tok, to: Tok): void {
    if (this.family === 'netdev' || this.family === 'bridge' || this.family === 'arp')
      this.refuse(from, to, 'Could not process rule: Protocol error');
  }

  /** A word where nft's grammar takes an expression, and so also a variable: an undefined `$NAME` is unknown there. */
  private word(): Tok {
    const t = this.peek();
    if (t.kind === 'op' && t.v === '$' && this.peek(1).kind === 'word') throw err(this.peek(1), `unknown identifier '${this.peek(1).v}'`);
    return this.bareWord();
  }
  /** A word where nft's grammar takes no variable (a field name, a verdict, a number): `$` is a syntax error there. */
  private bareWord(expecting?: string): Tok {
    const t = this.peek();
    if (t.kind !== 'word' && t.kind !== 'str') throw unexpected(t, expecting);
    return this.next();
  }
  private number(): number {
    const t = this.bareWord('number');
    if (!/^\d+$/.test(t.v)) throw unexpected(t, 'number');
    return Number(t.v);
  }

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

  private bitmaskList(t: TypeName): Value {
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

  private setRhs(keyTypes: TypeName[], dataType: TypeName | 'verdict' | null): Rhs {
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

  private verdict(): Verdict {
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
  private elemKey(types: TypeName[], next?: string): ElemKey {
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

  private rangeOrValue(ty: TypeName, t: Tok): { lo: Value; hi: Value | null; plen?: number } {
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

  private literal(ty: TypeName, t: Tok): Value {
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
  private evalError(e: NftSyntaxError): void {
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
  private mapOf(key: Expr, data: TypeName): Expr {
    this.expect('map');
    return { k: 'map', key, map: this.setRhs(exprTypes(key), data), type: data };
  }

  /** One expression that must be all of the tokens. */
  wholeExpr(): Expr {
    const e = this.exprWithConcat();
    if (this.peek().kind !== 'eof') throw unexpected(this.peek());
    return e;
  }

  private exprWithConcat(): Expr {
    const first = this.binopTail(this.primary());
    if (!this.is('.')) return first;
    const parts = [first];
    while (this.accept('.')) parts.push(this.primary());
    return { k: 'concat', parts };
  }

  private binopTail(e: Expr): Expr {
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

  private primary(): Expr {
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
function networkContext(s: Extract<Stmt, { k: 'match' }>): number | null {
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

function protoMatch(key: 'l4proto' | 'nfproto', type: TypeName, n: bigint): Stmt {
  return { k: 'match', left: { k: 'meta', key, type }, op: null, right: { k: 'val', key: { lo: [{ type, n }], hi: null } } };
}

function normalise(stmts: Stmt[], family: Family): Stmt[] {
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
