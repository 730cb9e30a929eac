/** The tcp match: TCP ports, flags and options. */
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '../../packet/packet.js';
import type { MatchDef, MatchFn, MatchInstance } from '../ext.js';
import { exactPort, listPorts, PORT_OPTIONS, portsTest, readPorts, protoCheck, savePorts, checkPortUse, type PortSel } from './ports.js';

const FLAG_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['FIN', TCP_FIN],
  ['SYN', TCP_SYN],
  ['RST', TCP_RST],
  ['PSH', TCP_PSH],
  ['ACK', TCP_ACK],
  ['URG', TCP_URG],
];
const ALL = 0x3f;

function parseFlags(text: string): number | null {
  let v = 0;
  for (const name of text.split(',')) {
    const up = name.toUpperCase();
    if (up === 'ALL') v |= ALL;
    else if (up === 'NONE') continue;
    else {
      const f = FLAG_NAMES.find(([n]) => n === up);
      if (!f) return null;
      v |= f[1];
    }
  }
  return v;
}

export function formatTcpFlags(v: number): string {
  if (v === 0) return 'NONE';
  return FLAG_NAMES.filter(([, bit]) => v & bit)
    .map(([n]) => n)
    .join(',');
}

const hex2 = (n: number) => `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;

export const tcpMatch: MatchDef = {
  name: 'tcp',
  options: {
    ...PORT_OPTIONS,
    'tcp-flags': { args: 2, invert: true },
    syn: { args: 0, invert: true },
    'tcp-option': { args: 1, invert: true },
  },
  check(u, _ctx, prior) {
    // Each option once, checked before its value, as libxt_tcp reads them (--syn and --tcp-flags share one flag).
    const flagsLike = (n: string) => n === 'tcp-flags' || n === 'syn';
    if (flagsLike(u.name) && prior.some((p) => flagsLike(p.name))) return "Only one of `--syn' or `--tcp-flags'  allowed";
    if (u.name === 'tcp-option' && prior.some((p) => p.name === 'tcp-option')) return "Only one `--tcp-option' allowed";
    if (u.name === 'tcp-flags') {
      const bad = [u.args[0], u.args[1]].find((f) => parseFlags(f) === null);
      return bad === undefined ? null : `Unknown TCP flag \`${bad}'`;
    }
    if (u.name === 'tcp-option') return /^\d+$/.test(u.args[0]) && Number(u.args[0]) <= 255 ? null : `Bad TCP option "${u.args[0]}"`;
    return checkPortUse(u, 'tcp', prior);
  },
  build(uses, ctx) {
    const ports = readPorts(uses, 'tcp', true);
    if (typeof ports === 'string') return ports;
    const { sport, dport } = ports;
    let flags: TcpFlagsSel | null = null;
    let option: { kind: number; invert: boolean } | null = null;
    let noFlags: 'dropped' | 'empty' | null = null;
    for (const u of uses) {
      if (u.name === 'syn') flags = { mask: TCP_FIN | TCP_SYN | TCP_RST | TCP_ACK, cmp: TCP_SYN, invert: u.invert };
      else if (u.name === 'tcp-flags') {
        const mask = parseFlags(u.args[0]);
        const cmp = parseFlags(u.args[1]);
        if (mask === null || cmp === null) return `Unknown TCP flag \`${mask === null ? u.args[0] : u.args[1]}'`;
        flags = { mask, cmp, invert: u.invert };
        // iptables-nft stores no compare for a mask of NONE: the test is gone, even one that could never match.
        if (mask === 0) {
          flags = null;
          noFlags = cmp !== 0 || u.invert ? 'dropped' : 'empty';
        }
      } else if (u.name === 'tcp-option') {
        const kind = Number(u.args[0]);
        if (!/^\d+$/.test(u.args[0]) || kind > 255) return `Bad TCP option "${u.args[0]}"`;
        option = { kind, invert: u.invert };
      }
    }
    // A full port range stores no compare: with nothing else the match goes to the kernel as an xt match.
    // A mask of NONE compared with NONE is no option at all; with another compare or inverted it needs -p tcp.
    const stored = sport !== null || dport !== null || flags !== null || option !== null || ports.droppedFull || noFlags === 'dropped';
    const m = new TcpMatch(sport, dport, flags, option, protoCheck('tcp', 6, ctx.proto, ctx.protoInvert, option === null, stored));
    if ((ports.droppedFull || noFlags === 'dropped') && !sport && !dport && !flags && !option) m.elided = true;
    return m;
  },
};

interface TcpFlagsSel {
  mask: number;
  cmp: number;
  invert: boolean;
}

/** The packet test, made outside the class so that its closure holds only what it reads. */
function tcpAny(): MatchFn {
  return (skb) => !!skb.pkt.tcp && skb.pkt.fragOffset === 0;
}

function tcpDport(port: number): MatchFn {
  return (skb) => {
    const t = skb.pkt.tcp;
    return !!t && skb.pkt.fragOffset === 0 && t.dport === port;
  };
}

function tcpFull(
  ports: ((s: number, d: number) => boolean) | null,
  f: TcpFlagsSel | null,
  o: { kind: number; invert: boolean } | null,
): MatchFn {
  return (skb) => {
    const p = skb.pkt;
    const t = p.tcp;
    if (!t || p.fragOffset !== 0) return false;
    if (ports !== null && !ports(t.sport, t.dport)) return false;
    if (f && ((t.flags & f.mask) === f.cmp) === f.invert) return false;
    if (o && hasOption(t.options, o.kind) === o.invert) return false;
    return true;
  };
}

/**
 * The packet test, made by factories outside the class so that each closure's context holds only
 * what it reads. Non-first fragments carry no TCP header: the kernel never matches them.
 */
function tcpTest(
  sport: PortSel | null,
  dport: PortSel | null,
  f: TcpFlagsSel | null,
  o: { kind: number; invert: boolean } | null,
): MatchFn {
  if (f === null && o === null && sport === null) {
    if (dport === null) return TCP_ANY;
    const port = exactPort(dport);
    if (port !== undefined) return tcpDport(port);
  }
  return tcpFull(portsTest(sport, dport), f, o);
}

const TCP_ANY = tcpAny();

/** A class rather than an object of closures: the printers live once on the prototype. */
class TcpMatch implements MatchInstance {
  readonly name = 'tcp';
  elided = false;
  readonly lateError: string | undefined;
  readonly kernelError: string | undefined;
  readonly exactDport: number | undefined;
  readonly test: MatchFn;
  constructor(
    readonly sport: PortSel | null,
    readonly dport: PortSel | null,
    readonly flags: TcpFlagsSel | null,
    readonly option: { kind: number; invert: boolean } | null,
    check: { lateError?: string; kernelError?: string },
  ) {
    this.lateError = check.lateError;
    this.kernelError = check.kernelError;
    this.exactDport = exactPort(dport);
    this.test = tcpTest(sport, dport, flags, option);
  }
  save(): string {
    const o = this.option;
    const f = this.flags;
    return (
      savePorts(this.sport, this.dport) +
      (o ? `${o.invert ? ' !' : ''} --tcp-option ${o.kind}` : '') +
      (f ? `${f.invert ? ' !' : ''} --tcp-flags ${formatTcpFlags(f.mask)} ${formatTcpFlags(f.cmp)}` : '')
    );
  }
  list(): string {
    const o = this.option;
    const f = this.flags;
    return (
      'tcp' +
      listPorts(this.sport, this.dport) +
      (o ? ` option=${o.invert ? '!' : ''}${o.kind}` : '') +
      (f ? ` flags:${f.invert ? '!' : ''}${hex2(f.mask)}/${hex2(f.cmp)}` : '')
    );
  }
}

function hasOption(opts: { mss?: number; sackPermitted?: boolean; wscale?: number; timestamp?: [number, number] }, kind: number): boolean {
  switch (kind) {
    case 2:
      return opts.mss !== undefined;
    case 3:
      return opts.wscale !== undefined;
    case 4:
      return opts.sackPermitted === true;
    case 8:
      return opts.timestamp !== undefined;
    default:
      return false;
  }
}
