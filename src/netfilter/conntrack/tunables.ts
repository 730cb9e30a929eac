/**
 * Conntrack sysctls, read through the namespace's sysctl callback. Values are
 * re-parsed only when their text changes, so a per-packet read costs a lookup.
 */
import { SEC, type Micros } from '../../core/time.js';
import { TCP_TIMEOUTS } from './tcp.js';

const P = 'net.netfilter.nf_conntrack_';
export const SYSCTL = {
  tcpTimeouts: TCP_TIMEOUTS.map(([n]) => `${P}tcp_timeout_${n}`),
  tcpLoose: `${P}tcp_loose`,
  tcpBeLiberal: `${P}tcp_be_liberal`,
  tcpIgnoreInvalidRst: `${P}tcp_ignore_invalid_rst`,
  tcpMaxRetrans: `${P}tcp_max_retrans`,
  udpTimeout: `${P}udp_timeout`,
  udpStream: `${P}udp_timeout_stream`,
  icmpTimeout: `${P}icmp_timeout`,
  genericTimeout: `${P}generic_timeout`,
} as const;

export const DEFAULTS = {
  udpTimeout: 30,
  udpStream: 120,
  icmpTimeout: 30,
  genericTimeout: 600,
  tcpMaxRetrans: 3,
} as const;

export class Tunables {
  private readonly cache = new Map<string, { raw: string | undefined; value: number }>();

  constructor(private readonly sysctl: (name: string) => string | undefined) {}

  /** An integer sysctl, or `def` when unset or malformed. */
  int(name: string, def: number): number {
    const raw = this.sysctl(name);
    const c = this.cache.get(name);
    if (c && c.raw === raw) return c.value;
    const n = raw === undefined ? NaN : Number(raw.trim());
    const value = Number.isInteger(n) && n >= 0 ? n : def;
    this.cache.set(name, { raw, value });
    return value;
  }

  seconds(name: string, def: number): Micros {
    return this.int(name, def) * SEC;
  }

  tcpTimeout(index: number): Micros {
    return this.seconds(SYSCTL.tcpTimeouts[index], TCP_TIMEOUTS[index][1]);
  }
}
