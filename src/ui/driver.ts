/**
 * Runs the simulation in slices between renders so the UI never blocks: each
 * slice calls `session.advance(n)` and then yields to the event loop (input,
 * resize, drawing). The slice size adapts so one slice takes about `sliceMs`
 * of wall time, whatever the lab's size.
 */
import type { UiSession } from './ui-session.js';

export interface DriverOptions {
  sliceMs?: number;
  /** How the next slice is scheduled; tests pass a manual queue. */
  schedule?: (f: () => void) => void;
  /** Wall clock for slice sizing; only the UI and CLI read real time. */
  clock?: () => number;
  /** Runs work that blocks (a matrix) once the screen has been drawn; tests run it at once. */
  defer?: (f: () => void) => void;
}

export class Driver {
  private busy = false;
  private slice = 200;
  private readonly sliceMs: number;
  private readonly schedule: (f: () => void) => void;
  private readonly clock: () => number;
  /** Events run since the last `run`, for the progress display. */
  events = 0;
  /** Slices done since start, for the progress spinner. */
  ticks = 0;
  private stopped = false;

  constructor(
    private readonly session: UiSession,
    private readonly onSlice: () => void,
    opts: DriverOptions = {},
  ) {
    this.sliceMs = opts.sliceMs ?? 12;
    this.schedule = opts.schedule ?? ((f) => setImmediate(f));
    this.clock = opts.clock ?? (() => performance.now());
  }

  /** Starts slicing if the session is running and no slice is queued. */
  kick(): void {
    if (this.busy || this.stopped || this.session.state !== 'running') return;
    this.busy = true;
    this.schedule(() => this.tick());
  }

  stop(): void {
    this.stopped = true;
  }

  resetCount(): void {
    this.events = 0;
  }

  private tick(): void {
    this.busy = false;
    if (this.stopped) return;
    const t0 = this.clock();
    const { ran, more } = this.session.advance(this.slice);
    const took = this.clock() - t0;
    this.events += ran;
    this.ticks++;
    if (ran >= this.slice && took < this.sliceMs / 2) this.slice = Math.min(this.slice * 2, 200_000);
    else if (took > this.sliceMs * 2) this.slice = Math.max(50, this.slice >> 1);
    this.onSlice();
    if (more) this.kick();
  }
}
