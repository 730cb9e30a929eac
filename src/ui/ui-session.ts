/**
 * The part of the session API the UI uses. The UI depends on this and nothing
 * else of the engine, so components can be tested with a stand-in.
 */
import type { Session } from '../session/session.js';

export type UiSession = Pick<
  Session,
  | 'state'
  | 'subscribe'
  | 'run'
  | 'pause'
  | 'step'
  | 'advance'
  | 'command'
  | 'exec'
  | 'nodes'
  | 'trace'
  | 'recentTraces'
  | 'resolveNode'
  | 'now'
  | 'topology'
  | 'matrix'
  | 'matrixTrace'
> &
  Partial<Pick<Session, 'sockets' | 'listing' | 'nftTables'>>;
