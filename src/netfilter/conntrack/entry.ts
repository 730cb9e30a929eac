/** One conntrack entry (the kernel's nf_conn) as the table, NAT and the rule engine see it. */
import type { Micros } from '../../core/time.js';
import { SEC } from '../../core/time.js';
import type { TimerHandle, Timers } from '../../core/timers.js';
import { PROTO_TCP } from '../../packet/packet.js';
import { IPS_CONFIRMED, type ConnView, type CtTuple } from '../types.js';
import { TCP_STATE_NAMES, type TcpConn } from './tcp.js';

export class CtEntry implements ConnView {
  status = 0;
  mark = 0;
  /** Per-protocol TCP state; null for other protocols. */
  tcp: TcpConn | null = null;
  /** Timeout to apply when confirmed (the kernel keeps it relative until then). */
  timeout: Micros = 0;
  /** Absolute expiry on the virtual clock, once confirmed. */
  expiresAt: Micros = 0;
  /** The interface MASQUERADE chose, so the entry can go when that interface loses its address. */
  masqIf: string | null = null;
  /** @internal timer bookkeeping (one lazily re-armed timer per entry). */
  timer: TimerHandle | null = null;
  timerAt: Micros = 0;
  inTable = false;

  constructor(
    readonly id: number,
    public orig: CtTuple,
    public reply: CtTuple,
    readonly zone: number,
    readonly createdAt: Micros,
    private readonly clock: Timers,
  ) {}

  get confirmed(): boolean {
    return (this.status & IPS_CONFIRMED) !== 0;
  }

  expiresInSeconds(): number {
    if (!this.confirmed) return Math.floor(this.timeout / SEC);
    const left = this.expiresAt - this.clock.now();
    return left > 0 ? Math.floor(left / SEC) : 0;
  }

  protoStateName(): string {
    return this.orig.proto === PROTO_TCP && this.tcp ? TCP_STATE_NAMES[this.tcp.state] : '';
  }
}
