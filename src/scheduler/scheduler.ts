import type { Micros } from '../core/time.js';
import type { TimerHandle, Timers } from '../core/timers.js';

interface Entry {
  at: Micros;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Discrete-event scheduler: a binary heap ordered by (time, sequence), so events
 * at the same virtual time run in the order they were scheduled and every run
 * with the same inputs replays identically.
 */
export class Scheduler implements Timers {
  private heap: Entry[] = [];
  private seq = 0;
  private clock: Micros = 0;
  private live = 0;
  /** Total events run so far (for progress displays and benchmarks). */
  executed = 0;

  now(): Micros {
    return this.clock;
  }

  at(at: Micros, fn: () => void): TimerHandle {
    const entry: Entry = { at: Math.max(at, this.clock), seq: this.seq++, fn, cancelled: false };
    this.push(entry);
    this.live++;
    return {
      cancel: () => {
        if (!entry.cancelled) {
          entry.cancelled = true;
          this.live--;
        }
      },
    };
  }

  after(delay: Micros, fn: () => void): TimerHandle {
    return this.at(this.clock + delay, fn);
  }

  /** Number of events still waiting. */
  pending(): number {
    return this.live;
  }

  /** Time of the next live event, or null when idle. */
  nextAt(): Micros | null {
    this.dropCancelledTop();
    return this.heap.length ? this.heap[0].at : null;
  }

  /** Runs the next event; false when none is left. */
  step(): boolean {
    this.dropCancelledTop();
    const e = this.pop();
    if (!e) return false;
    this.live--;
    e.cancelled = true;
    this.clock = e.at;
    this.executed++;
    e.fn();
    return true;
  }

  /**
   * Runs events up to and including time `until`, then sets the clock to `until`.
   * `maxEvents` bounds the work of one call so front ends can run in slices.
   * Returns true when it stopped because of the bound (more work is left before `until`).
   */
  runUntil(until: Micros, maxEvents = Infinity): boolean {
    let n = 0;
    for (;;) {
      const next = this.nextAt();
      if (next === null || next > until) break;
      if (n >= maxEvents) return true;
      this.step();
      n++;
    }
    if (until > this.clock && until !== Infinity) this.clock = until;
    return false;
  }

  private dropCancelledTop(): void {
    while (this.heap.length && this.heap[0].cancelled) this.pop();
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
