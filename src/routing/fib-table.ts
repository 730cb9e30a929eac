/**
 * One routing table. Routes are kept per prefix length in maps keyed by the
 * network address, so a lookup is at most 33 map probes with no string work, and
 * a thousand host routes cost no more than one. Routes sharing a prefix form an
 * ordered alias list (metric ascending, then insertion order), as the kernel's
 * fib_alias list does; that order decides ties and the order `ip route show` prints.
 */
import { cidrContains, type Ipv4 } from '../packet/ipv4.js';
import type { Route } from './types.js';

export interface TableFilter {
  tos: number;
  /** Only routes whose scope is at least this (gateway validation asks for link-or-narrower routes). */
  minScope: number;
  /** Only routes through this device (a bound socket, `ip route get oif`). */
  oif: string | null;
}

export type TableHit = { route: Route; prefixLen: number } | null;

export class FibTable {
  /** byLen[len] maps a network address to its aliases. */
  private readonly byLen: Array<Map<number, Route[]>> = Array.from({ length: 33 }, () => new Map<number, Route[]>());
  /** Prefix lengths that hold routes, longest first. */
  private lengths: number[] = [];

  constructor(readonly id: number) {}

  aliases(net: Ipv4, len: number): Route[] | undefined {
    return this.byLen[len].get(net);
  }

  /** Inserts at `index` of the alias list for the route's prefix. */
  insertAt(route: Route, index: number): void {
    const m = this.byLen[route.dst.len];
    let list = m.get(route.dst.network);
    if (!list) {
      list = [];
      m.set(route.dst.network, list);
      if (!this.lengths.includes(route.dst.len)) this.lengths = [...this.lengths, route.dst.len].sort((a, b) => b - a);
    }
    list.splice(index, 0, route);
  }

  remove(route: Route): boolean {
    const m = this.byLen[route.dst.len];
    const list = m.get(route.dst.network);
    if (!list) return false;
    const i = list.indexOf(route);
    if (i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) {
      m.delete(route.dst.network);
      if (m.size === 0) this.lengths = this.lengths.filter((l) => l !== route.dst.len);
    }
    return true;
  }

  removeWhere(pred: (r: Route) => boolean): number {
    const doomed = this.all().filter(pred);
    for (const r of doomed) this.remove(r);
    return doomed.length;
  }

  /**
   * Longest-prefix match. Within a prefix the first usable alias wins; when none
   * is usable the search backs off to shorter prefixes, as fib_table_lookup does.
   */
  lookup(dst: Ipv4, f: TableFilter): TableHit {
    for (const len of this.lengths) {
      const list = this.byLen[len].get(len === 0 ? 0 : (dst & (0xffffffff << (32 - len))) >>> 0);
      if (!list) continue;
      for (const r of list) {
        if (r.tos !== 0 && r.tos !== f.tos) continue;
        if (r.scope < f.minScope) continue;
        if (r.dev !== null && f.oif !== null && r.dev !== f.oif) continue;
        return { route: r, prefixLen: len };
      }
    }
    return null;
  }

  /** Every route, in the order `ip route show` prints them: by network address, longer prefixes first, then alias order. */
  all(): Route[] {
    const out: Route[] = [];
    for (const m of this.byLen) for (const list of m.values()) out.push(...list);
    return out.sort((a, b) => a.dst.network - b.dst.network || b.dst.len - a.dst.len || 0);
  }

  get size(): number {
    let n = 0;
    for (const m of this.byLen) for (const list of m.values()) n += list.length;
    return n;
  }

  /** Routes covering `dst` (used by tests and diagnostics). */
  covering(dst: Ipv4): Route[] {
    return this.all().filter((r) => cidrContains(r.dst, dst));
  }
}
