/** DNAT, SNAT, MASQUERADE, REDIRECT and NETMAP: parsed, saved and checked here; the mapping itself is `env.nat`. */
import { formatIpv4 } from '../../packet/ipv4.js';
import type { NatKind, NatRange, NfEnv, Skb } from '../types.js';
import { parseDotted, saveAddrMask } from '../addr.js';
import { x6HostMask } from '../matches/x6.js';
import { emptyRange } from '../nat/core.js';
import { type BuildCtx, type OptionUse, type TargetDef, type TargetInstance, type TargetResult } from '../ext.js';

/**
 * Protocols with which iptables lets a NAT target map ports: it looks at the number after `-p`
 * only (`! -p tcp` passes), and icmp counts (its id is mapped as a port); udplite does not.
 */
const PORT_PROTOS = [1, 6, 17, 33, 132];
const NEED_PORT_PROTO = 'Need TCP, UDP, SCTP or DCCP with port specification';

/** `[ip[-ip]][:port[-port]]` */
function parseToRange(text: string, ctx: BuildCtx, r: NatRange): string | null {
  const colon = text.indexOf(':');
  const ipPart = colon < 0 ? text : text.slice(0, colon);
  if (colon >= 0) {
    if (!PORT_PROTOS.includes(ctx.proto)) return NEED_PORT_PROTO;
    const m = /^(\d+)(?:-(\d+))?$/.exec(text.slice(colon + 1));
    if (!m || Number(m[1]) > 65535 || (m[2] !== undefined && Number(m[2]) > 65535)) return `Port \`${text.slice(colon + 1)}' not valid`;
    r.protoSpecified = true;
    r.minPort = Number(m[1]);
    r.maxPort = m[2] === undefined ? r.minPort : Number(m[2]);
    if (r.maxPort < r.minPort) return `Port range \`${m[2]}' funky`;
  }
  if (ipPart !== '') {
    const dash = ipPart.indexOf('-');
    const lo = parseDotted(dash < 0 ? ipPart : ipPart.slice(0, dash));
    const hi = dash < 0 ? lo : parseDotted(ipPart.slice(dash + 1));
    if (lo === null || hi === null)
      return `Bad IP address "${dash < 0 ? ipPart : lo === null ? ipPart.slice(0, dash) : ipPart.slice(dash + 1)}"`;
    r.mapIps = true;
    r.minIp = lo;
    r.maxIp = hi;
  }
  return null;
}

function rangeText(r: NatRange): string {
  let s = '';
  if (r.mapIps) s += formatIpv4(r.minIp) + (r.maxIp !== r.minIp ? `-${formatIpv4(r.maxIp)}` : '');
  if (r.protoSpecified) s += `:${r.minPort}` + (r.maxPort !== r.minPort ? `-${r.maxPort}` : '');
  return s;
}

function flagsText(r: NatRange, sep: string): string {
  return (r.random ? `${sep}random` : '') + (r.randomFully ? `${sep}random-fully` : '') + (r.persistent ? `${sep}persistent` : '');
}

/** A class rather than an object of closures: kube-proxy gives every endpoint a DNAT rule. */
class NatTarget implements TargetInstance {
  constructor(
    readonly name: NatKind,
    readonly r: NatRange,
    private readonly saved: string,
    private readonly listed: string,
    readonly legal: TargetInstance['legal'],
  ) {}
  save(): string {
    return this.saved;
  }
  list(): string {
    return this.listed;
  }
  run(skb: Skb, env: NfEnv): TargetResult {
    return env.nat(skb, this.name, this.r);
  }
}

function natInstance(kind: NatKind, r: NatRange, save: string, list: string, legal: TargetInstance['legal']): TargetInstance {
  return new NatTarget(kind, r, save, list, legal);
}

/** DNAT/SNAT, printed on demand from the range (their texts would otherwise be kept per rule). */
class XNatTarget implements TargetInstance {
  constructor(
    readonly name: 'DNAT' | 'SNAT',
    private readonly opt: string,
    readonly r: NatRange,
    readonly legal: TargetInstance['legal'],
  ) {}
  save(): string {
    return ` --${this.opt} ${rangeText(this.r)}${flagsText(this.r, ' --')}`;
  }
  list(): string {
    return `to:${rangeText(this.r)}${flagsText(this.r, ' ')}`;
  }
  run(skb: Skb, env: NfEnv): TargetResult {
    return env.nat(skb, this.name, this.r);
  }
}

function readFlags(u: OptionUse, r: NatRange): boolean {
  if (u.name === 'random') r.random = true;
  else if (u.name === 'random-fully') r.randomFully = true;
  else if (u.name === 'persistent') r.persistent = true;
  else return false;
  return true;
}

function xnat(kind: 'DNAT' | 'SNAT', opt: string, legal: TargetInstance['legal']): TargetDef {
  return {
    name: kind,
    options: { [opt]: { args: 1 }, random: { args: 0 }, 'random-fully': { args: 0 }, persistent: { args: 0 } },
    check: (u, ctx) => (u.name === opt ? parseToRange(u.args[0], ctx, emptyRange()) : null),
    build(uses, ctx) {
      const r = emptyRange();
      let seen = false;
      for (const u of uses) {
        if (readFlags(u, r)) continue;
        if (seen) return `${kind}: Multiple --${opt} not supported`;
        seen = true;
        const e = parseToRange(u.args[0], ctx, r);
        if (e) return e;
      }
      if (!seen) return `${kind}: option "--${opt}" must be specified\n`;
      return new XNatTarget(kind, opt, r, legal);
    },
  };
}

export const dnatTarget = xnat('DNAT', 'to-destination', { tables: ['nat'], hooks: ['PREROUTING', 'OUTPUT'] });
export const snatTarget = xnat('SNAT', 'to-source', { tables: ['nat'], hooks: ['POSTROUTING', 'INPUT'] });

/** `--to-ports P[-Q]` into `r`, or iptables' complaint. */
function readToPorts(text: string, ctx: BuildCtx, r: NatRange): string | null {
  if (!PORT_PROTOS.includes(ctx.proto)) return NEED_PORT_PROTO;
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m || Number(m[1]) > 65535 || (m[2] !== undefined && Number(m[2]) > 65535)) return `Port \`${text}' not valid`;
  r.protoSpecified = true;
  r.minPort = Number(m[1]);
  r.maxPort = m[2] === undefined ? r.minPort : Number(m[2]);
  return r.maxPort < r.minPort ? `Port range \`${m[2]}' funky` : null;
}

function portsOnly(kind: 'MASQUERADE' | 'REDIRECT', legal: TargetInstance['legal'], listWord: string): TargetDef {
  return {
    name: kind,
    options: { 'to-ports': { args: 1 }, random: { args: 0 }, 'random-fully': { args: 0 } },
    check: (u, ctx) => (u.name === 'to-ports' ? readToPorts(u.args[0], ctx, emptyRange()) : null),
    build(uses, ctx) {
      const r = emptyRange();
      for (const u of uses) {
        if (readFlags(u, r)) continue;
        const e = readToPorts(u.args[0], ctx, r);
        if (e) return e;
      }
      const ports = r.protoSpecified ? `${r.minPort}` + (r.maxPort !== r.minPort ? `-${r.maxPort}` : '') : '';
      const save = (ports ? ` --to-ports ${ports}` : '') + flagsText(r, ' --');
      const list = [ports ? `${listWord} ${ports}` : '', flagsText(r, ' ').trim()].filter(Boolean).join(' ');
      return natInstance(kind, r, save, list, legal);
    },
  };
}

export const masqueradeTarget = portsOnly('MASQUERADE', { tables: ['nat'], hooks: ['POSTROUTING'] }, 'masq ports:');
export const redirectTarget = portsOnly('REDIRECT', { tables: ['nat'], hooks: ['PREROUTING', 'OUTPUT'] }, 'redir ports');

export const netmapTarget: TargetDef = {
  name: 'NETMAP',
  options: { to: { args: 1 } },
  check: (u) => {
    const am = x6HostMask(u.args[0], 'NETMAP', 'to');
    return typeof am === 'string' ? am : null;
  },
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return 'NETMAP: option "--to" must be specified\n';
    const am = x6HostMask(u.args[0], 'NETMAP', 'to');
    if (typeof am === 'string') return am;
    const r = emptyRange();
    r.mapIps = true;
    r.minIp = am.addr;
    r.maxIp = (am.addr | ~am.mask) >>> 0;
    const text = saveAddrMask(am);
    return natInstance('NETMAP', r, ` --to ${text}`, `to:${text}`, {
      tables: ['nat'],
      hooks: ['PREROUTING', 'POSTROUTING', 'OUTPUT', 'INPUT'],
    });
  },
};
