/**
 * What the feed needs of a session: the subset of src/session's Session it
 * calls. Kept as an interface so the protocol can be tested against a small
 * fake as well as the real engine; `Session` satisfies it structurally.
 */
import type { SessionState } from '../session/lifecycle.js';
import type { CommandResult, SessionListener } from '../session/session.js';
import type { SessionPort } from '../session/port.js';
import type { Topology } from '../topology/model.js';
import type { PacketTrace } from '../trace/steps.js';

export interface FeedSession {
  readonly topology: Topology;
  readonly state: SessionState;
  now(): number;
  topologyJson(): unknown;
  subscribe(l: SessionListener): () => void;
  /** Runs at most `maxEvents` events while running; `more` says whether to call again. */
  advance(maxEvents?: number): { ran: number; more: boolean };
  command(line: string): CommandResult;
  trace(id: number): PacketTrace | undefined;
  /** For a typed `matrix --from NAME`, which takes short node names as the terminal UI does. */
  resolveNode: SessionPort['resolveNode'];
  matrix: SessionPort['matrix'];
  matrixTrace: SessionPort['matrixTrace'];
}
