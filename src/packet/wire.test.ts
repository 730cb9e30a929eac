import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { checksumValid } from './checksum.js';
import { parseIpv4 } from './ipv4.js';
import {
  ICMP_DEST_UNREACH,
  ICMP_FRAG_NEEDED,
  ICMP_PORT_UNREACH,
  PROTO_ICMP,
  PROTO_TCP,
  PROTO_UDP,
  TCP_SYN,
  packetLength,
  type Packet,
} from './packet.js';
import {
  ARP_REQUEST,
  BROADCAST_MAC,
  ETHERTYPE_ARP,
  decodeArp,
  decodeEthernet,
  decodeIpv4,
  encodeArp,
  encodeEthernet,
  encodeIpv4,
  formatMac,
  parseMac,
} from './wire.js';

/**
 * Packets the Linux 6.18 kernel built itself: captured by reading a tun device
 * (no checksum offload, so every checksum is complete) in a throwaway namespace
 * after a TCP connect(), two UDP sendto()s and an ICMP ping-socket echo.
 */
const KERNEL = {
  syn: '4500003cec014000400639f40a6200010a620002ade60007d78674a200000000a002faf006100000020405b40402080a4c03ec1b000000000103030a',
  udpOdd: '45000027d6c0400040114f3f0a6200010a6200029f5e14e900134ce868656c6c6f2c206f646421',
  udpEmpty: '4500001cd6c1400040114f490a6200010a6200029f5e14ea000836cf',
  echo: '45000021422440004001e3f10a6200010a6200020800cecbff6b00016162636465',
};
const hex = (h: string) => Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const ip = (s: string) => parseIpv4(s)!;

function decoded(h: string): Packet {
  const r = decodeIpv4(hex(h));
  if (!r.ok) throw new Error(r.error[0].message);
  return r.value;
}

describe('decoding what the kernel sent', () => {
  it('reads a SYN with MSS, SACK-permitted, timestamps and window scale', () => {
    const p = decoded(KERNEL.syn);
    expect(p).toMatchObject({ src: ip('10.98.0.1'), dst: ip('10.98.0.2'), proto: PROTO_TCP, ttl: 64, df: true, id: 0xec01 });
    expect(p.tcp).toEqual({
      sport: 0xade6,
      dport: 7,
      seq: 0xd78674a2,
      ack: 0,
      flags: TCP_SYN,
      window: 64240,
      options: { mss: 1460, sackPermitted: true, timestamp: [0x4c03ec1b, 0], wscale: 10 },
    });
    expect(p.payload.length).toBe(0);
  });

  it('reads UDP with an odd-length payload and an empty one', () => {
    const p = decoded(KERNEL.udpOdd);
    expect(p.udp).toEqual({ sport: 0x9f5e, dport: 5353 });
    expect(new TextDecoder().decode(p.payload)).toBe('hello, odd!');
    expect(decoded(KERNEL.udpEmpty).payload.length).toBe(0);
  });

  it('reads an ICMP echo request', () => {
    const p = decoded(KERNEL.echo);
    expect(p.icmp).toEqual({ type: 8, code: 0, id: 0xff6b, seq: 1 });
    expect(new TextDecoder().decode(p.payload)).toBe('abcde');
  });
});

describe('encoding reproduces the kernel bytes exactly', () => {
  for (const [name, h] of Object.entries(KERNEL)) {
    it(name, () => {
      const p = decoded(h);
      const bytes = encodeIpv4(p);
      expect(toHex(bytes)).toBe(h);
      expect(bytes.length).toBe(packetLength(p));
    });
  }
});

function base(proto: number): Packet {
  return {
    src: ip('192.0.2.1'),
    dst: ip('198.51.100.7'),
    proto,
    ttl: 63,
    tos: 0x10,
    id: 77,
    df: false,
    fragOffset: 0,
    moreFragments: false,
    ipOptionsLen: 0,
    payload: new Uint8Array(0),
  };
}

describe('round trips', () => {
  it('TCP with every option combination keeps its fields and the length packet.ts predicts', () => {
    for (let mask = 0; mask < 16; mask++) {
      const p: Packet = {
        ...base(PROTO_TCP),
        tcp: {
          sport: 40000,
          dport: 80,
          seq: 0xfffffff0,
          ack: 12345,
          flags: 0x18,
          window: 502,
          options: {
            ...(mask & 1 ? { mss: 1400 } : {}),
            ...(mask & 2 ? { sackPermitted: true } : {}),
            ...(mask & 4 ? { timestamp: [1, 0xffffffff] as [number, number] } : {}),
            ...(mask & 8 ? { wscale: 7 } : {}),
          },
        },
        payload: new TextEncoder().encode('GET / HTTP/1.1\r\n'),
      };
      const bytes = encodeIpv4(p);
      expect(bytes.length).toBe(packetLength(p));
      const back = decodeIpv4(bytes);
      expect(back.ok && back.value).toEqual(p);
    }
  });

  it('IP options keep their length and the header checksum stays valid', () => {
    const p: Packet = { ...base(PROTO_UDP), ipOptionsLen: 8, udp: { sport: 1, dport: 2 }, payload: Uint8Array.from([1, 2, 3]) };
    const bytes = encodeIpv4(p);
    expect(bytes[0]).toBe(0x47);
    expect(checksumValid(bytes, 0, 28)).toBe(true);
    const back = decodeIpv4(bytes);
    expect(back.ok && back.value).toEqual(p);
  });

  it('an ICMP port unreachable quotes as much of the offending datagram as fits in 576 bytes, as Linux does', () => {
    const offending: Packet = { ...base(PROTO_UDP), udp: { sport: 5000, dport: 53 }, payload: new Uint8Array(100).fill(7) };
    const err: Packet = {
      ...base(PROTO_ICMP),
      src: offending.dst,
      dst: offending.src,
      icmp: { type: ICMP_DEST_UNREACH, code: ICMP_PORT_UNREACH, id: 0, seq: 0, quoted: offending },
    };
    const bytes = encodeIpv4(err);
    expect(bytes.length).toBe(20 + 8 + 128);
    expect(bytes.length).toBe(packetLength(err));
    const big: Packet = { ...err, icmp: { ...err.icmp!, quoted: { ...offending, payload: new Uint8Array(1000) } } };
    expect(encodeIpv4(big).length).toBe(576);
    expect(packetLength(big)).toBe(576);
    expect(checksumValid(bytes, 20)).toBe(true);
    // The quoted header still says how long the original was.
    expect((bytes[30] << 8) | bytes[31]).toBe(packetLength(offending));
    const back = decodeIpv4(bytes);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(back.value.icmp!.quoted).toMatchObject({
      src: offending.src,
      dst: offending.dst,
      proto: PROTO_UDP,
      udp: { sport: 5000, dport: 53 },
    });
  });

  it('fragmentation-needed carries the next-hop MTU', () => {
    const tcp: Packet = { ...base(PROTO_TCP), df: true, tcp: { sport: 1, dport: 2, seq: 99, ack: 0, flags: 0x10, window: 1, options: {} } };
    const p: Packet = {
      ...base(PROTO_ICMP),
      icmp: { type: ICMP_DEST_UNREACH, code: ICMP_FRAG_NEEDED, id: 0, seq: 0, mtu: 1280, quoted: tcp },
    };
    const back = decodeIpv4(encodeIpv4(p));
    expect(back.ok && back.value.icmp).toMatchObject({ mtu: 1280, quoted: { tcp: { sport: 1, dport: 2, seq: 99 } } });
  });

  it('a UDP checksum that computes to zero is sent as 0xffff, and zero on the wire means none', () => {
    let found: Uint8Array | null = null;
    for (let sport = 0; sport < 65536 && !found; sport++) {
      const b = encodeIpv4({ ...base(PROTO_UDP), udp: { sport, dport: 9 }, payload: Uint8Array.from([1, 2, 3]) });
      if (b[26] === 0xff && b[27] === 0xff) found = b;
    }
    expect(found).not.toBeNull();
    expect(decodeIpv4(found!).ok).toBe(true);
    const none = encodeIpv4({ ...base(PROTO_UDP), udp: { sport: 1, dport: 9 }, payload: Uint8Array.from([1]) });
    none[26] = 0;
    none[27] = 0;
    expect(decodeIpv4(none).ok).toBe(true);
  });

  it('a later fragment carries raw payload and no L4 header', () => {
    const p: Packet = { ...base(PROTO_UDP), fragOffset: 185, payload: Uint8Array.from([9, 8, 7]) };
    const back = decodeIpv4(encodeIpv4(p));
    expect(back.ok && back.value).toEqual(p);
  });
});

describe('bad input is a diagnostic, never an exception', () => {
  it('rejects every truncation of a valid packet', () => {
    for (const h of Object.values(KERNEL)) {
      const b = hex(h);
      for (let n = 0; n < b.length; n++) expect(decodeIpv4(b.subarray(0, n)).ok).toBe(false);
    }
  });

  it('rejects a flipped bit in any checksummed byte', () => {
    const b = hex(KERNEL.syn);
    for (let i = 0; i < b.length; i++) {
      const c = b.slice();
      c[i] ^= 0x01;
      const r = decodeIpv4(c);
      expect(r.ok, `byte ${i}`).toBe(false);
    }
  });

  it('survives random garbage and random corruption', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 3000; i++) {
      const len = rng.int(0, 80);
      const b = new Uint8Array(len);
      for (let j = 0; j < len; j++) b[j] = rng.int(0, 255);
      if (len > 0 && i % 2 === 0) b[0] = 0x45;
      expect(() => decodeIpv4(b)).not.toThrow();
    }
    const good = hex(KERNEL.syn);
    for (let i = 0; i < 3000; i++) {
      const c = good.slice();
      c[rng.int(0, c.length - 1)] = rng.int(0, 255);
      expect(() => decodeIpv4(c)).not.toThrow();
    }
  });

  it('names what is wrong', () => {
    const r = decodeIpv4(hex(KERNEL.udpOdd).subarray(0, 30));
    expect(!r.ok && r.error[0].message).toMatch(/truncated IPv4 packet: 30 of 39 bytes/);
  });
});

describe('Ethernet and ARP', () => {
  const a = parseMac('02:00:00:00:00:0a')!;
  it('frames and unframes', () => {
    const payload = hex(KERNEL.echo);
    const f = encodeEthernet(BROADCAST_MAC, a, 0x0800, payload);
    expect(toHex(f.subarray(0, 14))).toBe('ffffffffffff02000000000a0800');
    const back = decodeEthernet(f);
    expect(back.ok && formatMac(back.value.src)).toBe('02:00:00:00:00:0a');
    expect(back.ok && toHex(back.value.payload)).toBe(KERNEL.echo);
    expect(decodeEthernet(f.subarray(0, 13)).ok).toBe(false);
  });

  it('ARP who-has round trips in the RFC 826 layout', () => {
    const req = { op: ARP_REQUEST, senderMac: a, senderIp: ip('10.0.0.1'), targetMac: new Uint8Array(6), targetIp: ip('10.0.0.2') };
    const b = encodeArp(req);
    expect(toHex(b)).toBe('0001080006040001' + '02000000000a' + '0a000001' + '000000000000' + '0a000002');
    expect(decodeArp(b)).toEqual({ ok: true, value: req });
    expect(decodeArp(b.subarray(0, 27)).ok).toBe(false);
    expect(encodeEthernet(BROADCAST_MAC, a, ETHERTYPE_ARP, b).length).toBe(42);
  });

  it('parses MAC text strictly', () => {
    expect(parseMac('02:00:00:00:00')).toBeNull();
    expect(parseMac('zz:00:00:00:00:00')).toBeNull();
  });
});
