/**
 * Puts a built lab back the way it was, so one lab can serve many cells: the
 * compiled rules (the expensive part, 40,000 rules take half a second to load)
 * stay as they are, and only the state a probe can change is copied back.
 *
 * The lab's mutable state is every object reachable from it: scheduler heap,
 * RNG state, tracer, each node's sockets, neighbour and conntrack tables, IP
 * ids, link queues, bridge forwarding tables. It is recorded once, shallowly
 * per object (a Map's entries, an array's items, an object's own properties),
 * and restored object by object; whatever a cell created is simply dropped
 * with the containers that held it. Objects named as shared (the topology,
 * the compiled rule sets) are neither walked nor restored.
 *
 * What this cannot see is state captured in closures. Nothing in the packet
 * path keeps any outside the rule sets; rules that do (a `-m limit` bucket, a
 * `--mode nth` counter) are found by runner.ts, which then builds a fresh lab
 * per cell instead. matrix-runner.test.ts checks every bundled lab cell for
 * cell against fresh labs.
 */

type Saved =
  | { kind: 'map'; obj: Map<unknown, unknown>; entries: Array<[unknown, unknown]> }
  | { kind: 'set'; obj: Set<unknown>; items: unknown[] }
  | { kind: 'array'; obj: unknown[]; items: unknown[] }
  | { kind: 'object'; obj: Record<string, unknown>; keys: string[]; values: unknown[] };

function isWalkable(v: unknown): v is object {
  if (typeof v !== 'object' || v === null) return false;
  // Typed arrays are packet payloads, written once and never changed in place; weak collections cannot be listed.
  return !ArrayBuffer.isView(v) && !(v instanceof WeakMap) && !(v instanceof WeakSet) && !(v instanceof ArrayBuffer);
}

export class LabSnapshot {
  private readonly saved: Saved[] = [];

  /** Records everything reachable from `roots`, except the `shared` objects and what only they reach. */
  constructor(roots: readonly object[], shared: ReadonlySet<object>) {
    const seen = new Set<object>(shared);
    const stack: object[] = [...roots];
    const visit = (v: unknown) => {
      if (isWalkable(v) && !seen.has(v)) {
        seen.add(v);
        stack.push(v);
      }
    };
    for (const r of roots) seen.add(r);
    while (stack.length) {
      const o = stack.pop()!;
      if (o instanceof Map) {
        const entries = [...o.entries()];
        this.saved.push({ kind: 'map', obj: o, entries });
        for (const [k, v] of entries) {
          visit(k);
          visit(v);
        }
      } else if (o instanceof Set) {
        const items = [...o];
        this.saved.push({ kind: 'set', obj: o, items });
        items.forEach(visit);
      } else if (Array.isArray(o)) {
        const items = o.slice();
        this.saved.push({ kind: 'array', obj: o, items });
        items.forEach(visit);
      } else {
        const rec = o as Record<string, unknown>;
        const keys = Object.keys(rec);
        const values = keys.map((k) => rec[k]);
        this.saved.push({ kind: 'object', obj: rec, keys, values });
        values.forEach(visit);
      }
    }
  }

  /** How many objects a restore goes through (for the benchmark's report). */
  get size(): number {
    return this.saved.length;
  }

  restore(): void {
    for (const s of this.saved) {
      switch (s.kind) {
        case 'map':
          if (!sameMap(s.obj, s.entries)) {
            s.obj.clear();
            for (const [k, v] of s.entries) s.obj.set(k, v);
          }
          break;
        case 'set':
          if (s.obj.size !== s.items.length || s.items.some((i) => !s.obj.has(i))) {
            s.obj.clear();
            for (const i of s.items) s.obj.add(i);
          }
          break;
        case 'array':
          if (!sameItems(s.obj, s.items)) {
            s.obj.length = 0;
            for (const i of s.items) s.obj.push(i);
          }
          break;
        case 'object':
          restoreObject(s.obj, s.keys, s.values);
      }
    }
  }
}

function sameMap(m: Map<unknown, unknown>, entries: Array<[unknown, unknown]>): boolean {
  if (m.size !== entries.length) return false;
  for (const [k, v] of entries) if (m.get(k) !== v || (v === undefined && !m.has(k))) return false;
  return true;
}

function sameItems(a: unknown[], items: unknown[]): boolean {
  if (a.length !== items.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== items[i]) return false;
  return true;
}

function restoreObject(o: Record<string, unknown>, keys: string[], values: unknown[]): void {
  if (Object.keys(o).length !== keys.length) {
    const keep = new Set(keys);
    for (const k of Object.keys(o)) if (!keep.has(k)) delete o[k];
  }
  for (let i = 0; i < keys.length; i++) if (o[keys[i]] !== values[i]) o[keys[i]] = values[i];
}
