/**
 * The tables iptables-nft made, as `nft list ruleset` shows them: iptables-nft keeps its rules
 * in nftables (table ip filter, ip nat, ...), and nft prints their expressions in its own
 * language. What nft can express natively prints natively (`-p tcp --dport 22` is `tcp dport
 * 22`, `-m addrtype --dst-type LOCAL` is `fib daddr type local`, `MARK --or-mark` is `meta mark
 * set mark or ...`); an xtables match or target kept as such prints as `xt match NAME` or `xt
 * target NAME`, and `-m comment` as nothing at all. Measured against
 * test/fixtures/corpus-nft/_kernel-roundtrip/iptables-nft-as-nft/.
 */
import type { Rule, Ruleset as IptRuleset, Table as IptTable, Chain as IptChain } from '../netfilter/rule.js';
import { saveAddrMask } from '../netfilter/addr.js';
import { printPriority } from './print.js';
import type { NftHook } from './ast.js';

const PRIORITY: Record<string, number> = { raw: -300, mangle: -150, nat: 0, filter: 0, security: 50 };
const NAT_PRIORITY: Record<string, number> = { PREROUTING: -100, INPUT: 100, OUTPUT: -100, POSTROUTING: 100 };

function chainType(table: string, hook: string): string {
  if (table === 'nat') return 'nat';
  if (table === 'mangle' && hook === 'OUTPUT') return 'route';
  return 'filter';
}

/** The words of an option text (`--comment "a b"` keeps its quoted word whole). */
function words(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] ?? m[2]);
  return out;
}

/** `A/32` as nft prints it: the address alone, or `A/N`. */
function addr(a: string): string {
  return a.endsWith('/32') ? a.slice(0, -3) : a;
}

const iface = (n: string): string => `"${n.endsWith('+') ? `${n.slice(0, -1)}*` : n}"`;
const hex32 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const PROTO_NAMES: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '132': 'sctp' };
const ICMP_TYPES: Record<string, string> = {
  '0': 'echo-reply',
  '3': 'destination-unreachable',
  '8': 'echo-request',
  '11': 'time-exceeded',
  'echo-reply': 'echo-reply',
  'destination-unreachable': 'destination-unreachable',
  'echo-request': 'echo-request',
  'time-exceeded': 'time-exceeded',
};
const LIMIT_UNITS: Record<string, string> = { sec: 'second', min: 'minute', hour: 'hour', day: 'day' };
const REJECTS: Record<string, string> = {
  'icmp-port-unreachable': '',
  'icmp-net-unreachable': ' with icmp net-unreachable',
  'icmp-host-unreachable': ' with icmp host-unreachable',
  'icmp-proto-unreachable': ' with icmp prot-unreachable',
  'icmp-net-prohibited': ' with icmp net-prohibited',
  'icmp-host-prohibited': ' with icmp host-prohibited',
  'icmp-admin-prohibited': ' with icmp admin-prohibited',
  'tcp-reset': ' with tcp reset',
};

const ports = (p: string): string => p.replace(':', '-');

/** One `-m NAME` match as nft prints it; `proto` is the rule's `-p`. */
function matchText(name: string, opts: string[], proto: string | null): string {
  let neg = false;
  const parts: string[] = [];
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i];
    if (o === '!') {
      neg = true;
      continue;
    }
    const v = opts[i + 1] ?? '';
    const op = neg ? '!= ' : '';
    neg = false;
    switch (`${name} ${o}`) {
      case 'tcp --dport':
      case 'tcp --sport':
      case 'udp --dport':
      case 'udp --sport':
        parts.push(`${name} ${o.slice(2)} ${op}${ports(v)}`);
        i++;
        break;
      case 'multiport --dports':
      case 'multiport --sports': {
        const list = v.split(',').map(ports);
        parts.push(`${proto ?? 'th'} ${o.slice(2, -1)} ${op}${list.length > 1 ? `{ ${list.join(', ')} }` : list[0]}`);
        i++;
        break;
      }
      case 'icmp --icmp-type':
        parts.push(`icmp type ${op}${ICMP_TYPES[v] ?? v}`);
        i++;
        break;
      case 'conntrack --ctstate':
      case 'state --state': {
        // A state list naming DNAT or SNAT lists as nft shows the kernel's translation of it (measured: k3s corpus).
        const nat = v.split(',').filter((x) => x === 'DNAT' || x === 'SNAT');
        if (nat.length) {
          parts.push(`ct status ${nat.map((x) => x.toLowerCase()).join(',')}`);
          i++;
          break;
        }
        // In the order iptables-save writes them (nft prints iptables-nft's state list as given).
        const states = v.split(',');
        parts.push(`ct state ${op}${states.map((s) => s.toLowerCase()).join(',')}`);
        i++;
        break;
      }
      case 'conntrack --ctstatus':
        parts.push(`ct status ${op}${v.toLowerCase()}`);
        i++;
        break;
      case 'mark --mark':
      case 'connmark --mark': {
        const [val, mask] = v.split('/');
        const left = name === 'mark' ? 'meta mark' : 'ct mark';
        if (mask !== undefined && Number(mask) !== 0xffffffff)
          parts.push(`${left} & ${hex32(Number(mask))} ${neg || op ? '!=' : '=='} ${hex32(Number(val))}`.replace('!= ==', '!='));
        else parts.push(`${left} ${op}${name === 'mark' ? hex32(Number(val)) : `0x${Number(val).toString(16)}`}`);
        i++;
        break;
      }
      case 'owner --uid-owner':
        parts.push(`skuid ${op}${v}`);
        i++;
        break;
      case 'owner --gid-owner':
        parts.push(`skgid ${op}${v}`);
        i++;
        break;
      case 'addrtype --dst-type':
      case 'addrtype --src-type':
        parts.push(`fib ${o === '--dst-type' ? 'daddr' : 'saddr'} type ${op}${v.toLowerCase()}`);
        i++;
        break;
      case 'limit --limit': {
        const [n, unit] = v.split('/');
        const burst = opts[i + 2] === '--limit-burst' ? opts[i + 3] : '5';
        parts.push(`limit rate ${n}/${LIMIT_UNITS[unit] ?? unit} burst ${burst} packets`);
        i += opts[i + 2] === '--limit-burst' ? 3 : 1;
        break;
      }
      case 'comment --comment':
        // iptables-nft keeps the comment as an xtables match that nft prints as nothing.
        parts.push('');
        i++;
        break;
      default:
        return `xt match ${name}`;
    }
  }
  return parts.join(' ');
}

function markSet(opts: string[]): string | null {
  const [o, v] = opts;
  if (o === '--set-xmark' || o === '--set-mark') {
    const [val, maskText] = v.split('/');
    const value = Number(val) >>> 0;
    const mask = maskText === undefined ? 0xffffffff : Number(maskText) >>> 0;
    if (mask === 0xffffffff) return `meta mark set 0x${value.toString(16)}`;
    if (value === mask) return `meta mark set mark or 0x${value.toString(16)}`;
    if (value === 0) return `meta mark set mark and 0x${(~mask >>> 0).toString(16)}`;
    if (mask === 0) return `meta mark set mark xor 0x${value.toString(16)}`;
    return null;
  }
  if (o === '--or-mark') return `meta mark set mark or 0x${(Number(v) >>> 0).toString(16)}`;
  if (o === '--and-mark') return `meta mark set mark and 0x${(Number(v) >>> 0).toString(16)}`;
  if (o === '--xor-mark') return `meta mark set mark xor 0x${(Number(v) >>> 0).toString(16)}`;
  return null;
}

function targetText(r: Rule): string {
  const t = r.target;
  switch (t.kind) {
    case 'none':
      return '';
    case 'verdict':
      return t.verdict === 'QUEUE' ? 'queue' : t.verdict.toLowerCase();
    case 'jump':
      return `jump ${t.chainName}`;
    case 'goto':
      return `goto ${t.chainName}`;
    case 'ext':
      break;
  }
  const name = t.ext.name;
  const o = words(t.ext.save());
  const val = (k: string) => {
    const i = o.indexOf(k);
    return i >= 0 ? o[i + 1] : undefined;
  };
  switch (name) {
    case 'MARK':
      return markSet(o) ?? 'xt target MARK';
    case 'MASQUERADE': {
      const p = val('--to-ports');
      const flags = [o.includes('--random') ? 'random' : '', o.includes('--random-fully') ? 'fully-random' : ''].filter(Boolean);
      return `masquerade${p ? ` to :${p}` : ''}${flags.length ? ` ${flags.join(',')}` : ''}`;
    }
    case 'DNAT':
    case 'SNAT': {
      const to = val(name === 'DNAT' ? '--to-destination' : '--to-source');
      if (!to) return `xt target ${name}`;
      return `${name.toLowerCase()} to ${to}${o.includes('--random-fully') ? ' fully-random' : o.includes('--random') ? ' random' : ''}`;
    }
    case 'REDIRECT': {
      const p = val('--to-ports');
      return `redirect${p ? ` to :${p}` : ''}`;
    }
    case 'REJECT':
      return `reject${REJECTS[val('--reject-with') ?? 'icmp-port-unreachable'] ?? ''}`;
    case 'NFLOG': {
      const prefix = val('--nflog-prefix');
      return `log${prefix !== undefined ? ` prefix "${prefix}"` : ''} group ${val('--nflog-group') ?? '0'}`;
    }
    case 'LOG': {
      const prefix = val('--log-prefix');
      return `log${prefix !== undefined ? ` prefix "${prefix}"` : ''}`;
    }
    case 'CONNMARK':
      if (o.includes('--save-mark')) return 'ct mark set mark';
      if (o.includes('--restore-mark')) return 'meta mark set ct mark';
      return 'xt target CONNMARK';
    default:
      return `xt target ${name}`;
  }
}

/** A rule's statements: its header (interfaces, protocol, addresses), matches, counter, target. */
export function iptablesRuleText(r: Rule): string {
  const h = r.header;
  const parts: string[] = [];
  if (h.inIf !== null) parts.push(`iifname ${h.inInv ? '!= ' : ''}${iface(h.inIf)}`);
  if (h.outIf !== null) parts.push(`oifname ${h.outInv ? '!= ' : ''}${iface(h.outIf)}`);
  const proto = h.proto === 0 ? null : (PROTO_NAMES[String(h.proto)] ?? String(h.proto));
  const protoAt = parts.length;
  if (proto !== null) parts.push(`meta l4proto ${h.protoInv ? '!= ' : ''}${proto}`);
  const src = h.src ? saveAddrMask(h.src) : '0.0.0.0/0';
  const dst = h.dst ? saveAddrMask(h.dst) : '0.0.0.0/0';
  if (src !== '0.0.0.0/0') parts.push(`ip saddr ${h.srcInv ? '!= ' : ''}${addr(src)}`);
  if (dst !== '0.0.0.0/0') parts.push(`ip daddr ${h.dstInv ? '!= ' : ''}${addr(dst)}`);
  const headerEnd = parts.length;
  for (const m of r.matches) parts.push(matchText(m.name, words(m.save()), proto));
  // nft drops `meta l4proto P` when a match on P's header follows with only header matches between.
  if (proto !== null && !h.protoInv && r.matches[0]?.name === proto) {
    const next = parts[headerEnd];
    if (next !== undefined && next.startsWith(`${proto} `)) parts.splice(protoAt, 1);
  }
  parts.push(`counter packets ${r.pkts} bytes ${r.bytes}`);
  const t = targetText(r);
  if (t) parts.push(t);
  return parts.join(' ');
}

/** The chains iptables-nft has made (built-in ones lazily, on first use), in the order it made them. */
function chainsInOrder(t: IptTable): IptChain[] {
  return [...t.chains.values()].filter((c) => c.registered).sort((a, b) => (a.madeAt ?? 0) - (b.madeAt ?? 0));
}

function printChainOf(t: IptTable, c: IptChain, handles: { next: number } | null): string {
  const hnd = () => (handles ? ` # handle ${handles.next++}` : '');
  let out = `\tchain ${c.name} {${hnd()}\n`;
  if (c.builtin) {
    const hook = c.name.toLowerCase() as NftHook;
    const prio = t.name === 'nat' ? NAT_PRIORITY[c.name] : PRIORITY[t.name];
    out += `\t\ttype ${chainType(t.name, c.name)} hook ${hook} priority ${printPriority(prio, 'ip', hook)}; policy ${c.policy.toLowerCase()};\n`;
  }
  for (const r of c.rules) out += `\t\t${iptablesRuleText(r)}${hnd()}\n`;
  return `${out}\t}\n`;
}

/** `nft [-a] list ruleset` of the tables iptables-nft made, in the order they were made. */
export function printIptablesTables(rs: IptRuleset, opts: { handles: boolean; firstTableHandle?: number }): string {
  let out = '';
  let th = opts.firstTableHandle ?? 1;
  for (const t of rs.tables.values()) {
    const chains = chainsInOrder(t);
    const handles = opts.handles ? { next: 1 } : null;
    out += `table ip ${t.name} {${opts.handles ? ` # handle ${th++}` : ''}\n`;
    out += chains.map((c) => printChainOf(t, c, handles)).join('\n');
    out += '}\n';
  }
  return out;
}
