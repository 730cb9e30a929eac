/**
 * `ip route`, `ip rule` (and the `ip addr`/`ip link set` subset routing needs)
 * against a namespace's RoutingTables, with iproute2's output, error lines and
 * exit codes. The scenario `exec` step and the terminal UI call this.
 */
import { parseCidr } from '../packet/ipv4.js';
import { parseTable, parseU32 } from './names.js';
import { formatRouteGet, formatRoutes, formatRules } from './format.js';
import { parseRouteTokens, parseRuleTokens, tokenize, type Token } from './parse.js';
import type { AddMode, RoutingTables } from './route.js';
import { ERRNO_TEXT, TABLE_MAIN, type LookupKey } from './types.js';

export interface IpOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const out = (stdout: string): IpOutput => ({ stdout, stderr: '', exitCode: 0 });
const error = (stderr: string, exitCode: number): IpOutput => ({ stdout: '', stderr, exitCode });

/** iproute2's matches(): the word is a non-empty prefix of the keyword. */
const is = (word: string | undefined, keyword: string): boolean => word !== undefined && word.length > 0 && keyword.startsWith(word);

/** Runs one `ip` command line (a string, or argv with or without the leading `ip`). */
export function runIp(rt: RoutingTables, argv: string[] | string): IpOutput {
  const words = typeof argv === 'string' ? tokenize(argv).map((t) => t.text) : [...argv];
  if (words[0] === 'ip') words.shift();
  const toks: Token[] = words.map((text, i) => ({ text, col: i + 1 }));
  const obj = words[0];
  const rest = toks.slice(1);
  if (obj === undefined) return error('Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n', 255);
  if (is(obj, 'address')) return ipAddr(rt, rest);
  if (is(obj, 'route')) return ipRoute(rt, rest);
  if (is(obj, 'rule')) return ipRule(rt, rest);
  if (is(obj, 'link')) return ipLink(rt, rest);
  return error(`Object "${obj}" is unknown, try "ip help".\n`, 1);
}

function ipRoute(rt: RoutingTables, toks: Token[]): IpOutput {
  const cmd = toks[0]?.text;
  const args = toks.slice(1);
  if (cmd === undefined || is(cmd, 'list') || is(cmd, 'show') || cmd === 'lst') return routeShow(rt, args);
  if (cmd === 'get') return routeGet(rt, args);
  if (is(cmd, 'flush')) return routeFlush(rt, args);
  const modes: Array<[string, AddMode]> = [
    ['add', 'add'],
    ['append', 'append'],
    ['prepend', 'prepend'],
    ['replace', 'replace'],
    ['change', 'change'],
  ];
  const mode = modes.find(([k]) => is(cmd, k))?.[1] ?? (cmd === 'chg' ? 'change' : null);
  const del = is(cmd, 'delete');
  if (mode === null && !del) return error(`Command "${cmd}" is unknown, try "ip route help".\n`, 255);
  const spec = parseRouteTokens(args);
  if (!spec.ok) return error(spec.error[0].stderr, spec.error[0].exitCode);
  const e = del ? rt.delRoute(spec.value) : rt.addRoute(spec.value, mode!);
  return e ? error(e.stderr, e.exitCode) : out('');
}

function tableArg(toks: Token[]): { table: number | null } | IpOutput {
  let table: number | null = TABLE_MAIN;
  for (let i = 0; i < toks.length; i++) {
    const w = toks[i].text;
    if (w === 'table' || w === 'tab') {
      const v = toks[++i]?.text;
      if (v === undefined) return error('Command line is not complete. Try option "help"\n', 255);
      if (v === 'all') table = null;
      else {
        const n = parseTable(v);
        if (n === null) return error(`Error: argument "${v}" is wrong: table id value is invalid\n\n`, 255);
        table = n;
      }
    } else {
      return error(`Error: "${w}" is not supported here by nflab (only "table TABLE").\n`, 255);
    }
  }
  return { table };
}

function routeShow(rt: RoutingTables, toks: Token[]): IpOutput {
  const t = tableArg(toks);
  if ('exitCode' in t) return t;
  if (t.table !== null && !rt.table(t.table)) return error('Error: ipv4: FIB table does not exist.\nDump terminated\n', 2);
  return out(formatRoutes(rt, t.table));
}

function routeFlush(rt: RoutingTables, toks: Token[]): IpOutput {
  if (toks.length === 0) return error('"ip route flush" requires arguments.\n', 1);
  const t = tableArg(toks);
  if ('exitCode' in t) return t;
  if (t.table === null) {
    for (const id of rt.tableIds()) rt.flushTable(id);
    return out('');
  }
  const e = rt.flushTable(t.table);
  return e ? error(e.stderr, e.exitCode) : out('');
}

function routeGet(rt: RoutingTables, toks: Token[]): IpOutput {
  const key: LookupKey = { dst: 0 };
  let dstSeen = false;
  for (let i = 0; i < toks.length; i++) {
    const w = toks[i].text;
    const needValue = ['from', 'iif', 'oif', 'mark', 'tos', 'dsfield', 'to'].includes(w);
    const v = needValue ? toks[++i]?.text : undefined;
    if (needValue && v === undefined) return error('Command line is not complete. Try option "help"\n', 255);
    if (w === 'from') {
      const a = parseCidr(v!);
      if (a === null) return error(`Error: any valid prefix is expected rather than "${v}".\n`, 1);
      key.src = a.addr;
    } else if (w === 'iif' || w === 'oif') {
      if (!rt.device(v!)) return error(`Cannot find device "${v}"\n`, 1);
      if (w === 'iif') key.iif = v;
      else key.oif = v;
    } else if (w === 'mark') {
      const n = parseU32(v!);
      if (n === null) return error(`Error: argument "${v}" is wrong: mark value is invalid\n\n`, 255);
      key.mark = n;
    } else if (w === 'tos' || w === 'dsfield') {
      const n = parseU32(v!);
      if (n === null || n > 255) return error(`Error: argument "${v}" is wrong: TOS value is invalid\n\n`, 255);
      key.tos = n;
    } else {
      const text = w === 'to' ? v! : w;
      if (dstSeen) return error(`Error: either "to" is duplicate, or "${text}" is a garbage.\n`, 255);
      const a = parseCidr(text);
      if (a === null) return error(`Error: any valid prefix is expected rather than "${text}".\n`, 1);
      key.dst = a.addr;
      dstSeen = true;
    }
  }
  if (!dstSeen) return error('need at least a destination address\n', 1);
  if (key.iif !== undefined && key.src === undefined) key.src = 0;
  const res = rt.lookup(key);
  if (res.kind === 'error') return error(`RTNETLINK answers: ${ERRNO_TEXT[res.errno]}\n`, 2);
  return out(formatRouteGet(key, res));
}

function ipRule(rt: RoutingTables, toks: Token[]): IpOutput {
  const cmd = toks[0]?.text;
  const args = toks.slice(1);
  if (cmd === undefined || is(cmd, 'list') || is(cmd, 'show') || cmd === 'lst') {
    if (args.length > 0) return error(`Error: "${args[0].text}" is not supported here by nflab.\n`, 255);
    return out(formatRules(rt));
  }
  const add = is(cmd, 'add');
  const del = is(cmd, 'delete');
  if (!add && !del) return error(`Command "${cmd}" is unknown, try "ip rule help".\n`, 255);
  if (del && args.length === 0) return error('"ip rule del" requires arguments.\n', 1);
  const spec = parseRuleTokens(args);
  if (!spec.ok) return error(spec.error[0].stderr, spec.error[0].exitCode);
  const e = add ? rt.addRule(spec.value) : rt.delRule(spec.value);
  return e ? error(e.stderr, e.exitCode) : out('');
}

function ipAddr(rt: RoutingTables, toks: Token[]): IpOutput {
  const cmd = toks[0]?.text;
  const add = is(cmd, 'add');
  const del = is(cmd, 'delete');
  if (!add && !del) return error(`Error: nflab supports only "ip addr add|del ADDR/LEN dev IF".\n`, 255);
  let cidr = null;
  let dev: string | null = null;
  for (let i = 1; i < toks.length; i++) {
    const w = toks[i].text;
    if (w === 'dev') dev = toks[++i]?.text ?? null;
    else if ((cidr = parseCidr(w)) === null) return error(`Error: any valid prefix is expected rather than "${w}".\n`, 1);
  }
  if (cidr === null || dev === null) return error('Not enough information: "dev" argument is required.\n', 1);
  const e = add ? rt.addAddress(dev, cidr.addr, cidr.len) : rt.delAddress(dev, cidr.addr, cidr.len);
  return e ? error(e.stderr, e.exitCode) : out('');
}

function ipLink(rt: RoutingTables, toks: Token[]): IpOutput {
  const words = toks.map((t) => t.text);
  if (!is(words[0], 'set')) return error('Error: nflab supports only "ip link set DEV up|down".\n', 255);
  let i = 1;
  if (words[i] === 'dev') i++;
  const dev = words[i];
  const state = words[i + 1];
  if (dev === undefined || (state !== 'up' && state !== 'down'))
    return error('Error: nflab supports only "ip link set DEV up|down".\n', 255);
  if (!rt.setLinkUp(dev, state === 'up')) return error(`Cannot find device "${dev}"\n`, 1);
  return out('');
}
