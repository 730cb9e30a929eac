/**
 * UDP and generic tracking. UDP has no state of its own: an entry waits 30 s
 * for traffic; once a reply was seen and the flow is older than 2 s, further
 * packets make it a stream (ASSURED, 120 s) — kernel 6.x behaviour.
 */
import { SEC, type Micros } from '../../core/time.js';

export const UDP_STREAM_AFTER: Micros = 2 * SEC;

export interface UdpResult {
  timeout: Micros;
  assure: boolean;
}

/**
 * `firstSeenAt` is when the entry was created; `seenReply` is the status bit
 * before this packet (the kernel sets it only after the protocol handler ran).
 */
export function udpPacket(
  now: Micros,
  firstSeenAt: Micros,
  seenReply: boolean,
  assured: boolean,
  unreplied: Micros,
  stream: Micros,
): UdpResult {
  if (!seenReply) return { timeout: unreplied, assure: false };
  if (now > firstSeenAt + UDP_STREAM_AFTER) return { timeout: stream, assure: !assured };
  return { timeout: unreplied, assure: false };
}
