/**
 * Bob Jenkins' lookup3 hash over 32-bit words, as the kernel's jhash2. NAT
 * address choice depends on it bit for bit, so it must match exactly.
 */
const rol = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

export function jhash2(words: readonly number[], initval: number): number {
  let a = (0xdeadbeef + (words.length << 2) + initval) >>> 0;
  let b = a;
  let c = a;
  let i = 0;
  let len = words.length;
  while (len > 3) {
    a = (a + words[i]) >>> 0;
    b = (b + words[i + 1]) >>> 0;
    c = (c + words[i + 2]) >>> 0;
    a = ((a - c) ^ rol(c, 4)) >>> 0;
    c = (c + b) >>> 0;
    b = ((b - a) ^ rol(a, 6)) >>> 0;
    a = (a + c) >>> 0;
    c = ((c - b) ^ rol(b, 8)) >>> 0;
    b = (b + a) >>> 0;
    a = ((a - c) ^ rol(c, 16)) >>> 0;
    c = (c + b) >>> 0;
    b = ((b - a) ^ rol(a, 19)) >>> 0;
    a = (a + c) >>> 0;
    c = ((c - b) ^ rol(b, 4)) >>> 0;
    b = (b + a) >>> 0;
    len -= 3;
    i += 3;
  }
  if (len === 0) return c;
  if (len === 3) c = (c + words[i + 2]) >>> 0;
  if (len >= 2) b = (b + words[i + 1]) >>> 0;
  a = (a + words[i]) >>> 0;
  c = ((c ^ b) - rol(b, 14)) >>> 0;
  a = ((a ^ c) - rol(c, 11)) >>> 0;
  b = ((b ^ a) - rol(a, 25)) >>> 0;
  c = ((c ^ b) - rol(b, 16)) >>> 0;
  a = ((a ^ c) - rol(c, 4)) >>> 0;
  b = ((b ^ a) - rol(a, 14)) >>> 0;
  c = ((c ^ b) - rol(b, 24)) >>> 0;
  return c;
}

/**
 * An IPv4 address as the kernel's hash reads it: the network-order bytes loaded
 * as a native 32-bit word on a little-endian (x86-64) machine.
 */
export function wireWord(addr: number): number {
  return (((addr >>> 24) & 0xff) | ((addr >>> 8) & 0xff00) | ((addr & 0xff00) << 8) | ((addr & 0xff) << 24)) >>> 0;
}

/** reciprocal_scale: maps a 32-bit hash onto [0, n) as (h * n) >> 32. */
export function reciprocalScale(h: number, n: number): number {
  return Number((BigInt(h >>> 0) * BigInt(n >>> 0)) >> 32n);
}
