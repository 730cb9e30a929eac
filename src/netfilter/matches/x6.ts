/**
 * Values as libxtables' option parser (x6) reads them for the extensions that use it: host and
 * mask (conntrack addresses, NETMAP), ranges of integers (ctexpire) and of ports. Each returns
 * the value or the error text iptables 1.8.9 prints, measured on this machine's iptables-nft.
 */
import { maskLength, prefixMask } from '../../packet/ipv4.js';
import { parseInetAton } from '../addr.js';
import { resolverError } from '../ext.js';
import { SERVICES } from '../services.js';

/** strtoul(…, 0) on the start of `s` (blanks and `+` allowed before it): the value and what follows; null when no digit is read. */
export function strtoulPrefix(s: string): { value: number; rest: string } | null {
  const m = /^[ \t\n\v\f\r]*\+?(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9]\d*))/.exec(s);
  if (!m) return null;
  const value = m[1] !== undefined ? parseInt(m[1], 16) : m[2] !== undefined ? parseInt(m[2], 8) : Number(m[3]);
  return { value, rest: s.slice(m[0].length) };
}

/** The whole of `s` as xtables_strtoui reads it, at most `max`; null otherwise. */
function strtoui(s: string, max: number): number | null {
  const r = strtoulPrefix(s);
  return r !== null && r.rest === '' && r.value <= max ? r.value : null;
}

/** A host as getaddrinfo reads it here: inet_aton's numbers, `localhost`; nothing else resolves in a lab. */
function resolveHost(host: string): number | null {
  if (host === 'localhost') return 0x7f000001;
  return parseInetAton(host);
}

export interface X6HostMask {
  /** The address as written, and masked. */
  given: number;
  addr: number;
  mask: number;
}

/**
 * `HOST[/MASK]` (XTTYPE_HOSTMASK). The host is resolved first. The mask is a prefix length up to
 * 32, or else an address; in 1.8.9 an address that is not a contiguous mask (also `33`, read as
 * 0.0.0.33) becomes /32.
 */
export function x6HostMask(text: string, ext: string, opt: string): X6HostMask | string {
  const slash = text.indexOf('/');
  const host = slash < 0 ? text : text.slice(0, slash);
  const given = resolveHost(host);
  if (given === null) return resolverError(host);
  let mask = 0xffffffff;
  if (slash >= 0) {
    const m = text.slice(slash + 1);
    const len = strtoui(m, 32);
    if (len !== null) mask = prefixMask(len);
    else {
      const dotted = parseInetAton(m);
      if (dotted === null) return `${ext}: bad value for option "--${opt}", neither a valid network mask nor valid CIDR (0-32).\n`;
      if (maskLength(dotted) >= 0) mask = dotted;
    }
  }
  return { given, addr: (given & mask) >>> 0, mask: mask >>> 0 };
}

const tooMany = (ext: string, opt: string) => `${ext}: Too many components for option "--${opt}" (max: 2)\n`;

/** `A`, `A:B`, `A:`, `:B`, `:` of integers up to `max` (XTTYPE_UINT32RC); a missing end is 0 or max. */
export function x6UintRange(text: string, ext: string, opt: string, max: number): [number, number] | string {
  if (text.split(':').length > 2) return tooMany(ext, opt);
  const vals: number[] = [];
  let arg = text;
  for (let i = 0; i < 2; i++) {
    if (arg === '' || arg[0] === ':') vals.push(i === 0 ? 0 : max);
    else {
      const r = strtoulPrefix(arg);
      if (r === null || r.value > max) return `${ext}: bad value for option "--${opt}" near "${arg}", or out of range (0-${max}).\n`;
      if (r.rest !== '' && r.rest[0] !== ':') return `${ext}: Argument to "--${opt}" has unexpected characters near "${r.rest}".\n`;
      vals.push(r.value);
      arg = r.rest;
    }
    if (arg === '') break;
    arg = arg.slice(1);
    if (i === 0 && arg === '') {
      vals.push(max);
      break;
    }
  }
  return vals.length === 1 ? [vals[0], vals[0]] : [vals[0], vals[1]];
}

const SERVICE_PORT = new Map<string, number>();
for (const [name, port] of SERVICES) if (!SERVICE_PORT.has(name)) SERVICE_PORT.set(name, port);

/** A port range (XTTYPE_PORTRC): service names, decimal numbers kept to their low 16 bits, reversed ranges allowed. */
export function x6PortRange(text: string, ext: string, opt: string): [number, number] | string {
  const parts = text.split(':');
  if (parts.length > 2) return tooMany(ext, opt);
  const vals: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === '') {
      vals.push(i === 0 ? 0 : 65535);
      continue;
    }
    const svc = SERVICE_PORT.get(p);
    if (svc !== undefined) vals.push(svc);
    else if (/^\d+$/.test(p) && Number(p) <= 0xffffffff) vals.push(Number(p) % 65536);
    else return `Port "${p}" does not resolve to anything.\n`;
  }
  return vals.length === 1 ? [vals[0], vals[0]] : [vals[0], vals[1]];
}
