/**
 * The Internet checksum (RFC 1071): the ones' complement of the ones' complement
 * sum of 16-bit big-endian words, an odd final byte padded with zero.
 */

/** Adds bytes[start, end) to a running 32-bit partial sum (not yet folded or complemented). */
export function sumBytes(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  // Fold occasionally so long inputs never leave the safe-integer range.
  return sum > 0x7fffffff ? fold(sum) : sum;
}

/** Folds carries back into 16 bits. */
export function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** The checksum field value for bytes[start, end) plus any partial sum already taken (a pseudo-header). */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  return ~fold(sumBytes(bytes, start, end, initial)) & 0xffff;
}

/** The partial sum of the TCP/UDP pseudo-header: addresses, protocol and L4 length. */
export function pseudoHeaderSum(src: number, dst: number, proto: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + length;
}

/** Whether bytes[start, end) including their checksum field sum to all-ones (a valid checksum). */
export function checksumValid(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): boolean {
  return fold(sumBytes(bytes, start, end, initial)) === 0xffff;
}
