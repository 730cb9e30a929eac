/** The parts of a ruleset the command and table-block forms share: names, chain and set bodies, priorities. */
import { type Expr, FAMILIES, type Family, type Loc, type NftHook } from '../ast.js';
import { NftSyntaxError, type Tok } from '../lexer.js';
import type { ChainSpecAst, SetSpecAst } from './cmd.js';
import { parseRule, RuleParser } from './rule.js';
import { err, isNumberWord, KEYWORDS, locOf, NAME_KEYWORDS, TokenCursor, unexpected } from './tokens.js';
import { exprTypes, parseDuration } from './values.js';
import { type TypeName, TYPES } from '../types.js';

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

export class BlockParser extends TokenCursor {
  protected names: Tok[] = [];
  protected lastNum: Tok | null = null;
  protected lastEnd: Tok | null = null;
  /** The newline or `;` that ended the last command: nft's span of a whole command takes it in. */
  protected lastSep: Tok | null = null;

  protected word(what = 'string'): Tok {
    const t = this.peek();
    if (t.kind !== 'word' && t.kind !== 'str') throw unexpected(t, what);
    return this.next();
  }
  protected skipNl(): void {
    while (this.peek().kind === 'nl' || this.is(';')) this.i++;
  }
  protected endOfStmt(): boolean {
    const t = this.peek();
    return t.kind === 'nl' || t.kind === 'eof' || t.v === ';' || t.v === '}';
  }
  protected endLine(): void {
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
  protected itemEnd(expecting: string | null = 'newline or semicolon'): void {
    if (this.is('}')) throw unexpected(this.peek(), expecting ?? undefined);
    this.endLine();
  }
  protected number(): number {
    const t = this.word('number');
    if (!/^\d+$/.test(t.v)) throw unexpected(t, 'number');
    this.lastNum = t;
    return Number(t.v);
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

  protected family(): Family | null {
    const t = this.peek();
    // A family's name is a keyword to nft: `flush table ip` names no table.
    if (t.kind === 'word' && (FAMILIES as readonly string[]).includes(t.v)) {
      this.i++;
      return t.v as Family;
    }
    return null;
  }

  protected name(what = 'string'): string {
    // A family is a keyword to nft, never a name (`add table ip netdev` names no table).
    if (this.peek().kind === 'word' && (FAMILIES as readonly string[]).includes(this.peek().v)) throw unexpected(this.peek(), what);
    const t = this.identifier(what);
    this.names.push(t);
    return t.v;
  }

  /** Tokens of `{ ... }`, braces included, newlines dropped. */
  protected rawBraces(expecting = "'{'"): Tok[] {
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
  protected ruleTokens(): Tok[] {
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

  protected commaWords(): string[] {
    const out = [this.word().v];
    while (this.accept(',')) out.push(this.word().v);
    return out;
  }

  protected chainSpecBraces(family: Family): ChainSpecAst {
    this.expect('{');
    const spec = this.chainBody(family, (toks) => {
      throw err(toks[0], 'syntax error, unexpected rule in chain declaration');
    });
    return spec;
  }

  /** After `{`: chain properties and rules, through the closing `}`. */
  protected chainBody(family: Family, onRule: (toks: Tok[]) => void): ChainSpecAst {
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
  protected setBody(isMap: boolean, family: Family): SetSpecAst {
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

/** The expression of a `typeof` set declaration (a concatenation, or one selector). */
function typeofExpr(toks: Tok[], family: Family, end: Tok): Expr {
  if (toks.length === 0) throw new NftSyntaxError('set definition does not specify key', 1, 1, 2);
  const last = toks[toks.length - 1];
  // The expression ends where the item does: nft names that token (a newline, `;`, `}`) in its syntax errors.
  const v = end.kind === 'nl' ? '\n' : end.kind === 'eof' ? '' : end.v;
  return new RuleParser([...toks, { kind: 'eof', v, line: last.line, col: last.end, end: last.end + 1 }], family).wholeExpr();
}
