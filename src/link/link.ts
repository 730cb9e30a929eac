import type { Rng } from '../core/rng.js';
import type { Micros } from '../core/time.js';
import type { Timers } from '../core/timers.js';

/** The far end of a link: something that takes a frame at a time. */
export interface LinkPort<F> {
  receive(frame: F): void;
}

export interface LinkParams {
  latency: Micros;
  /** Bits per second; 0 means no serialisation delay. */
  bandwidth: number;
  loss: number;
  /** Frames allowed to wait for the wire before tail drop (the kernel's txqueuelen). */
  queueLimit: number;
}

/** Why a frame did not cross. */
export type LinkDrop = 'loss' | 'queue-full' | 'down';

/**
 * One direction of a cable or veth pair: frames are serialised at `bandwidth`
 * (so they queue behind each other), then arrive `latency` later, unless the
 * seeded RNG loses them. A veth pair is two of these.
 */
export class LinkDirection<F> {
  /** Virtual time at which the transmitter becomes free. */
  private busyUntil: Micros = 0;
  private queued = 0;
  up = true;

  constructor(
    private readonly timers: Timers,
    private readonly rng: Rng,
    readonly params: LinkParams,
    private readonly to: LinkPort<F>,
  ) {}

  /** Sends a frame of `bytes` bytes; returns the arrival time, or why it was dropped. */
  send(frame: F, bytes: number): { arrives: Micros } | { drop: LinkDrop } {
    if (!this.up) return { drop: 'down' };
    const now = this.timers.now();
    if (this.busyUntil > now && this.queued >= this.params.queueLimit) return { drop: 'queue-full' };
    const start = Math.max(now, this.busyUntil);
    const serialisation = this.params.bandwidth > 0 ? Math.ceil((bytes * 8 * 1_000_000) / this.params.bandwidth) : 0;
    this.busyUntil = start + serialisation;
    const arrives = this.busyUntil + this.params.latency;
    // Draw for loss on every frame, lossy or not, only when loss is configured: a lossless link must not shift the RNG stream.
    if (this.params.loss > 0 && this.rng.nextFloat() < this.params.loss) return { drop: 'loss' };
    if (serialisation > 0) {
      this.queued++;
      this.timers.at(this.busyUntil, () => this.queued--);
    }
    this.timers.at(arrives, () => this.to.receive(frame));
    return { arrives };
  }
}
