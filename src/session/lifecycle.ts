/**
 * The session lifecycle as an xstate machine: loaded → running ⇄ paused,
 * stepping (one event at a time), finished when the event queue is empty.
 * It decides only which state we are in; the Session carries out the effects.
 * Nothing here runs per packet.
 */
import { createActor, createMachine } from 'xstate';

export type SessionState = 'loaded' | 'running' | 'paused' | 'stepping' | 'finished';

export type LifecycleEvent =
  { type: 'RUN' } | { type: 'PAUSE' } | { type: 'STEP' } | { type: 'STEPPED' } | { type: 'IDLE' } | { type: 'RESET' };

export const lifecycleMachine = createMachine({
  id: 'session',
  types: {} as { events: LifecycleEvent },
  initial: 'loaded',
  states: {
    // Pausing before anything runs holds the next probe or command at its first event, for stepping.
    loaded: { on: { RUN: 'running', STEP: 'stepping', IDLE: 'finished', PAUSE: 'paused' } },
    running: { on: { PAUSE: 'paused', IDLE: 'finished', STEP: 'stepping', RESET: 'loaded' } },
    paused: { on: { RUN: 'running', STEP: 'stepping', RESET: 'loaded', IDLE: 'finished' } },
    stepping: { on: { STEPPED: 'paused', IDLE: 'finished', RESET: 'loaded' } },
    // A probe injected into a finished session runs it again (the session sends RUN); commands leave it
    // finished; a pause asked for there holds the next probe, as in `loaded`.
    finished: { on: { RESET: 'loaded', RUN: 'running', STEP: 'stepping', PAUSE: 'paused' } },
  },
});

export function startLifecycle(onChange: (s: SessionState) => void) {
  const actor = createActor(lifecycleMachine);
  let last: SessionState | null = null;
  actor.subscribe((snap) => {
    const s = snap.value as SessionState;
    if (s !== last) {
      last = s;
      onChange(s);
    }
  });
  actor.start();
  return {
    send: (e: LifecycleEvent) => actor.send(e),
    get state(): SessionState {
      return actor.getSnapshot().value as SessionState;
    },
    stop: () => actor.stop(),
  };
}
