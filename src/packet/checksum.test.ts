import { describe, expect, it } from 'vitest';
import { checksumValid, fold, internetChecksum, pseudoHeaderSum, sumBytes } from './checksum.js';

describe('internet checksum (RFC 1071)', () => {
  it('matches the worked example of RFC 1071 section 3', () => {
    // Bytes 00 01 f2 03 f4 f5 f6 f7: the folded sum is ddf2, so the checksum is its complement.
    const b = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(fold(sumBytes(b))).toBe(0xddf2);
    expect(internetChecksum(b)).toBe(0x220d);
  });

  it('pads an odd final byte with zero on the right', () => {
    expect(internetChecksum(Uint8Array.from([0x01]))).toBe(0xfeff);
    expect(internetChecksum(Uint8Array.from([0x12, 0x34, 0x56]))).toBe(~(0x1234 + 0x5600) & 0xffff);
  });

  it('validates data that carries its own checksum, and rejects a flipped bit', () => {
    const b = Uint8Array.from([0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    const c = internetChecksum(b);
    b[10] = c >>> 8;
    b[11] = c & 0xff;
    expect(checksumValid(b)).toBe(true);
    b[3] ^= 0x04;
    expect(checksumValid(b)).toBe(false);
  });

  it('does not overflow on long inputs', () => {
    const b = new Uint8Array(200_000).fill(0xff);
    expect(internetChecksum(b)).toBe(0);
  });

  it('sums the pseudo-header words', () => {
    expect(fold(pseudoHeaderSum(0x0a000001, 0x0a000002, 6, 20))).toBe(0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 6 + 20);
  });
});
