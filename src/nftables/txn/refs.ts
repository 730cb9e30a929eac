/** What rules and map elements refer to (chains they jump to, sets they read), and who refers to a chain. */
import type { AnonSet, Elem, Expr, Rule, Stmt, Table } from '../ast.js';

/**
 * How many rules and verdict-map elements jump or go to each chain, kept as they change, so
 * deleting a chain from a 30,000-chain table need not scan every rule to know it is unused.
 */
const refCounts = new WeakMap<Table, Map<string, number>>();

function refsOf(t: Table): Map<string, number> {
  let m = refCounts.get(t);
  if (!m) {
    m = new Map();
    refCounts.set(t, m);
  }
  return m;
}

export function targetsOfElems(elems: Iterable<Elem>, out: string[]): string[] {
  for (const e of elems) if (e.data && !Array.isArray(e.data) && e.data.chain !== undefined) out.push(e.data.chain);
  return out;
}

export function targetsOfRule(r: Rule): string[] {
  const out: string[] = [];
  for (const s of r.stmts) {
    if (s.k === 'verdict' && s.verdict.chain !== undefined) out.push(s.verdict.chain);
    if (s.k === 'vmap' && s.map.k === 'set') targetsOfElems(s.map.set.elems, out);
  }
  return out;
}

/** Adds `delta` to each target's count, and undoes it if the transaction fails. */
export function bumpRefs(t: Table, targets: string[], delta: number, undo: Array<() => void>): void {
  if (!targets.length) return;
  const m = refsOf(t);
  for (const c of targets) m.set(c, (m.get(c) ?? 0) + delta);
  undo.push(() => {
    for (const c of targets) m.set(c, (m.get(c) ?? 0) - delta);
  });
}

export function isReferenced(t: Table, name: string): boolean {
  return (refsOf(t).get(name) ?? 0) > 0;
}

export function setReferenced(t: Table, name: string): boolean {
  for (const ch of t.chains)
    for (const r of ch.rules)
      for (const s of r.stmts) {
        if ((s.k === 'match' || s.k === 'vmap') && (s.k === 'match' ? s.right : s.map).k === 'ref') {
          const rhs = s.k === 'match' ? s.right : s.map;
          if (rhs.k === 'ref' && rhs.name === name) return true;
        }
        if (s.k === 'setupd' && s.set === name) return true;
      }
  return false;
}

/** Whether a statement names a set or map (`@NAME`). */
export function refersToSet(s: Stmt): boolean {
  const m = mapOfStmt(s);
  if (m && m.map.k === 'ref') return true;
  const rhs = s.k === 'match' ? s.right : s.k === 'vmap' ? s.map : null;
  return (rhs !== null && rhs.k === 'ref') || s.k === 'setupd';
}

/** The anonymous set or map a statement carries, if any. */
export function anonSetOf(s: Stmt): { k: 'set'; set: AnonSet } | null {
  const x = s.k === 'match' ? s.right : s.k === 'vmap' ? s.map : (mapOfStmt(s)?.map ?? null);
  return x && x.k === 'set' ? x : null;
}

/** The map lookup a statement's value comes from (`meta mark set ip saddr map @m`, `dnat to ip daddr map { ... }`). */
export function mapOfStmt(s: Stmt): Extract<Expr, { k: 'map' }> | null {
  const e = s.k === 'metaset' || s.k === 'ctset' ? s.value : s.k === 'nat' ? (s.nat.map ?? null) : null;
  return e && e.k === 'map' ? e : null;
}
