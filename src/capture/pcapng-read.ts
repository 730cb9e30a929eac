/**
 * Reads a pcapng file back: for tests, and for anyone who wants to check a
 * capture without Wireshark. Strict on structure (every block length must
 * agree at both ends), so a writer bug shows up as an error, not as garbage.
 */
import { err, ok, type Result } from '../core/diagnostic.js';
import {
  BT_EPB,
  BT_IDB,
  BT_SHB,
  BYTE_ORDER_MAGIC,
  EPB_FLAGS,
  EPB_INBOUND,
  EPB_OUTBOUND,
  IF_NAME,
  IF_TSRESOL,
  OPT_COMMENT,
  SHB_USERAPPL,
} from './pcapng.js';

export interface ReadInterface {
  name: string;
  linkType: number;
  snaplen: number;
  tsresol: number;
}

export interface ReadPacket {
  iface: number;
  /** Timestamp in units of the interface's resolution (microseconds for nflab). */
  ts: bigint;
  data: Uint8Array;
  origLen: number;
  comment: string | null;
  direction: 'in' | 'out' | null;
}

export interface ReadCapture {
  application: string | null;
  interfaces: ReadInterface[];
  packets: ReadPacket[];
}

const text = new TextDecoder();

function options(b: Buffer, from: number, to: number): Map<number, Buffer[]> | string {
  const out = new Map<number, Buffer[]>();
  let at = from;
  while (at + 4 <= to) {
    const code = b.readUInt16LE(at);
    const len = b.readUInt16LE(at + 2);
    if (code === 0) return out;
    const end = at + 4 + len;
    if (end > to) return `option ${code} at ${at} runs past its block`;
    const list = out.get(code) ?? [];
    list.push(b.subarray(at + 4, end));
    out.set(code, list);
    at = at + 4 + ((len + 3) & ~3);
  }
  return out;
}

export function readPcapng(bytes: Uint8Array): Result<ReadCapture> {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cap: ReadCapture = { application: null, interfaces: [], packets: [] };
  const fail = (m: string) => err([{ message: `pcapng: ${m}` }]);
  let at = 0;
  let sawShb = false;
  while (at < b.length) {
    if (at + 12 > b.length) return fail(`truncated block at ${at}`);
    const type = b.readUInt32LE(at);
    const len = b.readUInt32LE(at + 4);
    if (len < 12 || len % 4 !== 0 || at + len > b.length) return fail(`bad block length ${len} at ${at}`);
    if (b.readUInt32LE(at + len - 4) !== len) return fail(`block at ${at}: trailing length differs`);
    const body = at + 8;
    const end = at + len - 4;
    if (!sawShb && type !== BT_SHB) return fail('file does not start with a section header');
    if (type === BT_SHB) {
      if (b.readUInt32LE(body) !== BYTE_ORDER_MAGIC) return fail('not little-endian, or not pcapng');
      if (b.readUInt16LE(body + 4) !== 1) return fail(`major version ${b.readUInt16LE(body + 4)}`);
      const o = options(b, body + 16, end);
      if (typeof o === 'string') return fail(o);
      const appl = o.get(SHB_USERAPPL)?.[0];
      cap.application = appl ? text.decode(appl) : null;
      sawShb = true;
    } else if (type === BT_IDB) {
      const o = options(b, body + 8, end);
      if (typeof o === 'string') return fail(o);
      const res = o.get(IF_TSRESOL)?.[0];
      cap.interfaces.push({
        linkType: b.readUInt16LE(body),
        snaplen: b.readUInt32LE(body + 4),
        name: o.has(IF_NAME) ? text.decode(o.get(IF_NAME)![0]) : '',
        tsresol: res ? res[0] : 6,
      });
    } else if (type === BT_EPB) {
      const iface = b.readUInt32LE(body);
      if (iface >= cap.interfaces.length) return fail(`packet at ${at} names interface ${iface}, not declared before it`);
      const caplen = b.readUInt32LE(body + 12);
      const dataAt = body + 20;
      if (dataAt + caplen > end) return fail(`packet at ${at}: captured length ${caplen} runs past its block`);
      const o = options(b, dataAt + ((caplen + 3) & ~3), end);
      if (typeof o === 'string') return fail(o);
      const c = o.get(OPT_COMMENT)?.[0];
      const f = o.get(EPB_FLAGS)?.[0];
      const dir = f ? f.readUInt32LE(0) & 3 : 0;
      cap.packets.push({
        iface,
        ts: (BigInt(b.readUInt32LE(body + 4)) << 32n) | BigInt(b.readUInt32LE(body + 8)),
        data: new Uint8Array(b.subarray(dataAt, dataAt + caplen)),
        origLen: b.readUInt32LE(body + 16),
        comment: c ? text.decode(c) : null,
        direction: dir === EPB_INBOUND ? 'in' : dir === EPB_OUTBOUND ? 'out' : null,
      });
    }
    at += len;
  }
  if (!sawShb) return fail('empty file');
  return ok(cap);
}
