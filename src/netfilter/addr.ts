/** Address, port and interface argument parsing shared by the base match and extensions. */
import { formatIpv4, maskLength, prefixMask, type Ipv4 } from '../packet/ipv4.js';
import { PROTO_NAMES } from './protocols.js';
import { SERVICES } from './services.js';

/**
 * An IPv4 address as inet_aton reads it, which iptables uses: `1.2.3` is 1.2.0.3,
 * `10` is 0.0.0.10; parts may be hex or octal.
 */
export function parseInetAton(text: string): Ipv4 | null {
  const quad = plainDottedQuad(text);
  if (quad >= 0) return quad;
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return null;
  const nums: number[] = [];
  for (const p of parts) {
    let v: number;
    if (/^0[xX][0-9a-fA-F]+$/.test(p)) v = parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) v = parseInt(p, 8);
    else if (/^[1-9]\d*$/.test(p)) v = Number(p);
    else return null;
    nums.push(v);
  }
  const last = nums.pop()!;
  let n = 0;
  for (const v of nums) {
    if (v > 255) return null;
    n = n * 256 + v;
  }
  const restBits = 8 * (4 - nums.length);
  if (last >= 2 ** restBits) return null;
  return (n * 2 ** restBits + last) >>> 0;
}

/**
 * `a.b.c.d` with four plain decimal parts (no leading zero, each at most 255) read without
 * splitting or regexes, as nearly every address in a rules file is; -1 for anything else,
 * which parseInetAton then reads the general way (and may still accept).
 */
function plainDottedQuad(text: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && part === 0) return -1;
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return (n * 256 + part) >>> 0;
}

/** Only dotted quads as iptables' own option parsers (iprange, --to-destination) accept them. */
export function parseDotted(text: string): Ipv4 | null {
  const quad = plainDottedQuad(text);
  if (quad >= 0) return quad;
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = n * 256 + Number(p);
  }
  return n >>> 0;
}

/** `/LEN` as one or two decimal digits up to 32 (what /^\d{1,2}$/ and <= 32 accept), else -1. */
function prefixLength(m: string): number {
  if (m.length < 1 || m.length > 2) return -1;
  let n = 0;
  for (let i = 0; i < m.length; i++) {
    const c = m.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n <= 32 ? n : -1;
}

export interface AddrMask {
  addr: Ipv4;
  mask: number;
}

/** `ADDR[/LEN|/MASK]` for -s/-d; host bits are cleared as the kernel stores them. */
export function parseAddrMask(text: string): AddrMask | null {
  const slash = text.indexOf('/');
  const addr = parseInetAton(slash < 0 ? text : text.slice(0, slash));
  if (addr === null) return null;
  let mask = 0xffffffff;
  if (slash >= 0) {
    const m = text.slice(slash + 1);
    const len = prefixLength(m);
    if (len >= 0) mask = prefixMask(len);
    else {
      const dm = parseDotted(m);
      if (dm === null) return null;
      mask = dm;
    }
  }
  return { addr: (addr & mask) >>> 0, mask: mask >>> 0 };
}

/** iptables-save form: always with a prefix length, or a dotted mask when not contiguous. */
export function saveAddrMask(a: AddrMask): string {
  const len = a.mask === 0xffffffff ? 32 : maskLength(a.mask);
  return `${formatIpv4(a.addr)}/${len >= 0 ? len : formatIpv4(a.mask)}`;
}

/** `iptables -L -n` form: `0.0.0.0/0`, a bare address for /32. */
export function listAddrMask(a: AddrMask | null): string {
  if (a === null || a.mask === 0) return '0.0.0.0/0';
  const len = maskLength(a.mask);
  if (len === 32) return formatIpv4(a.addr);
  return `${formatIpv4(a.addr)}/${len >= 0 ? len : formatIpv4(a.mask)}`;
}

const PROTO_BY_NAME = new Map<string, number>();
const PROTO_BY_NUM = new Map<number, string>();
for (const [name, num] of PROTO_NAMES) {
  PROTO_BY_NAME.set(name, num);
  if (!PROTO_BY_NUM.has(num)) PROTO_BY_NUM.set(num, name);
}

/** `-p` argument: a name (any case), a number, or `all`. */
export function parseProto(text: string): number | null {
  const lower = text.toLowerCase();
  if (lower === 'all') return 0;
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n <= 255 ? n : null;
  }
  return PROTO_BY_NAME.get(lower) ?? null;
}

export function protoSaveName(n: number): string {
  return PROTO_BY_NUM.get(n) ?? String(n);
}

const SERVICE_PORT = new Map<string, number>();
for (const [name, port, proto] of SERVICES) {
  const key = `${name}/${proto}`;
  if (!SERVICE_PORT.has(key)) SERVICE_PORT.set(key, port);
}

/** A port by number or service name (`http`), for the given protocol name. */
export function parsePort(text: string, proto: string): number | null {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n <= 65535 ? n : null;
  }
  return SERVICE_PORT.get(`${text}/${proto}`) ?? SERVICE_PORT.get(`${text}/tcp`) ?? null;
}

/** `A`, `A:B`, `A:`, `:B` port ranges. */
export function parsePortRange(text: string, proto: string): [number, number] | null {
  const colon = text.indexOf(':');
  if (colon < 0) {
    const p = parsePort(text, proto);
    return p === null ? null : [p, p];
  }
  const lo = colon === 0 ? 0 : parsePort(text.slice(0, colon), proto);
  const hi = colon === text.length - 1 ? 65535 : parsePort(text.slice(colon + 1), proto);
  if (lo === null || hi === null) return null;
  return [lo, hi];
}

export function savePortRange([lo, hi]: readonly [number, number]): string {
  return lo === hi ? String(lo) : `${lo}:${hi}`;
}

/** Interface name with `+` wildcard; returns a matcher built once at load time. */
export function ifaceMatcher(pattern: string): (name: string | null) => boolean {
  if (pattern.endsWith('+')) {
    const prefix = pattern.slice(0, -1);
    // A bare `+` matches every packet, even one without that interface, as the kernel's zero mask does.
    return (name) => (name ?? '').startsWith(prefix);
  }
  return (name) => name === pattern;
}
