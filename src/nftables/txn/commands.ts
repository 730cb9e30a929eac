/** Table, chain, set and element commands, and the dispatch of each command of a batch. */
import { nextRegistration } from '../../netfilter/rule.js';
import { type Chain, type Elem, elemId, type Loc, type NamedSet, type Ruleset, type Table } from '../ast.js';
import { internElem } from '../intern.js';
import type { Tok } from '../lexer.js';
import type { Cmd } from '../parse/cmd.js';
import { parseElements } from '../parse/rule.js';
import { printChain, printRuleset, printSet, printTable, sortElems } from '../print.js';
import { type ApplyOpts, asKernel, chainChanged, enoentOf, findTable, NOENT, setChanged, type Txn, TxnError } from './cache.js';
import { checkChainUpdate, checkNewBaseChain, FAMILY_HOOKS } from './kernel-checks.js';
import { bumpRefs, isReferenced, setReferenced, targetsOfElems, targetsOfRule } from './refs.js';
import { flushChain, ruleCmd } from './rules.js';
import { needChain, needSet, needTable } from './suggest.js';

export function applyOne(tx: Txn, rs: Ruleset, c: Cmd, undo: Array<() => void>, opts: ApplyOpts): string {
  switch (c.obj) {
    case 'ruleset':
      if (c.op === 'list') {
        const foreign = opts.foreign && (c.family === null || c.family === 'ip') ? opts.foreign(!!opts.handles) : '';
        return foreign + printRuleset(rs, { handles: !!opts.handles, nowMs: opts.nowMs }, c.family);
      }
      {
        const before = rs.tables.slice();
        rs.tables = rs.tables.filter((t) => c.family !== null && t.family !== c.family);
        tx.changes.hooks = true;
        undo.push(() => (rs.tables = before));
      }
      return '';
    case 'tables':
      return rs.tables
        .filter((t) => c.family === null || t.family === c.family)
        .map((t) => `table ${t.family} ${t.name}\n`)
        .join('');
    case 'table':
      return tableCmd(tx, rs, c, undo, opts);
    case 'chain':
      return chainCmd(tx, rs, c, undo, opts);
    case 'set':
      return setCmd(tx, rs, c, undo, opts);
    case 'rule':
      return ruleCmd(tx, rs, c, undo);
    case 'element':
      return elementCmd(tx, rs, c, undo);
  }
}

function tableCmd(tx: Txn, rs: Ruleset, c: Cmd, undo: Array<() => void>, opts: ApplyOpts): string {
  const fam = c.family ?? 'ip';
  const existing = findTable(rs, fam, c.table);
  if (c.op === 'list')
    return printTable(existing ?? needTable(tx, rs, fam, c.table, c.at.table), { handles: !!opts.handles, nowMs: opts.nowMs });
  if (c.op === 'flush') {
    const t = enoentOf('table', c, () => asKernel(() => needTable(tx, rs, fam, c.table, c.at.table, false)));
    for (const ch of t.chains) flushChain(tx, t, ch, undo);
    return '';
  }
  if (c.op === 'delete') {
    const t = asKernel(() => needTable(tx, rs, fam, c.table, c.at.table));
    const i = rs.tables.indexOf(t);
    rs.tables.splice(i, 1);
    tx.changes.hooks = true;
    undo.push(() => rs.tables.splice(i, 0, t));
    return '';
  }
  if (existing) {
    if (c.op === 'create') throw new TxnError(c.at.table, 'Could not process rule: File exists');
    // The kernel keeps an existing table's comment (measured): only flags change.
    if (c.flags.length) {
      const { flags } = existing;
      existing.flags = c.flags;
      undo.push(() => Object.assign(existing, { flags }));
    }
    return '';
  }
  const t: Table = {
    family: fam,
    name: c.table,
    handle: rs.nextTableHandle++,
    comment: c.comment,
    flags: c.flags,
    chains: [],
    sets: [],
    chainByName: new Map(),
    setByName: new Map(),
    nextHandle: 1,
  };
  rs.tables.push(t);
  tx.changes.hooks = true;
  undo.push(() => {
    rs.tables.splice(rs.tables.indexOf(t), 1);
    rs.nextTableHandle--;
  });
  return '';
}

/** Chains stay in handle order (created with rising handles, put back where they were on undo), so a bisection finds one. */
function lowerBound(cs: readonly Chain[], handle: number): number {
  let a = 0;
  let b = cs.length - 1;
  while (a <= b) {
    const m = (a + b) >> 1;
    if (cs[m].handle < handle) a = m + 1;
    else b = m - 1;
  }
  return a;
}

function chainIndex(t: Table, ch: Chain): number {
  const i = lowerBound(t.chains, ch.handle);
  return t.chains[i] === ch ? i : t.chains.indexOf(ch);
}

function chainByHandle(t: Table, handle: number): Chain | undefined {
  const c = t.chains[lowerBound(t.chains, handle)];
  return c?.handle === handle ? c : t.chains.find((x) => x.handle === handle);
}

function chainCmd(tx: Txn, rs: Ruleset, c: Cmd, undo: Array<() => void>, opts: ApplyOpts): string {
  const fam = c.family ?? 'ip';
  // nft needs a chain's table only to add or list the chain; flushing and deleting are the kernel's to refuse,
  // and nft explains the refusal afterwards from what its cache holds (`explainEnoent`).
  const lookup =
    c.op === 'flush' || c.op === 'delete' ? <T>(f: () => T) => enoentOf('chain', c, () => asKernel(f)) : <T>(f: () => T) => f();
  const t = lookup(() => needTable(tx, rs, fam, c.table, c.at.table, c.op === 'add' || c.op === 'create' || c.op === 'list'));
  if (c.op === 'list')
    return `table ${t.family} ${t.name} {\n${printChain(needChain(rs, t, c.name, c.at.name, true, !tx.listFilter), t.family, { handles: !!opts.handles })}}\n`;
  if (c.op === 'flush') {
    flushChain(
      tx,
      t,
      lookup(() => needChain(rs, t, c.name, c.at.name, false, false)),
      undo,
    );
    return '';
  }
  if (c.op === 'delete') {
    const ch = c.handle !== null ? chainByHandle(t, c.handle) : lookup(() => needChain(rs, t, c.name, c.at.name, false, false));
    if (!ch) throw new TxnError(c.loc, NOENT);
    // A chain with rules is deleted with them (kernel 6.18); only a chain something jumps to is busy.
    if (isReferenced(t, ch.name)) throw new TxnError(c.at.name, 'Could not process rule: Device or resource busy');
    bumpRefs(t, ch.rules.flatMap(targetsOfRule), -1, undo);
    const i = chainIndex(t, ch);
    t.chains.splice(i, 1);
    chainChanged(tx, t, ch);
    t.chainByName.delete(ch.name);
    undo.push(() => {
      t.chains.splice(i, 0, ch);
      t.chainByName.set(ch.name, ch);
    });
    return '';
  }
  // nft evaluates the hook and priority of every chain it is given, new or not, before the kernel sees it.
  const given = c.chainSpec?.base;
  if (given?.priorityError) {
    if (!FAMILY_HOOKS[fam].includes(given.hook)) throw new TxnError(given.hookLoc, `The ${fam} family does not support this hook`);
    throw new TxnError(given.priorityError, 'invalid priority expression value in this context.');
  }
  const existing = t.chainByName.get(c.name);
  if (existing) {
    if (c.op === 'create') throw new TxnError(c.at.name, 'Could not process rule: File exists');
    checkChainUpdate(existing, c);
    if (c.chainSpec?.policy && existing.base) {
      const before = existing.base.policy;
      existing.base.policy = c.chainSpec.policy;
      chainChanged(tx, t, existing);
      undo.push(() => (existing.base!.policy = before));
    }
    return '';
  }
  const b = c.chainSpec?.base;
  if (b) checkNewBaseChain(fam, c.table, c, b);
  const ch: Chain = {
    name: c.name,
    handle: t.nextHandle++,
    base: b ? { type: b.type, hook: b.hook, priority: b.priority, policy: c.chainSpec?.policy ?? 'accept', device: b.device } : null,
    comment: c.chainSpec?.comment ?? null,
    rules: [],
    regSeq: b ? nextRegistration() : 0,
  };
  t.chains.push(ch);
  tx.newChains.add(ch);
  t.chainByName.set(ch.name, ch);
  chainChanged(tx, t, ch);
  undo.push(() => {
    t.chains.splice(t.chains.lastIndexOf(ch), 1);
    t.chainByName.delete(ch.name);
    t.nextHandle--;
  });
  return '';
}

function setCmd(tx: Txn, rs: Ruleset, c: Cmd, undo: Array<() => void>, opts: ApplyOpts): string {
  const fam = c.family ?? 'ip';
  // nft suggests no table for a list command.
  const t =
    c.op === 'delete'
      ? enoentOf('set', c, () => asKernel(() => needTable(tx, rs, fam, c.table, c.at.table, false)))
      : needTable(tx, rs, fam, c.table, c.at.table);
  if (c.op === 'list' || c.op === 'flush') {
    // A map named as a set (or a set as a map) is not found, and nft suggests nothing.
    const found = needSet(tx, rs, t, c.name, c.at.name);
    if (found.isMap !== !!c.asMap) throw new TxnError(c.at.name, 'No such file or directory');
  }
  if (c.op === 'list')
    return `table ${t.family} ${t.name} {\n${printSet(needSet(tx, rs, t, c.name, c.at.name), { handles: !!opts.handles, nowMs: opts.nowMs })}}\n`;
  if (c.op === 'flush') {
    const s = needSet(tx, rs, t, c.name, c.at.name);
    const elems = s.elems;
    bumpRefs(t, targetsOfElems(elems.values(), []), -1, undo);
    s.elems = new Map();
    setChanged(tx, t, s.name, null, false);
    undo.push(() => (s.elems = elems));
    return '';
  }
  if (c.op === 'delete') {
    const s = c.handle !== null ? t.sets.find((x) => x.handle === c.handle) : t.sets.find((x) => x.name === c.name);
    if (!s && c.handle === null) throw Object.assign(new TxnError(c.at.name, NOENT), { enoent: { kind: 'set' as const, c } });
    if (!s) throw new TxnError(c.loc, NOENT);
    if (setReferenced(t, s.name)) throw new TxnError(c.at.name, 'Could not process rule: Device or resource busy');
    const i = t.sets.indexOf(s);
    bumpRefs(t, targetsOfElems(s.elems.values(), []), -1, undo);
    t.sets.splice(i, 1);
    t.setByName.delete(s.name);
    setChanged(tx, t, s.name, null, false);
    undo.push(() => {
      t.sets.splice(i, 0, s);
      t.setByName.set(s.name, s);
    });
    return '';
  }
  const existing = t.setByName.get(c.name);
  const spec = c.setSpec!;
  let s: NamedSet;
  if (existing) {
    if (c.op === 'create') throw new TxnError(c.at.name, 'Could not process rule: File exists');
    // The kernel keeps a set's type and flags (a timeout implies its flag); size and comment may differ (measured).
    const flagsOf = (f: readonly string[], timeout: number | null) =>
      [...new Set([...f, ...(timeout ? ['timeout'] : [])])].sort().join(',');
    if (
      existing.isMap !== spec.isMap ||
      existing.keyTypes.join('.') !== spec.keyTypes.join('.') ||
      existing.dataType !== spec.dataType ||
      flagsOf(existing.flags, existing.timeoutMs) !== flagsOf(spec.flags, spec.timeoutMs)
    )
      throw new TxnError(c.at.name, 'Could not process rule: File exists');
    s = existing;
  } else {
    // Flag combinations the kernel has no set backend for; it points at a command's whole text, or a block's set name.
    const f = spec.flags;
    if ((f.includes('interval') && f.includes('dynamic')) || (f.includes('timeout') && f.includes('constant')))
      throw new TxnError(c.at.end !== c.loc ? c.at.whole : c.loc, 'Could not process rule: Operation not supported');
    s = {
      name: c.name,
      handle: t.nextHandle++,
      isMap: spec.isMap,
      keyTypes: spec.keyTypes,
      dataType: spec.dataType,
      flags: spec.flags,
      timeoutMs: spec.timeoutMs,
      size: spec.size,
      comment: spec.comment,
      policy: spec.policy,
      counter: spec.counter,
      ...(spec.typeofKey ? { typeofKey: spec.typeofKey } : {}),
      ...(spec.typeofData ? { typeofData: spec.typeofData } : {}),
      elems: new Map(),
    };
    t.sets.push(s);
    t.setByName.set(s.name, s);
    tx.newSets.add(s);
    setChanged(tx, t, s.name, null, false);
    const made = s;
    undo.push(() => {
      t.sets.splice(t.sets.lastIndexOf(made), 1);
      t.setByName.delete(made.name);
      t.nextHandle--;
    });
  }
  if (spec.elems) addElements(tx, rs, t, s, spec.elems, false, undo);
  return '';
}

function addElements(tx: Txn, rs: Ruleset, t: Table, s: NamedSet, toks: Tok[], create: boolean, undo: Array<() => void>): void {
  const interval = s.flags.includes('interval');
  const locs: Loc[] = [];
  const elems = parseElements(toks, s.keyTypes, s.dataType, interval, false, locs, tx.ifaces);
  const added: string[] = [];
  const map = s.elems;
  undo.push(() => {
    for (const id of added) map.delete(id);
  });
  // nft sends an interval set's elements in key order: the kernel refuses the first of those.
  const index = new Map(elems.map((e, i) => [e, i]));
  const order = interval && s.keyTypes.length === 1 ? sortElems(elems, true) : elems;
  for (const e of order) {
    const i = index.get(e)!;
    if (e.key.hi !== null && !interval)
      throw new TxnError(
        locOfToks(toks),
        `You must add 'flags interval' to your set declaration if you want to add ${e.key.plen !== undefined ? 'prefix' : 'range'} elements`,
      );
    if (e.data && !Array.isArray(e.data) && e.data.chain !== undefined) needChain(rs, t, e.data.chain, locOfToks(toks), false, false);
    // A map element without its data reaches the kernel, which refuses it.
    if (s.dataType !== null && e.data === null) throw new TxnError(locs[i] ?? locOfToks(toks), 'Could not process rule: Invalid argument');
    if (s.timeoutMs !== null && e.timeoutMs === undefined) e.timeoutMs = s.timeoutMs;
    const id = elemId(e.key);
    const old = map.get(id);
    if (old) {
      // A map element already there with other data is refused even by `add` (the kernel compares the data).
      // The kernel names the element it refused.
      if (create || !sameData(old.data, e.data)) throw new TxnError(locs[i] ?? locOfToks(toks), 'Could not process rule: File exists');
      // An interval set keeps the later of two equal elements (its comment, its timeout); a hashed set the first.
      if (interval) {
        map.set(id, e);
        undo.push(() => map.set(id, old));
      }
      continue;
    }
    internElem(rs, e);
    map.set(id, e);
    added.push(id);
  }
  const fresh = added.map((id) => map.get(id)!);
  if (fresh.length) setChanged(tx, t, s.name, fresh, true);
  bumpRefs(t, targetsOfElems(fresh, []), 1, undo);
}

function sameData(a: Elem['data'], b: Elem['data']): boolean {
  if (a === null || b === null) return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => v.n === b[i].n && v.s === b[i].s);
  }
  return a.v === b.v && a.chain === b.chain;
}

function locOfToks(toks: Tok[]): Loc {
  const t = toks[1] ?? toks[0];
  return { line: t.line, col: t.col, end: t.end };
}

function elementCmd(tx: Txn, rs: Ruleset, c: Cmd, undo: Array<() => void>): string {
  const fam = c.family ?? 'ip';
  const t = needTable(tx, rs, fam, c.table, c.at.table);
  const s = needSet(tx, rs, t, c.name, c.at.name);
  if (c.op === 'delete') {
    const interval = s.flags.includes('interval');
    const locs: Loc[] = [];
    const elems = parseElements(c.toks, s.keyTypes, s.dataType, interval, true, locs, tx.ifaces);
    const map = s.elems;
    const removed: Array<[string, (typeof elems)[number]]> = [];
    undo.push(() => {
      for (const [id, e] of removed) map.set(id, e);
    });
    for (const [k, e] of elems.entries()) {
      const id = elemId(e.key);
      const old = map.get(id);
      // nft checks an interval set's elements against its cache itself; a hashed set's are the kernel's to find.
      if (!old) throw new TxnError(locs[k] ?? locOfToks(c.toks), interval ? 'element does not exist' : NOENT);
      map.delete(id);
      removed.push([id, old]);
    }
    setChanged(
      tx,
      t,
      s.name,
      removed.map(([, e]) => e),
      false,
    );
    bumpRefs(
      t,
      targetsOfElems(
        removed.map(([, e]) => e),
        [],
      ),
      -1,
      undo,
    );
    return '';
  }
  addElements(tx, rs, t, s, c.toks, c.op === 'create', undo);
  return '';
}
