/**
 * `nft -f` input to commands: the nested block form and the command form
 * (`add|create|insert|replace|delete|flush|list ...`), with `define` substituted
 * at the token level as nft does. Rules come out already normalised to what
 * `nft list` prints (`mark` is `meta mark`, the dependency nft would add and
 * remove is gone, one-element anonymous sets are bare values).
 */
import { FAMILIES, type Family, type Loc } from './ast.js';
import { UNSUPPORTED } from './exprs.js';
import { NftSyntaxError, type Tok, tokenize } from './lexer.js';
import { BlockParser } from './parse/blocks.js';
import { type Cmd, mk } from './parse/cmd.js';
import { parseRule } from './parse/rule.js';
import { err, isNumberWord, KEYWORDS, locOf, NAME_KEYWORDS, substituteDefines, unexpected } from './parse/tokens.js';

/** What nft's grammar takes for a command's elements: a block or a variable. */
const ELEMENTS_START = "'{' or '$'";

/** Words nft's scanner reads as keywords only after `list` (measured): elsewhere they are names. */
const LIST_ONLY = new Set(['tables', 'chains', 'sets', 'maps', 'flowtables', 'counters', 'quotas', 'rules', 'meters', 'limits']);

export function parseNft(text: string): Cmd[] {
  const toks = tokenize(text);
  // Without a define or a `$` there is nothing to substitute, and copying a full sync's 1.5 million tokens costs.
  return new Parser(text.includes('define') || text.includes('$') ? substituteDefines(toks) : toks).file();
}

export class Parser extends BlockParser {
  file(): Cmd[] {
    const out: Cmd[] = [];
    for (;;) {
      this.skipNl();
      const t = this.peek();
      if (t.kind === 'eof') return out;
      out.push(...this.command());
    }
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
}
