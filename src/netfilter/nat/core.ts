/**
 * The NAT core (nf_nat_core): choosing a translated tuple that is unique in the
 * table, and recording it in the entry. Address choice within a range follows
 * the kernel's jhash exactly; port choice when the port is taken draws from the
 * seeded Rng wherever the kernel draws get_random_u16().
 */
import type { Rng } from '../../core/rng.js';
import { PROTO_ICMP, PROTO_TCP, PROTO_UDP } from '../../packet/packet.js';
import type { CtEntry } from '../conntrack/entry.js';
import type { Conntrack } from '../conntrack/table.js';
import { TcpState } from '../conntrack/tcp.js';
import { copyTuple, invertTuple, tupleEquals } from '../conntrack/tuple.js';
import {
  IPS_DST_NAT,
  IPS_DST_NAT_DONE,
  IPS_DYING,
  IPS_FIXED_TIMEOUT,
  IPS_SEQ_ADJUST,
  IPS_SRC_NAT,
  IPS_SRC_NAT_DONE,
  type CtTuple,
  type Hook,
  type NatRange,
  type Verdict,
} from '../types.js';
import { jhash2, reciprocalScale, wireWord } from './jhash.js';

export type Manip = 'SRC' | 'DST';

/** Which manipulation a hook performs: destination before routing, source after. */
export function hookManip(hook: Hook): Manip {
  return hook === 'PREROUTING' || hook === 'OUTPUT' ? 'DST' : 'SRC';
}

export function natInitialized(e: CtEntry, manip: Manip): boolean {
  return (e.status & (manip === 'SRC' ? IPS_SRC_NAT_DONE : IPS_DST_NAT_DONE)) !== 0;
}

const NAT_MASK = IPS_SRC_NAT | IPS_DST_NAT;
const MAX_ATTEMPTS = 128;
const HARDER_THRESH = MAX_ATTEMPTS / 4;

export interface NatSetupOptions {
  /** MASQUERADE: the outgoing interface, remembered for cleanup when its address goes. */
  masqIf?: string;
}

/** A range with everything off; callers fill in what the rule says. */
export function emptyRange(): NatRange {
  return {
    mapIps: false,
    minIp: 0,
    maxIp: 0,
    protoSpecified: false,
    minPort: 0,
    maxPort: 0,
    random: false,
    randomFully: false,
    persistent: false,
  };
}

/**
 * nf_nat_setup_info: binds the entry's `manip` side into `range`, unique in the
 * table, and rewrites its reply tuple. Only an unconfirmed entry can be bound.
 */
export function natSetup(ct: Conntrack, e: CtEntry, manip: Manip, range: NatRange, rng: Rng, opts: NatSetupOptions = {}): Verdict {
  if (e.confirmed) return 'ACCEPT';
  if (natInitialized(e, manip)) return 'DROP';
  const curr = invertTuple(e.reply)!;
  const next = uniqueTuple(ct, e, curr, range, manip, rng);
  if (!tupleEquals(next, curr)) {
    e.reply = invertTuple(next)!;
    e.status |= manip === 'SRC' ? IPS_SRC_NAT : IPS_DST_NAT;
  }
  if (opts.masqIf !== undefined) e.masqIf = opts.masqIf;
  e.status |= manip === 'SRC' ? IPS_SRC_NAT_DONE : IPS_DST_NAT_DONE;
  return 'ACCEPT';
}

/**
 * The identity binding the nat hook gives a new connection no rule translated.
 * It still makes the tuple unique: a source port that would collide with
 * another entry's reply tuple is replaced (implicit source-port translation).
 */
export function natNullBinding(ct: Conntrack, e: CtEntry, manip: Manip, rng: Rng): Verdict {
  const ip = manip === 'SRC' ? e.reply.dst : e.reply.src;
  return natSetup(ct, e, manip, { ...emptyRange(), mapIps: true, minIp: ip, maxIp: ip }, rng);
}

const randomAll = (r: NatRange): boolean => r.random || r.randomFully;

function usedTuple(ct: Conntrack, t: CtTuple, ignored: CtEntry): boolean {
  const reply = invertTuple(t);
  return reply !== null && ct.tupleTaken(reply, ignored);
}

/** nf_nat_used_tuple_new: like usedTuple, but an un-NATed clash in the reverse direction is left to confirm. */
function usedTupleNew(ct: Conntrack, t: CtTuple, ignored: CtEntry): boolean {
  if (!usedTuple(ct, t, ignored)) return false;
  if (t.proto !== PROTO_UDP && t.proto !== PROTO_ICMP) return true;
  if (ignored.status & (NAT_MASK | IPS_SEQ_ADJUST)) return true;
  const found = ct.find(t, ignored.zone) ?? ct.find(invertTuple(t)!, ignored.zone);
  if (!found) return false;
  if (found.entry.status & (NAT_MASK | IPS_SEQ_ADJUST)) return true;
  return !tupleEquals(found.entry.orig, ignored.reply);
}

/**
 * nf_nat_used_tuple_harder: in the last attempts for a new TCP connection, a
 * SNAT'd entry in TIME_WAIT/CLOSE whose sequence space the new SYN has passed
 * is evicted rather than counted as taken.
 */
function usedTupleHarder(ct: Conntrack, t: CtTuple, ignored: CtEntry, attemptsLeft: number): boolean {
  const reply = invertTuple(t)!;
  if (attemptsLeft > HARDER_THRESH || t.proto !== PROTO_TCP || ignored.tcp?.state !== TcpState.SYN_SENT) {
    return ct.tupleTaken(reply, ignored);
  }
  const found = ct.find(reply, ignored.zone);
  if (!found) return false;
  const old = found.entry;
  if (!found.reply || old === ignored) return true;
  if (!old.tcp || old.tcp.state < TcpState.TIME_WAIT) return true;
  if (old.status & (IPS_FIXED_TIMEOUT | IPS_DYING) || !(old.status & IPS_SRC_NAT)) return true;
  if (((ignored.tcp.seen[0].end - old.tcp.seen[0].end) | 0) <= 0) return true;
  ct.destroy(old);
  return false;
}

function inRange(t: CtTuple, r: NatRange): boolean {
  if (r.mapIps && (t.src < r.minIp || t.src > r.maxIp)) return false;
  return !r.protoSpecified || protoInRange(t, 'SRC', r);
}

function protoInRange(t: CtTuple, manip: Manip, r: NatRange): boolean {
  if (t.proto === PROTO_ICMP) return t.sport >= r.minPort && t.sport <= r.maxPort;
  if (t.proto !== PROTO_TCP && t.proto !== PROTO_UDP) return true;
  const port = manip === 'SRC' ? t.sport : t.dport;
  return port >= r.minPort && port <= r.maxPort;
}

/** find_appropriate_src: reuse the mapping an existing flow from the same source address:port already has. */
function appropriateSrc(ct: Conntrack, e: CtEntry, t: CtTuple, r: NatRange): CtTuple | null {
  for (const other of ct.bySource(t, e.zone)) {
    const o = other.orig;
    if (o.proto !== t.proto || o.src !== t.src || o.sport !== t.sport) continue;
    const mapped = invertTuple(other.reply)!;
    const result = { ...mapped, dst: t.dst, dport: t.dport };
    if (inRange(result, r)) return result;
  }
  return null;
}

/** find_best_ips_proto: a deterministic address from the range, hashed from the source (and destination unless persistent). */
export function bestIp(t: CtTuple, r: NatRange, zone: number): number {
  if (r.minIp === r.maxIp) return r.minIp;
  const seed = r.persistent ? 0 : (wireWord(t.dst) ^ zone) >>> 0;
  const j = jhash2([wireWord(t.src), 0, 0, 0], seed);
  const dist = (r.maxIp - r.minIp + 1) >>> 0;
  return (r.minIp + reciprocalScale(j, dist)) >>> 0;
}

function uniqueTuple(ct: Conntrack, e: CtEntry, orig: CtTuple, r: NatRange, manip: Manip, rng: Rng): CtTuple {
  if (manip === 'SRC' && !randomAll(r)) {
    // Source-port preservation: keep the original when it already fits and is free.
    if (inRange(orig, r)) {
      if (!usedTupleNew(ct, orig, e)) return copyTuple(orig);
    } else {
      const prior = appropriateSrc(ct, e, orig, r);
      if (prior && !usedTuple(ct, prior, e)) return prior;
    }
  }
  const t = copyTuple(orig);
  if (r.mapIps) {
    if (manip === 'SRC') t.src = bestIp(t, r, e.zone);
    else t.dst = bestIp(t, r, e.zone);
  }
  if (!randomAll(r)) {
    if (r.protoSpecified) {
      if (protoInRange(t, manip, r) && (r.minPort === r.maxPort || !usedTuple(ct, t, e))) return t;
    } else if (!usedTuple(ct, t, e)) return t;
  }
  l4UniqueTuple(ct, e, t, r, manip, rng);
  return t;
}

/** nf_nat_l4proto_unique_tuple: walks the port (or ICMP id) space from an offset until a free tuple appears. */
function l4UniqueTuple(ct: Conntrack, e: CtEntry, t: CtTuple, r: NatRange, manip: Manip, rng: Rng): void {
  let min: number;
  let size: number;
  let key: 'sport' | 'dport';
  if (t.proto === PROTO_ICMP) {
    key = 'sport';
    if (!r.protoSpecified) {
      min = 0;
      size = 65536;
    } else {
      min = r.minPort;
      size = r.maxPort - r.minPort + 1;
    }
  } else if (t.proto === PROTO_TCP || t.proto === PROTO_UDP) {
    key = manip === 'SRC' ? 'sport' : 'dport';
    if (!r.protoSpecified) {
      // Without --to-ports the destination port is never changed.
      if (manip === 'DST') return;
      const p = t[key];
      // Low ports stay low: privileged sources keep a privileged port.
      if (p < 1024) {
        if (p < 512) {
          min = 1;
          size = 511;
        } else {
          min = 600;
          size = 1023 - 600 + 1;
        }
      } else {
        min = 1024;
        size = 65535 - 1024 + 1;
      }
    } else {
      min = Math.min(r.minPort, r.maxPort);
      size = Math.max(r.minPort, r.maxPort) - min + 1;
    }
  } else return;

  let off = randomAll(r) || manip !== 'DST' ? rng.nextU32() & 0xffff : 0;
  let attempts = Math.min(size, MAX_ATTEMPTS);
  for (;;) {
    for (let i = 0; i < attempts; i++, off = (off + 1) & 0xffff) {
      t[key] = min + (off % size);
      if (!usedTupleHarder(ct, t, e, attempts - i)) return;
    }
    if (attempts >= size || attempts < 16) return;
    attempts = attempts >>> 1;
    off = rng.nextU32() & 0xffff;
  }
}
