/**
 * Value syntaxes of topology files: names, link latency/bandwidth/loss, MTU,
 * MAC addresses. Each parser returns the value or a message saying what was
 * expected; the caller attaches the position.
 */
import type { Micros } from '../core/time.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };
const good = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (message: string): Parsed<never> => ({ ok: false, message });

const NAME = /^[A-Za-z0-9_.-]+$/;

export function checkNodeName(name: string, what: 'host' | 'namespace'): string | null {
  if (!NAME.test(name)) return `${what} name "${name}" may only contain letters, digits, "_", "." and "-"`;
  if (name === '.' || name === '..') return `"${name}" is not a usable ${what} name`;
  return null;
}

/** As the kernel's dev_valid_name: at most 15 bytes, no "/", ":" or white space, not "." or "..". */
export function checkIfaceName(name: string): string | null {
  if (name.length === 0 || name.length > 15) return `interface name "${name}" must be 1 to 15 characters long (IFNAMSIZ)`;
  if (name === '.' || name === '..') return `"${name}" is not a valid interface name`;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2f || c === 0x3a || c <= 0x20 || c === 0x7f) return `interface name "${name}" must not contain "/", ":" or white space`;
  }
  return null;
}

/** The kernel's limits for veth and bridge devices (ETH_MIN_MTU, IP_MAX_MTU for veth). */
export const MIN_MTU = 68;
export const MAX_MTU = 65535;
export const DEFAULT_MTU = 1500;
export const LO_MTU = 65536;
/** One cable's worth of delay on a virtual link; see docs/topology.md. */
export const DEFAULT_LATENCY_US = 50;

const LATENCY = /^(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)$/;
const LATENCY_UNIT: Record<string, number> = { ns: 0.001, us: 1, µs: 1, ms: 1000, s: 1_000_000 };
const MAX_LATENCY_US = 60_000_000;

/**
 * A unit is required: a bare `5` would be 5 seconds for parseDuration, which is
 * never what someone writing a link latency means.
 */
export function parseLatency(v: unknown): Parsed<Micros> {
  const expected = 'a latency with a unit, such as 50us, 1ms or 0.5ms';
  if (v === 0) return good(0);
  if (typeof v !== 'string') return bad(`expected ${expected}, not ${JSON.stringify(v ?? null)}`);
  const m = LATENCY.exec(v.trim());
  if (!m) return bad(`"${v}" is not ${expected}`);
  const us = Math.round(Number(m[1]) * LATENCY_UNIT[m[2]]);
  if (us > MAX_LATENCY_US) return bad(`latency "${v}" is more than 60s`);
  return good(us);
}

// tc's rate units: the *bit forms are bits per second, the *bps forms bytes per second.
const RATE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/;
const RATE_UNIT: Record<string, number> = {
  '': 1,
  bit: 1,
  kbit: 1e3,
  mbit: 1e6,
  gbit: 1e9,
  tbit: 1e12,
  kibit: 1024,
  mibit: 1024 ** 2,
  gibit: 1024 ** 3,
  tibit: 1024 ** 4,
  bps: 8,
  kbps: 8e3,
  mbps: 8e6,
  gbps: 8e9,
  tbps: 8e12,
};

export function parseBandwidth(v: unknown): Parsed<number> {
  const expected = 'a rate in bits per second such as 1Gbit, 100Mbit or 10kbit (0 for unlimited)';
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? good(v) : bad(`expected ${expected}, not ${v}`);
  if (typeof v !== 'string') return bad(`expected ${expected}, not ${JSON.stringify(v ?? null)}`);
  const m = RATE.exec(v.trim().toLowerCase());
  const unit = m ? RATE_UNIT[m[2]] : undefined;
  if (!m || unit === undefined) return bad(`"${v}" is not ${expected}`);
  return good(Math.round(Number(m[1]) * unit));
}

/** A probability 0..1, or a percentage as tc netem writes it (`1%`). */
export function parseLoss(v: unknown): Parsed<number> {
  const expected = 'a loss probability from 0 to 1 (or a percentage such as 1%)';
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\d+(\.\d+)?%$/.test(v.trim())) n = Number(v.trim().slice(0, -1)) / 100;
  else return bad(`expected ${expected}, not ${JSON.stringify(v ?? null)}`);
  if (!Number.isFinite(n) || n < 0 || n > 1) return bad(`loss ${String(v)} is out of range: expected ${expected}`);
  return good(n);
}

export function parseMtu(v: unknown): Parsed<number> {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n) && n >= MIN_MTU && n <= MAX_MTU) return good(n);
  return bad(`mtu must be an integer from ${MIN_MTU} to ${MAX_MTU}, not ${JSON.stringify(v ?? null)}`);
}

const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** Lower-case colon form. Multicast and all-zero addresses are refused, as the kernel refuses them for an ethernet device. */
export function parseMac(v: unknown): Parsed<string> {
  if (typeof v !== 'string' || !MAC.test(v))
    return bad(`expected a MAC address such as 02:00:00:00:00:01, not ${JSON.stringify(v ?? null)}`);
  const mac = v.toLowerCase();
  if (parseInt(mac.slice(0, 2), 16) & 1) return bad(`MAC ${mac} is a multicast address (the low bit of the first byte is set)`);
  if (mac === '00:00:00:00:00:00') return bad('MAC 00:00:00:00:00:00 cannot be assigned to an interface');
  return good(mac);
}

/** FNV-1a, so the same node and interface always get the same MAC whatever else is in the file. */
function fnv1a(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A locally administered unicast MAC (`02:...`) derived from `node:iface` (and `salt` after a collision). */
export function generatedMac(node: string, iface: string, salt = 0): string {
  const key = `${node}:${iface}#${salt}`;
  const a = fnv1a(key, 0x811c9dc5);
  const b = fnv1a(key, 0x050c5d1f);
  const bytes = [0x02, a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255, b & 255];
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += (i ? ':' : '') + bytes[i].toString(16).padStart(2, '0');
  return out;
}
