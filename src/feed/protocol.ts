/**
 * The feed's wire format (protocol version 2; docs/feed.md lists what changed from 1). Every message is one JSON
 * object with `type`. Client messages are checked by hand here rather than by
 * the JSON Schema in ./schema, because the server must answer every bad
 * message with a precise error and keep the connection; the schema documents
 * the same shapes for client authors and is checked against real traffic in
 * the tests.
 */
import type { SessionState } from '../session/lifecycle.js';
import { SESSION_EVENT_KINDS } from '../session/events.js';
import type { PacketTrace } from '../trace/steps.js';
import type { MatrixCell, MatrixView } from '../session/port.js';
import type { FeedGraph } from './graph.js';

export const PROTOCOL = 'nflab-feed';
export const PROTOCOL_VERSION = 2;

/** Every event kind the feed carries: the session's, which are the lab's plus its own. */
export const EVENT_KINDS = SESSION_EVENT_KINDS;
export type EventKind = (typeof EVENT_KINDS)[number];

const KIND_SET: ReadonlySet<string> = new Set(EVENT_KINDS);
const FAMILIES: ReadonlySet<string> = new Set(EVENT_KINDS.map((k) => k.slice(0, k.indexOf('.') < 0 ? k.length : k.indexOf('.'))));

export function isEventKind(k: string): k is EventKind {
  return KIND_SET.has(k);
}

/** `packet.*` stands for every `packet.` kind; anything else must be an exact kind. */
export function isKindPattern(k: string): boolean {
  return isEventKind(k) || (k.endsWith('.*') && FAMILIES.has(k.slice(0, -2)));
}

export interface Limits {
  /** Client messages longer than this (in UTF-8 bytes) are refused with `too-large`. */
  max_message_bytes: number;
  /** How many past events the server keeps for resuming clients. */
  buffer_events: number;
  /** Bytes that may wait unsent for one client before it is dropped as too slow. */
  client_queue_bytes: number;
  /** A command's output longer than this goes out as a `result` with the first part and `output` messages with the rest. */
  output_chunk_bytes: number;
}

export interface Subscription {
  /** Full node names (`HOST` or `HOST/NS`); null means every node. */
  nodes: string[] | null;
  /** Event kinds or `family.*` patterns; null means every kind. */
  kinds: string[] | null;
}

export type Ref = string | number | null;

export interface HelloMessage {
  type: 'hello';
  protocol: typeof PROTOCOL;
  version: number;
  topology: unknown;
  graph: FeedGraph;
  state: SessionState;
  t_us: number;
  /** The newest event id so far (0 before any); live events after hello have larger ids. */
  last_id: number;
  /** The oldest event id still buffered for resuming (last_id + 1 when the buffer is empty). */
  oldest_id: number;
  subscription: Subscription;
  limits: Limits;
}

export interface EventMessage {
  type: 'event';
  id: number;
  t_us: number;
  kind: EventKind;
  node?: string;
  packet?: number;
  step?: unknown;
  outcome?: string;
  data?: unknown;
}

export type ErrorCode =
  | 'bad-json'
  | 'too-large'
  | 'bad-message'
  | 'unknown-type'
  | 'unknown-node'
  | 'unknown-kind'
  | 'resume-too-old'
  | 'resume-unknown-id'
  /** The engine failed while running; the session was paused. */
  | 'internal';

export type ServerMessage =
  | HelloMessage
  | EventMessage
  | {
      type: 'result';
      ref: Ref;
      cmd: string;
      ok: boolean;
      output: string;
      state: SessionState;
      t_us: number;
      /** Set when the output continues in `output` messages; `output_length` is the whole output's length. */
      more?: boolean;
      output_length?: number;
    }
  | { type: 'output'; ref: Ref; seq: number; data: string; more: boolean }
  | { type: 'subscribed'; ref: Ref; subscription: Subscription }
  | { type: 'resumed'; ref: Ref; after: number; through: number; count: number }
  | { type: 'trace'; ref: Ref; packet: number; trace: PacketTrace | null }
  | ({ type: 'matrix'; ref: Ref } & ({ ok: true; matrix: MatrixView } | { ok: false; error: string }))
  | ({ type: 'cell'; ref: Ref } & ({ ok: true; cell: MatrixCell; traces: PacketTrace[] } | { ok: false; error: string }))
  | { type: 'pong'; ref: Ref; t_us: number; state: SessionState }
  | { type: 'error'; ref: Ref; code: ErrorCode; message: string; oldest_id?: number; last_id?: number }
  | { type: 'goodbye'; reason: 'slow-client' | 'shutdown'; message: string };

export type ClientMessage =
  | { type: 'command'; ref: Ref; cmd: string }
  | { type: 'subscribe'; ref: Ref; nodes: string[] | null; kinds: string[] | null }
  | { type: 'resume'; ref: Ref; last_id: number }
  | { type: 'get_trace'; ref: Ref; packet: number }
  | { type: 'matrix'; ref: Ref; from: string[] | null; to: string[] | null; proto: 'tcp' | 'udp' }
  | { type: 'get_cell'; ref: Ref; from: string; to: string; proto: 'tcp' | 'udp' }
  | { type: 'ping'; ref: Ref };

export const CLIENT_TYPES = ['command', 'subscribe', 'resume', 'get_trace', 'matrix', 'get_cell', 'ping'] as const;

export interface ProtocolError {
  error: { code: ErrorCode; message: string; ref: Ref };
}

const MAX_CMD = 4096;
const MAX_LIST = 256;

function fail(code: ErrorCode, message: string, ref: Ref = null): ProtocolError {
  return { error: { code, message, ref } };
}

function readRef(v: unknown): Ref | undefined {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.length <= 128) return v;
  return undefined;
}

function readStringList(v: unknown, what: string): string[] | null | string {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) return `${what} must be an array of strings or null`;
  if (v.length > MAX_LIST) return `${what} may hold at most ${MAX_LIST} entries`;
  for (const s of v) if (typeof s !== 'string') return `${what} must be an array of strings or null`;
  return v as string[];
}

function readProto(v: unknown): 'tcp' | 'udp' | undefined {
  if (v === undefined || v === null) return 'tcp';
  return v === 'tcp' || v === 'udp' ? v : undefined;
}

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Parses one client frame. `bytes` is its size on the wire, checked before
 * parsing so an oversized frame costs no JSON work.
 */
export function parseClientMessage(text: string, bytes: number, maxBytes: number): ClientMessage | ProtocolError {
  if (bytes > maxBytes) return fail('too-large', `message of ${bytes} bytes exceeds the limit of ${maxBytes} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return fail('bad-json', `not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail('bad-message', 'a message must be a JSON object with "type"');
  const m = v as Record<string, unknown>;
  const ref = readRef(m.ref);
  if (ref === undefined) return fail('bad-message', 'ref must be a number or a string of at most 128 characters');
  if (typeof m.type !== 'string') return fail('bad-message', 'a message must have a string "type"', ref);
  switch (m.type) {
    case 'command':
      if (typeof m.cmd !== 'string' || m.cmd.trim() === '') return fail('bad-message', 'command needs a non-empty string "cmd"', ref);
      if (m.cmd.length > MAX_CMD) return fail('bad-message', `cmd may be at most ${MAX_CMD} characters`, ref);
      return { type: 'command', ref, cmd: m.cmd };
    case 'subscribe': {
      const nodes = readStringList(m.nodes, 'nodes');
      if (typeof nodes === 'string') return fail('bad-message', nodes, ref);
      const kinds = readStringList(m.kinds, 'kinds');
      if (typeof kinds === 'string') return fail('bad-message', kinds, ref);
      const badKind = kinds?.find((k) => !isKindPattern(k));
      if (badKind !== undefined)
        return fail('unknown-kind', `unknown event kind "${badKind}" (known: ${EVENT_KINDS.join(', ')}, or FAMILY.*)`, ref);
      return { type: 'subscribe', ref, nodes, kinds };
    }
    case 'resume':
      if (!isId(m.last_id)) return fail('bad-message', 'resume needs "last_id", a non-negative integer', ref);
      return { type: 'resume', ref, last_id: m.last_id };
    case 'get_trace':
      if (!isId(m.packet)) return fail('bad-message', 'get_trace needs "packet", a non-negative integer', ref);
      return { type: 'get_trace', ref, packet: m.packet };
    case 'matrix': {
      const from = readStringList(m.from, 'from');
      if (typeof from === 'string') return fail('bad-message', from, ref);
      const to = readStringList(m.to, 'to');
      if (typeof to === 'string') return fail('bad-message', to, ref);
      const proto = readProto(m.proto);
      if (proto === undefined) return fail('bad-message', 'proto must be "tcp" or "udp"', ref);
      return { type: 'matrix', ref, from, to, proto };
    }
    case 'get_cell': {
      const proto = readProto(m.proto);
      if (typeof m.from !== 'string' || typeof m.to !== 'string' || proto === undefined)
        return fail('bad-message', 'get_cell needs "from" (a node), "to" (IP:PORT) and "proto" ("tcp" or "udp")', ref);
      return { type: 'get_cell', ref, from: m.from, to: m.to, proto };
    }
    case 'ping':
      return { type: 'ping', ref };
    default:
      return fail('unknown-type', `unknown message type "${m.type}" (known: ${CLIENT_TYPES.join(', ')})`, ref);
  }
}
