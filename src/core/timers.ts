import type { Micros } from './time.js';

/** A cancellable callback on the virtual clock. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * The scheduler as lower layers see it: they read virtual time and ask to be
 * called back, never touching a real clock. The scheduler implements this.
 */
export interface Timers {
  now(): Micros;
  /** Runs `fn` at absolute virtual time `at` (not before now); same-time callbacks run in the order scheduled. */
  at(at: Micros, fn: () => void): TimerHandle;
}
