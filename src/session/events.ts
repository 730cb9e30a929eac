/** What a session reports to its front ends: the lab's events and two of its own. */
import { LAB_EVENT_KINDS, type LabEvent } from '../trace/events.js';
import type { SessionState } from './lifecycle.js';

export type SessionEvent =
  | LabEvent
  | { t_us: number; kind: 'sim.state'; data: { state: SessionState } }
  | {
      t_us: number;
      kind: 'probe.result';
      data: { command: string; result: string; server: string | null; server_sees: string | null; trace: number | null };
    };

/** Every kind a session reports: the lab's, then its own. */
export const SESSION_EVENT_KINDS = [...LAB_EVENT_KINDS, 'sim.state', 'probe.result'] as const satisfies readonly SessionEvent['kind'][];

type Missing = Exclude<SessionEvent['kind'], (typeof SESSION_EVENT_KINDS)[number]>;
const everyKindListed: [Missing] extends [never] ? true : Missing = true;
void everyKindListed;

export type SessionListener = (e: SessionEvent) => void;
