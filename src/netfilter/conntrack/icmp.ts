/**
 * ICMP tracking: requests (echo, timestamp, info, address mask) open an entry
 * keyed by id; the matching reply type is its reply direction. Errors never
 * open entries: they are matched to the flow of the packet they quote (RELATED).
 */
import type { Packet } from '../../packet/packet.js';
import type { CtTuple } from '../types.js';
import { icmpTypeStartsFlow, invertTuple, tupleOf } from './tuple.js';

/** False when this ICMP message cannot create a new entry (a reply or unknown type without one). */
export function icmpMayCreate(type: number): boolean {
  return icmpTypeStartsFlow(type);
}

/**
 * The tuple to look up for an ICMP error: the inverse of the quoted packet,
 * i.e. the direction the error travels in. Null when nothing usable is quoted.
 */
export function icmpErrorLookupTuple(p: Packet): CtTuple | null {
  const q = p.icmp?.quoted;
  // Only the first fragment quotes the ports; an error about a later fragment cannot be matched.
  if (!q || q.fragOffset !== 0) return null;
  const t = tupleOf(q);
  // invertTuple refuses ICMP types without an answer, so an error about an error matches nothing.
  return t && invertTuple(t);
}
