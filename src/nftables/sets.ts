/**
 * Sets and maps as the kernel keeps them, for lookups whose cost does not grow
 * with the set: exact keys in a hash (a concatenation is nested hashes, one per
 * field, so no key string is built per packet), intervals as a sorted array
 * searched by bisection.
 */
import type { Elem, Verdict } from './ast.js';
import type { Value } from './types.js';

/** A packet's key field: a number (addresses, ports, marks, protocols) or an interface name. */
export type Scalar = number | string;

export function scalarOf(v: Value): Scalar {
  return v.s !== undefined ? v.s : Number(v.n);
}

export type Data = Verdict | Value[] | true;

export interface Lookup {
  get(key: readonly Scalar[]): Data | undefined;
  /** Adds an element at run time (`update @set`); `expiresAt` in ms of virtual time, or null. */
  add(key: readonly Scalar[], expiresAt: number | null): void;
}

interface Entry {
  data: Data;
  expiresAt: number | null;
}

class HashLookup implements Lookup {
  private readonly root = new Map<Scalar, unknown>();
  private wild: Array<{ prefix: string; data: Data }> | null = null;
  constructor(
    private readonly depth: number,
    private readonly now: () => number,
  ) {}

  put(key: readonly Scalar[], e: Entry): void {
    let m = this.root;
    for (let i = 0; i < this.depth - 1; i++) {
      let next = m.get(key[i]) as Map<Scalar, unknown> | undefined;
      if (!next) {
        next = new Map();
        m.set(key[i], next);
      }
      m = next;
    }
    const last = key[this.depth - 1];
    // An interface name ending in `*` matches every name it begins.
    if (this.depth === 1 && typeof last === 'string' && last.endsWith('*')) {
      (this.wild ??= []).push({ prefix: last.slice(0, -1), data: e.data });
      return;
    }
    m.set(last, e);
  }

  get(key: readonly Scalar[]): Data | undefined {
    let m: Map<Scalar, unknown> | undefined = this.root;
    for (let i = 0; i < this.depth - 1 && m; i++) m = m.get(key[i]) as Map<Scalar, unknown> | undefined;
    const e = m?.get(key[this.depth - 1]) as Entry | undefined;
    if (e) {
      if (e.expiresAt !== null && e.expiresAt <= this.now()) return undefined;
      return e.data;
    }
    if (this.wild) {
      const k = key[0];
      if (typeof k === 'string') for (const w of this.wild) if (k.startsWith(w.prefix)) return w.data;
    }
    return undefined;
  }

  add(key: readonly Scalar[], expiresAt: number | null): void {
    this.put(key, { data: true, expiresAt });
  }

  /** Takes one exact key out; false when the key is a wildcard, which the caller rebuilds instead. */
  delete(key: readonly Scalar[]): boolean {
    const last = key[this.depth - 1];
    if (this.depth === 1 && typeof last === 'string' && last.endsWith('*')) return false;
    const path: Array<Map<Scalar, unknown>> = [this.root];
    let m: Map<Scalar, unknown> | undefined = this.root;
    for (let i = 0; i < this.depth - 1 && m; i++) path.push((m = m.get(key[i]) as Map<Scalar, unknown> | undefined)!);
    if (!m) return true;
    m.delete(last);
    // Empty inner maps would pile up as Services come and go.
    for (let i = this.depth - 1; i > 0 && path[i].size === 0; i--) path[i - 1].delete(key[i - 1]);
    return true;
  }
}

/** Non-overlapping intervals sorted by start; a lookup is one bisection. */
class IntervalLookup implements Lookup {
  private lo: number[] = [];
  private hi: number[] = [];
  private data: Data[] = [];

  constructor(entries: Array<{ lo: number; hi: number; data: Data }>) {
    entries.sort((a, b) => a.lo - b.lo);
    for (const e of entries) {
      this.lo.push(e.lo);
      this.hi.push(e.hi);
      this.data.push(e.data);
    }
  }

  get(key: readonly Scalar[]): Data | undefined {
    const k = key[0] as number;
    let a = 0;
    let b = this.lo.length - 1;
    let found = -1;
    while (a <= b) {
      const mid = (a + b) >> 1;
      if (this.lo[mid] <= k) {
        found = mid;
        a = mid + 1;
      } else b = mid - 1;
    }
    return found >= 0 && k <= this.hi[found] ? this.data[found] : undefined;
  }

  add(key: readonly Scalar[]): void {
    const k = key[0] as number;
    const e = [...this.lo.keys()].map((i) => ({ lo: this.lo[i], hi: this.hi[i], data: this.data[i] }));
    e.push({ lo: k, hi: k, data: true });
    const next = new IntervalLookup(e);
    this.lo = next.lo;
    this.hi = next.hi;
    this.data = next.data;
  }
}

/** Concatenations with ranges (pipapo in the kernel): rare and small here, so scanned. */
class ScanLookup implements Lookup {
  constructor(private readonly elems: Array<{ lo: Scalar[]; hi: Scalar[]; data: Data }>) {}
  get(key: readonly Scalar[]): Data | undefined {
    outer: for (const e of this.elems) {
      for (let i = 0; i < key.length; i++) if (key[i] < e.lo[i] || key[i] > e.hi[i]) continue outer;
      return e.data;
    }
    return undefined;
  }
  add(key: readonly Scalar[]): void {
    this.elems.push({ lo: [...key], hi: [...key], data: true });
  }
}

const entryOf = (e: Elem): Entry => ({
  data: e.data ?? true,
  expiresAt: e.timeoutMs !== undefined ? (e.addedAt ?? 0) + e.timeoutMs : null,
});

/**
 * A named set's lookup, kept across ruleset changes: a transaction's added and
 * removed elements are applied to it in place (a hash: cost per element), or it
 * is read again from the set on its next lookup (intervals, wildcards, flushes).
 * Rules hold this object, so they need no recompiling when only the set changed.
 */
export class SetLookup implements Lookup {
  private inner: Lookup | null = null;

  constructor(private readonly build: () => Lookup) {}

  get(key: readonly Scalar[]): Data | undefined {
    return (this.inner ??= this.build()).get(key);
  }

  add(key: readonly Scalar[], expiresAt: number | null): void {
    (this.inner ??= this.build()).add(key, expiresAt);
  }

  /** `null`: read the whole set again when next looked up. */
  apply(delta: ReadonlyMap<string, { elem: Elem; present: boolean }> | null): void {
    const h = this.inner;
    if (!h) return;
    if (!(h instanceof HashLookup) || delta === null) {
      this.inner = null;
      return;
    }
    for (const { elem, present } of delta.values()) {
      const key = elem.key.lo.map(scalarOf);
      if (elem.key.hi === null && present) h.put(key, entryOf(elem));
      else if (elem.key.hi !== null || !h.delete(key)) {
        this.inner = null;
        return;
      }
    }
  }
}

export function buildLookup(elems: Iterable<Elem>, fields: number, interval: boolean, now: () => number): Lookup {
  const list = [...elems];
  const dataOf = (e: Elem): Data => e.data ?? true;
  const hasRange = list.some((e) => e.key.hi !== null);
  if (!interval && !hasRange) {
    const h = new HashLookup(fields, now);
    for (const e of list) h.put(e.key.lo.map(scalarOf), entryOf(e));
    return h;
  }
  if (fields === 1)
    return new IntervalLookup(list.map((e) => ({ lo: Number(e.key.lo[0].n), hi: Number((e.key.hi ?? e.key.lo)[0].n), data: dataOf(e) })));
  return new ScanLookup(list.map((e) => ({ lo: e.key.lo.map(scalarOf), hi: (e.key.hi ?? e.key.lo).map(scalarOf), data: dataOf(e) })));
}
