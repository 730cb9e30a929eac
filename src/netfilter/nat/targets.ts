/**
 * What the NAT targets ask of the core, given what the namespace knows (the
 * outgoing route's source address, the incoming interface's address). The
 * rule engine's targets call these through NfEnv.nat.
 */
import type { Rng } from '../../core/rng.js';
import type { Ipv4 } from '../../packet/ipv4.js';
import type { CtEntry } from '../conntrack/entry.js';
import type { Conntrack } from '../conntrack/table.js';
import type { NatRange, Verdict } from '../types.js';
import { natSetup, type Manip } from './core.js';

/** SNAT/DNAT: the range as the rule gives it. */
export function natTo(ct: Conntrack, e: CtEntry, manip: Manip, range: NatRange, rng: Rng): Verdict {
  return natSetup(ct, e, manip, range, rng);
}

/** MASQUERADE: SNAT to the address the route out of `outIf` would use (0 when it has none: dropped). */
export function masquerade(ct: Conntrack, e: CtEntry, range: NatRange, src: Ipv4, outIf: string, rng: Rng): Verdict {
  if (src === 0) return 'DROP';
  return natSetup(ct, e, 'SRC', { ...range, mapIps: true, minIp: src, maxIp: src }, rng, { masqIf: outIf });
}

/**
 * REDIRECT: DNAT to this host — the primary address of the incoming interface
 * at PREROUTING, 127.0.0.1 at OUTPUT (the caller picks; 0 when the interface has none: dropped).
 */
export function redirect(ct: Conntrack, e: CtEntry, range: NatRange, dst: Ipv4, rng: Rng): Verdict {
  if (dst === 0) return 'DROP';
  return natSetup(ct, e, 'DST', { ...range, mapIps: true, minIp: dst, maxIp: dst }, rng);
}

/** NETMAP: keeps the host part of the packet's current address and takes the network part from the range. */
export function netmap(ct: Conntrack, e: CtEntry, manip: Manip, range: NatRange, current: Ipv4, rng: Rng): Verdict {
  const netmask = ~(range.minIp ^ range.maxIp) >>> 0;
  const ip = ((current & ~netmask) | (range.minIp & netmask)) >>> 0;
  return natSetup(ct, e, manip, { ...range, mapIps: true, minIp: ip, maxIp: ip }, rng);
}
