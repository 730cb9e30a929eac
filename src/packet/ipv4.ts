/** IPv4 addresses are unsigned 32-bit integers in host order; these are the only conversions. */
export type Ipv4 = number;

export function parseIpv4(text: string): Ipv4 | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (p.length === 0 || p.length > 3) return null;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (c < 48 || c > 57) return null;
    }
    const v = Number(p);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n >>> 0;
}

export function formatIpv4(a: Ipv4): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

export function prefixMask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** Prefix length of a contiguous mask, or -1 when the mask has holes. */
export function maskLength(mask: number): number {
  const inv = ~mask >>> 0;
  if ((inv & (inv + 1)) !== 0) return -1;
  let len = 0;
  for (let m = mask >>> 0; m & 0x80000000; m = (m << 1) >>> 0) len++;
  return len;
}

export interface Cidr {
  /** The network address as written (host bits may be set; `network` has them cleared). */
  addr: Ipv4;
  len: number;
  mask: number;
  network: Ipv4;
}

export function makeCidr(addr: Ipv4, len: number): Cidr {
  const mask = prefixMask(len);
  return { addr, len, mask, network: (addr & mask) >>> 0 };
}

/** `10.0.0.0/8`, or a bare address as /32. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addr = parseIpv4(slash < 0 ? text : text.slice(0, slash));
  if (addr === null) return null;
  if (slash < 0) return makeCidr(addr, 32);
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,2}$/.test(lenText)) return null;
  const len = Number(lenText);
  if (len > 32) return null;
  return makeCidr(addr, len);
}

export function cidrContains(c: Cidr, a: Ipv4): boolean {
  return (a & c.mask) >>> 0 === c.network;
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.network)}/${c.len}`;
}

export function isLoopback(a: Ipv4): boolean {
  return a >>> 24 === 127;
}

export function isMulticast(a: Ipv4): boolean {
  return a >>> 28 === 0xe;
}

export const LIMITED_BROADCAST: Ipv4 = 0xffffffff;
