/** What nft and the kernel check of a chain or a rule before they take it, beyond that the names exist. */
import type { Chain, Family, Loc, NatSpec, NftHook, Ruleset, Stmt, Table } from '../ast.js';
import type { Cmd, KernelChecks } from '../parse/cmd.js';
import { exprTypes } from '../parse/values.js';
import { invalid, NOENT, type Txn, TxnError } from './cache.js';
import { mapOfStmt } from './refs.js';
import { needChain, needSet } from './suggest.js';
import { describe } from '../types.js';

/**
 * What the kernel lets `add chain` change on a chain that exists (Linux 6.18): a base chain's policy,
 * nothing of its hook. A regular chain takes no policy (refused where `policy` stands) and cannot
 * become a base chain, nor a base chain change its type (refused at the chain's name); a base chain
 * on another hook or priority is refused at the whole command (a block's chain name).
 */
export function checkChainUpdate(existing: Chain, c: Cmd): void {
  const spec = c.chainSpec;
  if (!spec) return;
  if (!existing.base) {
    if (spec.policy && spec.policyLoc) throw new TxnError(spec.policyLoc, 'Could not process rule: Operation not supported');
    if (spec.base) throw new TxnError(c.at.name, 'Could not process rule: File exists');
    return;
  }
  const b = spec.base;
  if (!b) return;
  if (b.type !== existing.base.type) throw new TxnError(c.at.name, 'Could not process rule: File exists');
  if (b.hook !== existing.base.hook || b.priority !== existing.base.priority)
    throw new TxnError(c.at.end !== c.loc ? c.at.whole : c.at.name, 'Could not process rule: Operation not supported');
}

const INET_HOOKS: readonly NftHook[] = ['prerouting', 'input', 'forward', 'output', 'postrouting'];

/** The hooks nft 1.0.6 lets each family name; it refuses others itself, at the hook. */
export const FAMILY_HOOKS: Record<Family, readonly NftHook[]> = {
  ip: INET_HOOKS,
  ip6: INET_HOOKS,
  inet: [...INET_HOOKS, 'ingress'],
  arp: ['input', 'forward', 'output'],
  bridge: INET_HOOKS,
  netdev: ['ingress', 'egress'],
};

/** The hooks the kernel (6.18) registers each chain type on; it refuses others at the whole command. */
const TYPE_HOOKS: Record<string, readonly NftHook[]> = { nat: ['prerouting', 'input', 'output', 'postrouting'], route: ['output'] };

/**
 * A new base chain as nft and the kernel check it: the family's hooks (nft), the chain type in the
 * family (the kernel has nat and route types for ip, ip6 and inet only, and refuses others at the
 * type's name; in a table block nft then finds the chain itself in its cache and offers it as the
 * suggestion), and the type's hooks (the kernel, at the whole command or a block chain's name).
 */
export function checkNewBaseChain(fam: Family, table: string, c: Cmd, b: NonNullable<NonNullable<Cmd['chainSpec']>['base']>): void {
  if (!FAMILY_HOOKS[fam].includes(b.hook)) throw new TxnError(b.hookLoc, `The ${fam} family does not support this hook`);
  const block = c.at.end === c.loc;
  if (b.type !== 'filter' && fam !== 'ip' && fam !== 'ip6' && fam !== 'inet')
    throw new TxnError(
      b.typeLoc,
      block ? `No such file or directory; did you mean chain ‘${c.name}’ in table ${fam} ‘${table}’?` : NOENT,
      true,
    );
  const hooks = TYPE_HOOKS[b.type];
  if ((hooks && !hooks.includes(b.hook)) || (fam === 'arp' && b.hook === 'forward'))
    throw new TxnError(block ? c.at.name : c.at.whole, 'Could not process rule: Operation not supported');
}

/** The hooks of a nat chain the kernel (6.18) takes each NAT statement on. */
const NAT_HOOKS: Record<NatSpec['type'], readonly NftHook[]> = {
  masquerade: ['postrouting'],
  snat: ['postrouting', 'input'],
  dnat: ['prerouting', 'output'],
  redirect: ['prerouting', 'output'],
};

const INBOUND: readonly NftHook[] = ['prerouting', 'input', 'forward'];

const OUTBOUND: readonly NftHook[] = ['output', 'postrouting', 'forward'];

/**
 * What the kernel (6.18) refuses of a rule for its chain, or outright: a `fib` that looks up an
 * output interface, or the input interface, only where there is an input interface (and `oif` as
 * a key only where there is an output one); a `numgen` modulo 0. Regular chains are checked when a
 * base chain jumps to them, which nflab does not model.
 */
export function kernelChecks(k: KernelChecks, ch: Chain, rule: Loc): void {
  const hook = ch.base?.hook;
  if (hook)
    for (const f of k.fib) {
      const hooks = f.result !== 'type' || f.flags.includes('iif') ? INBOUND : f.flags.includes('oif') ? OUTBOUND : null;
      // The kernel's validation names no expression: nft points at the whole rule.
      if (hooks && !hooks.includes(hook)) throw invalid(rule);
    }
  if (k.reject && hook === 'postrouting') throw invalid(rule);
  if (hook && k.nat) for (const n of k.nat) if (ch.base!.type !== 'nat' || !NAT_HOOKS[n].includes(hook)) throw invalid(rule);
  if (k.refusal) throw new TxnError(k.refusal.loc, k.refusal.message);
}

/** A rule's place: a command's whole text, or a block rule's words. */
export function ruleSpan(c: Cmd): Loc {
  if (c.at.end !== c.loc) return c.at.whole;
  const first = c.toks[0];
  const last = c.toks.length > 1 ? c.toks[c.toks.length - 2] : first;
  return { line: first.line, col: first.col, end: last.line === first.line ? last.end : first.end };
}

/** The kernel jumps only to regular chains. */
function notBase(ch: Chain, loc: Loc): void {
  if (ch.base) throw new TxnError(loc, 'Could not process rule: Operation not supported');
}

/**
 * A rule's references, in statement order: its named sets and maps, nft's to find; its jump
 * targets, the kernel's. The kernel's first refusal is returned rather than thrown, as nft goes on
 * evaluating (and placing) the rule before the kernel sees it.
 */
export function checkRefs(tx: Txn, rs: Ruleset, t: Table, stmts: Stmt[], loc: Loc, undo: Array<() => void>): TxnError | null {
  let refused: TxnError | null = null;
  const kernel = (f: () => void) => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof TxnError) || !e.kernel) throw e;
      refused ??= e;
    }
  };
  for (const s of stmts) {
    const m = mapOfStmt(s);
    if (m && m.map.k === 'ref') {
      const set = needSet(tx, rs, t, m.map.name, m.map.loc ?? loc);
      if (set.dataType === null || set.dataType === 'verdict') throw new TxnError(m.map.loc ?? loc, 'Expression is not a map');
      if (set.dataType !== m.type)
        throw new TxnError(
          m.map.loc ?? loc,
          `datatype mismatch: expected ${describe(m.type)}, expression has type ${describe(set.dataType)}`,
        );
    }
    if (s.k === 'verdict' && s.verdict.chain !== undefined) {
      const where = s.verdict.loc ?? loc;
      const target = s.verdict.chain;
      kernel(() => notBase(needChain(rs, t, target, where, false, false), where));
    }
    const rhs = s.k === 'match' ? s.right : s.k === 'vmap' ? s.map : null;
    if (rhs && rhs.k === 'ref') {
      const set = needSet(tx, rs, t, rhs.name, rhs.loc ?? loc);
      const want = exprTypes(s.k === 'match' ? s.left : (s as Extract<Stmt, { k: 'vmap' }>).key);
      if (want.join('.') !== set.keyTypes.join('.'))
        throw new TxnError(
          rhs.loc ?? loc,
          `datatype mismatch, expected ${want.map(describe).join(' . ')}, expression has type ${set.keyTypes.map(describe).join(' . ')}`,
        );
      if (s.k === 'vmap' && set.dataType !== 'verdict') throw new TxnError(loc, `Expression is not a verdict map`);
    }
    if (rhs && rhs.k === 'set')
      for (const e of rhs.set.elems) {
        const target = e.data && !Array.isArray(e.data) ? e.data.chain : undefined;
        if (target !== undefined) kernel(() => notBase(needChain(rs, t, target, loc, false, false), loc));
      }
    if (s.k === 'setupd') {
      const set = needSet(tx, rs, t, s.set, loc);
      // nft gives a set that rules update its default size when it has none.
      if (set.size === null) {
        set.size = 65535;
        undo.push(() => (set.size = null));
      }
    }
  }
  return refused;
}
