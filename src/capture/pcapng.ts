/**
 * A streaming pcapng writer (draft-ietf-opsawg-pcapng): one Section Header
 * Block, Interface Description Blocks declared as interfaces appear, and
 * Enhanced Packet Blocks. Blocks go into one fixed buffer that is written out
 * with fs.writeSync whenever it fills, so a capture of any length uses the same
 * memory. Everything is little-endian, which every reader accepts.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Micros } from '../core/time.js';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_EPB = 0x00000006;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;
export const SHB_USERAPPL = 4;
export const IF_NAME = 2;
export const IF_DESCRIPTION = 3;
export const IF_TSRESOL = 9;
export const EPB_FLAGS = 2;

export const LINKTYPE_ETHERNET = 1;

/** epb_flags bits 0-1: the direction the frame crossed the interface. */
export const EPB_INBOUND = 1;
export const EPB_OUTBOUND = 2;

/** Frames are stored whole: the largest a lab makes is a 64 KiB loopback datagram plus its Ethernet header. */
export const SNAPLEN = 262_144;

const DEFAULT_CHUNK = 64 * 1024;

export interface InterfaceInfo {
  name: string;
  description?: string;
  linkType?: number;
}

export interface PacketInfo {
  iface: number;
  t_us: Micros;
  data: Uint8Array;
  comment?: string;
  direction?: 'in' | 'out';
}

const pad4 = (n: number): number => (n + 3) & ~3;
const utf8 = new TextEncoder();

/** Bytes an option takes: header, value, padding. */
const optSize = (valueLen: number): number => 4 + pad4(valueLen);

export class PcapngWriter {
  private readonly buf: Buffer;
  private used = 0;
  private fd: number | null;
  private interfaces = 0;
  /** Bytes handed to the file so far (not counting what is still buffered). */
  written = 0;

  /** Opens (truncates) `file` and writes the section header. Throws the fs error when it cannot. */
  constructor(file: string, opts: { chunkBytes?: number; application?: string } = {}) {
    this.buf = Buffer.alloc(Math.max(opts.chunkBytes ?? DEFAULT_CHUNK, 256));
    this.fd = openSync(file, 'w');
    this.writeSectionHeader(opts.application ?? 'nflab');
  }

  get interfaceCount(): number {
    return this.interfaces;
  }

  /** Bytes waiting in memory; never more than the chunk size. */
  get buffered(): number {
    return this.used;
  }

  /** Declares an interface and returns its id (0, 1, ... in order), which packets refer to. */
  addInterface(i: InterfaceInfo): number {
    const name = utf8.encode(i.name);
    const desc = i.description ? utf8.encode(i.description) : null;
    const len = 20 + optSize(name.length) + (desc ? optSize(desc.length) : 0) + optSize(1) + 4;
    const b = this.reserve(len);
    let at = this.blockStart(b, BT_IDB, len);
    b.writeUInt16LE(i.linkType ?? LINKTYPE_ETHERNET, at);
    b.writeUInt16LE(0, at + 2);
    b.writeUInt32LE(SNAPLEN, at + 4);
    at += 8;
    at = this.option(b, at, IF_NAME, name);
    if (desc) at = this.option(b, at, IF_DESCRIPTION, desc);
    // 6 = microseconds, the default, written out so no reader has to assume it.
    at = this.option(b, at, IF_TSRESOL, Uint8Array.of(6));
    b.writeUInt32LE(OPT_ENDOFOPT, at);
    this.blockEnd(b, at + 4, len);
    return this.interfaces++;
  }

  writePacket(p: PacketInfo): void {
    if (p.iface < 0 || p.iface >= this.interfaces) throw new Error(`pcapng: packet for undeclared interface ${p.iface}`);
    const comment = p.comment ? utf8.encode(p.comment) : null;
    const caplen = Math.min(p.data.length, SNAPLEN);
    const hasOptions = comment !== null || p.direction !== undefined;
    const len = 28 + pad4(caplen) + (comment ? optSize(comment.length) : 0) + (p.direction ? optSize(4) : 0) + (hasOptions ? 4 : 0) + 4;
    const b = this.reserve(len);
    let at = this.blockStart(b, BT_EPB, len);
    const ts = Math.max(0, Math.floor(p.t_us));
    b.writeUInt32LE(p.iface, at);
    b.writeUInt32LE(Math.floor(ts / 0x1_0000_0000), at + 4);
    b.writeUInt32LE(ts % 0x1_0000_0000, at + 8);
    b.writeUInt32LE(caplen, at + 12);
    b.writeUInt32LE(p.data.length, at + 16);
    at += 20;
    b.set(p.data.subarray(0, caplen), at);
    b.fill(0, at + caplen, at + pad4(caplen));
    at += pad4(caplen);
    if (comment) at = this.option(b, at, OPT_COMMENT, comment);
    if (p.direction) {
      b.writeUInt16LE(EPB_FLAGS, at);
      b.writeUInt16LE(4, at + 2);
      b.writeUInt32LE(p.direction === 'in' ? EPB_INBOUND : EPB_OUTBOUND, at + 4);
      at += 8;
    }
    // Without comment or flags there are no options at all, and no end-of-options marker is needed.
    if (hasOptions) {
      b.writeUInt32LE(OPT_ENDOFOPT, at);
      at += 4;
    }
    this.blockEnd(b, at, len);
  }

  /** Writes what is buffered to the file. */
  flush(): void {
    if (this.fd === null || this.used === 0) return;
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.written += this.used;
    this.used = 0;
  }

  close(): void {
    if (this.fd === null) return;
    this.flush();
    closeSync(this.fd);
    this.fd = null;
  }

  get closed(): boolean {
    return this.fd === null;
  }

  private writeSectionHeader(app: string): void {
    const appl = utf8.encode(app);
    const len = 24 + optSize(appl.length) + 4 + 4;
    const b = this.reserve(len);
    let at = this.blockStart(b, BT_SHB, len);
    b.writeUInt32LE(BYTE_ORDER_MAGIC, at);
    b.writeUInt16LE(1, at + 4);
    b.writeUInt16LE(0, at + 6);
    // Section length -1: unknown, because the section is streamed.
    b.writeInt32LE(-1, at + 8);
    b.writeInt32LE(-1, at + 12);
    at += 16;
    at = this.option(b, at, SHB_USERAPPL, appl);
    b.writeUInt32LE(0, at);
    this.blockEnd(b, at + 4, len);
  }

  /** Where the block being built starts in the buffer. */
  private blockBase = 0;
  /** A scratch buffer for a block larger than the chunk (one huge frame); it is written straight through. */
  private big: Buffer | null = null;

  private reserve(len: number): Buffer {
    if (this.fd === null) throw new Error('pcapng: writer is closed');
    if (this.used + len > this.buf.length) this.flush();
    if (len > this.buf.length) {
      this.big = Buffer.alloc(len);
      this.blockBase = 0;
      return this.big;
    }
    this.blockBase = this.used;
    return this.buf;
  }

  private blockStart(b: Buffer, type: number, len: number): number {
    b.writeUInt32LE(type, this.blockBase);
    b.writeUInt32LE(len, this.blockBase + 4);
    return this.blockBase + 8;
  }

  private blockEnd(b: Buffer, at: number, len: number): void {
    b.writeUInt32LE(len, at);
    const end = at + 4;
    if (end - this.blockBase !== len) throw new Error(`pcapng: block length ${end - this.blockBase} is not ${len}`);
    if (b === this.big) {
      let off = 0;
      while (off < len) off += writeSync(this.fd!, b, off, len - off);
      this.written += len;
      this.big = null;
      return;
    }
    this.used = end;
  }

  private option(b: Buffer, at: number, code: number, value: Uint8Array): number {
    b.writeUInt16LE(code, at);
    b.writeUInt16LE(value.length, at + 2);
    b.set(value, at + 4);
    const end = at + 4 + pad4(value.length);
    b.fill(0, at + 4 + value.length, end);
    return end;
  }
}
