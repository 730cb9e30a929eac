/**
 * A command's answer to one client. A long output (a 40,000-rule
 * iptables-save is 5.9 MB) goes out as a `result` with the first part and
 * `output` messages with the rest, all as bulk data: the client receives them
 * as fast as it reads, and they never count as the client being slow.
 */
import type { FeedClient } from './client.js';
import type { Ref } from './protocol.js';
import type { SessionState } from '../session/lifecycle.js';

/** Output a client has yet to receive beyond which a new long output is cut short. */
const MAX_PENDING_OUTPUT = 64 * 1024 * 1024;

export interface ResultHead {
  type: 'result';
  ref: Ref;
  cmd: string;
  ok: boolean;
  state: SessionState;
  t_us: number;
}

export function sendResult(client: FeedClient, head: ResultHead, output: string, chunkSize: number): void {
  if (output.length <= chunkSize) {
    client.sendMessage({ ...head, output });
    return;
  }
  const room = MAX_PENDING_OUTPUT - client.bulkBacklog;
  if (output.length > room) {
    const cut = Math.max(0, room - 200);
    output = `${output.slice(0, cut)}\n[output cut short: ${output.length - cut} more characters; this client has ${client.bulkBacklog} bytes of earlier output still to read]`;
  }
  const chunks = splitOutput(output, chunkSize);
  client.sendMessage({ ...head, output: chunks[0], more: chunks.length > 1, output_length: output.length }, true);
  for (let i = 1; i < chunks.length; i++)
    client.sendMessage({ type: 'output', ref: head.ref, seq: i, data: chunks[i], more: i < chunks.length - 1 }, true);
}

/** Pieces of at most `size` characters, cut after a newline where one is near, never inside a surrogate pair. */
export function splitOutput(text: string, size: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(text.length, i + size);
    if (end < text.length) {
      const nl = text.lastIndexOf('\n', end - 1);
      if (nl >= i + size / 2) end = nl + 1;
      else if (/[\ud800-\udbff]/.test(text[end - 1])) end--;
    }
    out.push(text.slice(i, end));
    i = end;
  }
  return out.length ? out : [''];
}
