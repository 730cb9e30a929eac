/**
 * Parsers for the `ip route` and `ip rule` argument syntax. Errors carry the
 * column of the offending word (relative to the text) and the exact line
 * iproute2 prints for it, so both a topology file and `runIp` can report them.
 */
import type { Diagnostic, Result } from '../core/diagnostic.js';
import { err, ok } from '../core/diagnostic.js';
import { makeCidr, parseCidr, parseIpv4, type Cidr } from '../packet/ipv4.js';
import { parseProto, parseScope, parseTable, parseU32 } from './names.js';
import { ROUTE_TYPES, type RouteSpec, type RouteType, type RuleAction, type RuleSpec } from './types.js';

/** A diagnostic with what iproute2 writes to stderr for the same input and its exit code. */
export interface IpDiagnostic extends Diagnostic {
  stderr: string;
  exitCode: number;
}

export interface Token {
  text: string;
  /** 1-based column in the source text. */
  col: number;
}

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const re = /\S+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ text: m[0], col: m.index + 1 });
  return out;
}

function fail(tok: Token | undefined, message: string, stderr: string, exitCode: number, fallbackCol = 1): IpDiagnostic {
  return { message, line: 1, col: tok ? tok.col : fallbackCol, stderr, exitCode };
}

const incomplete = (col: number): IpDiagnostic =>
  fail(undefined, 'command line is not complete: a value is missing', 'Command line is not complete. Try option "help"\n', 255, col);

function invarg(tok: Token, what: string): IpDiagnostic {
  return fail(tok, `"${tok.text}" is not a valid ${what.replace(/"/g, '')}`, `Error: argument "${tok.text}" is wrong: ${what}\n`, 255);
}

/** `default`/`all`/`any` is 0.0.0.0/0; a bare address is /32. */
export function parsePrefix(text: string): Cidr | null {
  if (text === 'default' || text === 'all' || text === 'any') return makeCidr(0, 0);
  return parseCidr(text);
}

function badPrefix(tok: Token): IpDiagnostic {
  return fail(tok, `"${tok.text}" is not a valid prefix`, `Error: any valid prefix is expected rather than "${tok.text}".\n`, 1);
}

function badAddr(tok: Token): IpDiagnostic {
  return fail(tok, `"${tok.text}" is not an IPv4 address`, `Error: inet address is expected rather than "${tok.text}".\n`, 1);
}

export function emptyRouteSpec(dst: Cidr): RouteSpec {
  return {
    type: null,
    dst,
    tos: 0,
    table: null,
    dev: null,
    via: null,
    onlink: false,
    src: null,
    metric: null,
    proto: null,
    scope: null,
    mtu: null,
  };
}

/** Parses route arguments as tokens (what follows `ip route add`). */
export function parseRouteTokens(toks: Token[], endCol = 1): Result<RouteSpec, IpDiagnostic[]> {
  let dst: Cidr | null = null;
  const spec = emptyRouteSpec(makeCidr(0, 0));
  let i = 0;
  const value = (): Token | IpDiagnostic => {
    const t = toks[++i];
    return t ?? incomplete(endCol);
  };
  for (; i < toks.length; i++) {
    const t = toks[i];
    const w = t.text;
    if (w === 'via' || w === 'src' || w === 'from') {
      const v = value();
      if ('stderr' in v) return err([v]);
      let vt = v;
      if (w === 'via' && vt.text === 'inet') {
        const n = value();
        if ('stderr' in n) return err([n]);
        vt = n;
      }
      const a = parseIpv4(vt.text);
      if (a === null) return err([badAddr(vt)]);
      if (w === 'via') spec.via = a;
      else spec.src = a;
    } else if (w === 'dev' || w === 'oif') {
      const v = value();
      if ('stderr' in v) return err([v]);
      spec.dev = v.text;
    } else if (w === 'onlink') {
      spec.onlink = true;
    } else if (
      w === 'table' ||
      w === 'metric' ||
      w === 'preference' ||
      w === 'priority' ||
      w === 'proto' ||
      w === 'protocol' ||
      w === 'scope' ||
      w === 'mtu' ||
      w === 'tos' ||
      w === 'dsfield'
    ) {
      let v = value();
      if ('stderr' in v) return err([v]);
      if (w === 'mtu' && v.text === 'lock') {
        v = value();
        if ('stderr' in v) return err([v]);
      }
      if (w === 'table') {
        const n = parseTable(v.text);
        if (n === null) return err([invarg(v, '"table" value is invalid\n')]);
        spec.table = n;
      } else if (w === 'proto' || w === 'protocol') {
        const n = parseProto(v.text);
        if (n === null) return err([invarg(v, '"protocol" value is invalid\n')]);
        spec.proto = n;
      } else if (w === 'scope') {
        const n = parseScope(v.text);
        if (n === null) return err([invarg(v, 'invalid "scope" value\n')]);
        spec.scope = n;
      } else if (w === 'tos' || w === 'dsfield') {
        const n = parseU32(v.text);
        if (n === null || n > 255) return err([invarg(v, '"tos" value is invalid\n')]);
        spec.tos = n;
      } else {
        const n = parseU32(v.text);
        if (n === null) return err([invarg(v, `"${w === 'mtu' ? 'mtu' : 'metric'}" value is invalid\n`)]);
        if (w === 'mtu') spec.mtu = n;
        else spec.metric = n;
      }
    } else if (dst === null && (ROUTE_TYPES as readonly string[]).includes(w) && spec.type === null) {
      spec.type = w as RouteType;
    } else {
      let tt: Token = t;
      if (w === 'to') {
        const v = value();
        if ('stderr' in v) return err([v]);
        tt = v;
      }
      if (dst !== null) {
        return err([
          fail(
            t,
            `unexpected word "${w}" (the destination was already given)`,
            `Error: either "to" is duplicate, or "${w}" is a garbage.\n`,
            255,
          ),
        ]);
      }
      const p = parsePrefix(tt.text);
      if (p === null) return err([badPrefix(tt)]);
      dst = p;
    }
  }
  if (dst === null) {
    return err([
      fail(undefined, 'a destination prefix (or "default") is missing', 'Error: a destination prefix is expected.\n', 255, endCol),
    ]);
  }
  spec.dst = dst;
  return ok(spec);
}

/** Parses one `ip route` line as a topology file writes it (`default via 10.0.0.1`), without `ip route add`. */
export function parseRoute(text: string): Result<RouteSpec, IpDiagnostic[]> {
  const r = parseRouteTokens(tokenize(text), text.length + 1);
  if (!r.ok) return r;
  if ((r.value.dst.addr & ~r.value.dst.mask) !== 0) {
    const t = tokenize(text).find((x) => parsePrefix(x.text) !== null && x.text.includes('/'));
    return err([fail(t, 'the prefix has host bits set (Linux rejects it)', 'Error: Invalid prefix for given prefix length.\n', 2)]);
  }
  return r;
}

export function emptyRuleSpec(): RuleSpec {
  return {
    priority: null,
    not: false,
    from: null,
    to: null,
    tos: 0,
    fwmark: null,
    fwmask: null,
    iif: null,
    oif: null,
    action: null,
    table: null,
    suppressPrefixlength: null,
  };
}

const RULE_TYPES: Record<string, RuleAction> = {
  blackhole: 'blackhole',
  unreachable: 'unreachable',
  prohibit: 'prohibit',
  nop: 'nop',
  unicast: 'lookup',
};

const RULE_KEYS = new Set([
  'from',
  'to',
  'fwmark',
  'iif',
  'dev',
  'oif',
  'priority',
  'pref',
  'preference',
  'order',
  'lookup',
  'table',
  'tos',
  'dsfield',
  'suppress_prefixlength',
  'sup_pl',
]);

export function parseRuleTokens(toks: Token[], endCol = 1): Result<RuleSpec, IpDiagnostic[]> {
  const spec = emptyRuleSpec();
  let i = 0;
  const value = (): Token | IpDiagnostic => toks[++i] ?? incomplete(endCol);
  for (; i < toks.length; i++) {
    const t = toks[i];
    const w = t.text;
    if (w === 'not') {
      spec.not = true;
      continue;
    }
    if (RULE_TYPES[w] !== undefined) {
      spec.action = RULE_TYPES[w];
      continue;
    }
    if (!RULE_KEYS.has(w)) {
      return err([fail(t, `unknown rule keyword "${w}"`, `Error: argument "${w}" is wrong: Failed to parse rule type\n`, 255)]);
    }
    const v = value();
    if ('stderr' in v) return err([v]);
    switch (w) {
      case 'from':
      case 'to': {
        const p = parsePrefix(v.text);
        if (p === null) return err([badPrefix(v)]);
        if (w === 'from') spec.from = p;
        else spec.to = p;
        break;
      }
      case 'fwmark': {
        const slash = v.text.indexOf('/');
        const mark = parseU32(slash < 0 ? v.text : v.text.slice(0, slash));
        const mask = slash < 0 ? 0xffffffff : parseU32(v.text.slice(slash + 1));
        if (mark === null) return err([invarg(v, 'fwmark value is invalid\n')]);
        if (mask === null) return err([invarg(v, 'fwmask value is invalid\n')]);
        spec.fwmark = mark;
        spec.fwmask = mask;
        break;
      }
      case 'iif':
      case 'dev':
        spec.iif = v.text;
        break;
      case 'oif':
        spec.oif = v.text;
        break;
      case 'priority':
      case 'pref':
      case 'preference':
      case 'order': {
        const n = parseU32(v.text);
        if (n === null) return err([invarg(v, 'preference value is invalid\n')]);
        spec.priority = n;
        break;
      }
      case 'lookup':
      case 'table': {
        const n = parseTable(v.text);
        if (n === null) return err([invarg(v, 'invalid table ID\n')]);
        spec.table = n;
        spec.action = 'lookup';
        break;
      }
      case 'tos':
      case 'dsfield': {
        const n = parseU32(v.text);
        if (n === null || n > 255) return err([invarg(v, 'TOS value is invalid\n')]);
        spec.tos = n;
        break;
      }
      case 'suppress_prefixlength':
      case 'sup_pl': {
        const n = parseU32(v.text);
        if (n === null) return err([invarg(v, 'suppress_prefixlength value is invalid\n')]);
        spec.suppressPrefixlength = n;
        break;
      }
      default:
        return err([fail(t, `unknown rule keyword "${w}"`, `Error: argument "${w}" is wrong: Failed to parse rule type\n`, 255)]);
    }
  }
  return ok(spec);
}

/** Parses one `ip rule` line as a topology file writes it (`fwmark 0x1 lookup 100`). */
export function parseRule(text: string): Result<RuleSpec, IpDiagnostic[]> {
  return parseRuleTokens(tokenize(text), text.length + 1);
}
