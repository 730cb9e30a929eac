/** Applies one parsed rule or chain command to a table transaction, with iptables' error answers. */
import type { TableTxn, OpError } from '../txn.js';
import type { ParsedCommand } from './parse.js';
import { checkChainName } from './parse.js';
import { ruleMatchText, ruleTargetText } from './save.js';
import type { Rule } from '../rule.js';
import type { Legality } from '../ext.js';
import type { Hook, TableName } from '../types.js';
import { BUILTIN_CHAINS } from '../rule.js';

// The saved text is cached on the rule: `-D` by rule text in a long chain would otherwise print every rule each time.
const specOf = (r: Rule) => (r.specCache ??= ruleMatchText(r) + ruleTargetText(r));
/** What the built form of a rule adds to its saved text (see MatchInstance.asBuilt), '' for most rules. */
function builtExtra(r: Rule): string {
  let s = '';
  r.matches.forEach((m, i) => {
    if (m.asBuilt !== undefined) s += `\0${i}${m.asBuilt}`;
  });
  return s;
}

/**
 * Index of the rule `-C`/`-D` find by text, or -1. iptables compares the rule as it built it with
 * the rules of its cache: as read from the kernel, or as a restore block built them.
 */
function findByText(txn: TableTxn, chain: string, r: Rule, restore: RestoreCache | undefined): number {
  const extra = builtExtra(r);
  if (!restore) return extra === '' ? txn.findRule(chain, specOf(r), specOf) : -1;
  const asCached = (x: Rule) => {
    const e = builtExtra(x);
    return e !== '' && restore.added(chain, x) ? specOf(x) + e : specOf(x);
  };
  return txn.findRule(chain, specOf(r) + extra, asCached);
}
const noChain: OpError = { kind: 'op', message: 'No chain/target/match by that name' };
const badRule: OpError = { kind: 'op', message: 'Bad rule (does a matching rule exist in that chain?)' };

/**
 * Why the kernel refuses a rule iptables built, as its errno text, or null: an inverted test that
 * every address passes (`! -s 0/0`, which iptables-nft turns into an expression the kernel rejects),
 * QUEUE (which nf_tables has no target for), or a match whose kernel object is missing.
 */
/** Whether some rule holds the shared object under another kind (see MatchInstance.sharedObject). */
function sharedConflict(obj: { key: string; kind: string }, rules: Iterable<Rule>): boolean {
  for (const r of rules) for (const m of r.matches) if (m.sharedObject?.key === obj.key && m.sharedObject.kind !== obj.kind) return true;
  return false;
}

function kernelRefuses(r: Rule, table: string, chain: string, rules: () => Iterable<Rule>, made: (name: string) => boolean): string | null {
  const h = r.header;
  if ((h.src !== null && h.srcInv && h.src.mask === 0) || (h.dst !== null && h.dstInv && h.dst.mask === 0)) return 'Invalid argument';
  if (r.target.kind === 'verdict' && r.target.verdict === 'QUEUE') return 'No such file or directory';
  // The kernel checks each match in order, its table, hook (in a built-in chain) and protocol first:
  // a match it does not allow there is EINVAL before a later one's missing object.
  const hook = (BUILTIN_CHAINS[table as TableName] as readonly string[]).includes(chain) ? (chain as Hook) : null;
  const wrongPlace = (l: Legality | undefined) =>
    l !== undefined &&
    ((l.tables !== undefined && !l.tables.includes(table as TableName)) ||
      (l.hooks !== undefined && hook !== null && !l.hooks.includes(hook)) ||
      (l.protos !== undefined && (h.protoInv || !l.protos.includes(h.proto))));
  for (let i = 0; i < r.matches.length; i++) {
    const m = r.matches[i];
    if (wrongPlace(m.legal)) return 'Invalid argument';
    if (m.kernelError !== undefined) return m.kernelError;
    // The object exists once an earlier match of the same rule made it, too.
    const obj = m.sharedObject;
    if (obj && (sharedConflict(obj, rules()) || sharedConflict(obj, [{ ...r, matches: r.matches.slice(0, i) }]))) return 'Invalid argument';
  }
  // A jump to a built-in chain: nf_tables has no jump to a base chain, and none to one iptables-nft has not made yet.
  const t = r.target;
  if ((t.kind === 'jump' || t.kind === 'goto') && (BUILTIN_CHAINS[table as TableName] as readonly string[]).includes(t.chainName))
    return made(t.chainName) ? 'Operation not supported' : 'No such file or directory';
  return t.kind === 'ext' ? (t.ext.kernelError ?? null) : null;
}

function refused(what: string, chain: string, r: Rule, txn: TableTxn, elsewhere: ApplyContext['elsewhere']): { error: OpError } | null {
  const table = txn.name;
  // Every rule of the namespace: this table as the transaction sees it, then the others.
  function* rules(): Iterable<Rule> {
    for (const c of txn.chains()) yield* c.rules;
    if (elsewhere) yield* elsewhere();
  }
  // The rule's own chain is made by the same command, before the rule.
  const made = (name: string) => name === chain || txn.chain(name)?.registered === true;
  const errno = kernelRefuses(r, table, chain, rules, made);
  return errno === null ? null : { error: { kind: 'kernel', message: `${what} failed (${errno}): rule in chain ${chain}` } };
}

const incompatible: OpError = { kind: 'op', message: 'Incompatible with this kernel' };

/**
 * `-Z CHAIN N` on a chain the kernel does not have. iptables-nft forgets to set errno there and
 * reports whatever the last chain lookup of its cache fetch left: it asks the kernel for the
 * table's built-in chains and CHAIN, sorted by name (strcmp), one at a time. When the last of
 * those exists (a built-in chain already made) errno is 0, "Incompatible with this kernel";
 * otherwise ENOENT, "Bad rule".
 */
function zeroMissing(txn: TableTxn, chain: string): OpError {
  let last = chain;
  for (const c of txn.chains()) if (c.builtin && c.name > last) last = c.name;
  return last !== chain && txn.chain(last)?.registered === true ? incompatible : badRule;
}

/**
 * What iptables-restore's cache knows of a built-in chain that iptables-nft does not update: the
 * policy it fetched (a chain the block made keeps ACCEPT there, whatever `-P` said). Absent for
 * the iptables command, whose cache is the kernel's state.
 */
export interface RestoreCache {
  policyOf(chain: string): 'ACCEPT' | 'DROP';
  /** Whether the block added rule r of the chain: the cache holds it as built, not as the kernel stores it. */
  added(chain: string, r: Rule): boolean;
}

/**
 * `-X` without a chain also deletes each built-in chain its cache shows empty with policy ACCEPT.
 * It drops every built-in chain from the cache even when it keeps it: later lines of a restore
 * block then find no such chain (a rule, policy or flush naming it makes it again).
 */
function deleteAllChains(txn: TableTxn, restore: RestoreCache | undefined): { error?: OpError } {
  const e = txn.deleteAllUserChains();
  if (e) return { error: e };
  for (const c of [...txn.chains()]) {
    if (!c.builtin || !c.registered) continue;
    const policy = restore ? restore.policyOf(c.name) : c.policy;
    const deleted = policy === 'ACCEPT' && c.rules.length === 0;
    if (!deleted && !restore) continue;
    txn.unregisterBuiltin(c.name);
    // A deleted base chain takes its policy with it; the one made again starts at ACCEPT.
    if (deleted) txn.chain(c.name)!.policy = 'ACCEPT';
  }
  return {};
}

/** What a command needs beyond its table: iptables-restore's cache, and the rules of the other tables. */
export interface ApplyContext {
  restore?: RestoreCache;
  elsewhere?: () => Iterable<Rule>;
}

export function applyCommand(txn: TableTxn, cmd: ParsedCommand, ctx: ApplyContext = {}): { error?: OpError } {
  const restore = ctx.restore;
  const chain = cmd.chain;
  const err = (e: OpError | null) => (e ? { error: e } : {});
  // iptables-nft makes a built-in chain in the kernel only when a rule, a policy or a flush names it;
  // until then the commands that look a chain up do not find it.
  const c0 = chain === null ? undefined : txn.chain(chain);
  const absent = c0 === undefined || (c0.builtin && !c0.registered);
  switch (cmd.op) {
    case 'A':
      if (c0) {
        const no = refused('RULE_APPEND', chain!, cmd.rule!, txn, ctx.elsewhere);
        if (no) return no;
      }
      return err(txn.addRule(chain!, cmd.rule!, 'end', 'RULE_APPEND'));
    case 'I': {
      const c = txn.chain(chain!);
      if (!c) return { error: noChain };
      const idx = (cmd.num ?? 1) - 1;
      if (idx < 0 || idx > c.rules.length) return { error: { kind: 'op', message: 'Index of insertion too big' } };
      // iptables-nft inserts before rule N; only at N = count + 1 (no rule N) it appends after rule
      // N-1, and names the operation so.
      const what = idx > 0 && idx === c.rules.length ? 'RULE_APPEND' : 'RULE_INSERT';
      const no = refused(what, chain!, cmd.rule!, txn, ctx.elsewhere);
      if (no) return no;
      return err(txn.addRule(chain!, cmd.rule!, idx, what));
    }
    case 'R': {
      const c = txn.chain(chain!);
      if (!c || absent) return { error: noChain };
      const idx = (cmd.num ?? 0) - 1;
      if (idx < 0 || idx >= c.rules.length) return { error: { kind: 'op', message: 'Index of replacement too big' } };
      const no = refused('RULE_REPLACE', chain!, cmd.rule!, txn, ctx.elsewhere);
      if (no) return no;
      return err(txn.addRule(chain!, cmd.rule!, idx, 'RULE_REPLACE'));
    }
    case 'D': {
      if (cmd.num === null && absent) return { error: badRule };
      if (absent) return { error: noChain };
      if (cmd.num !== null) return err(txn.deleteRuleAt(chain!, cmd.num - 1));
      const idx = findByText(txn, chain!, cmd.rule!, restore);
      return idx < 0 ? { error: badRule } : err(txn.deleteRuleAt(chain!, idx));
    }
    case 'C': {
      if (absent) return { error: badRule };
      return findByText(txn, chain!, cmd.rule!, restore) < 0 ? { error: badRule } : {};
    }
    case 'N': {
      const bad = checkChainName(chain!);
      if (bad) return { error: { kind: 'parse', message: bad } };
      return err(txn.newChain(chain!));
    }
    case 'X':
      if (c0?.builtin && absent) return { error: noChain };
      if (c0?.builtin) {
        // iptables-nft deletes a built-in chain's base chain when it is empty and accepts.
        if (c0.rules.length > 0)
          return { error: { kind: 'kernel', message: `CHAIN_DEL failed (Device or resource busy): chain ${chain}` } };
        if (c0.policy !== 'ACCEPT') return { error: { kind: 'op', message: 'Directory not empty' } };
        txn.unregisterBuiltin(chain!);
        return {};
      }
      return chain === null ? deleteAllChains(txn, restore) : err(txn.deleteChain(chain));
    case 'F':
      // Made again after a restore block's -X dropped it from the cache: the flush reaches the rules it kept.
      if (c0?.builtin && absent) return err(txn.registerBuiltin(chain!) ?? txn.flush(chain));
      return err(txn.flush(chain));
    case 'Z':
      if (chain !== null && absent) return { error: cmd.num === null ? noChain : zeroMissing(txn, chain) };
      // A rule number past the end zeroes nothing and is no error.
      if (c0 && cmd.num !== null && cmd.num > c0.rules.length) return {};
      return err(txn.zero(chain, cmd.num));
    case 'P':
      if (cmd.arg !== 'ACCEPT' && cmd.arg !== 'DROP') return { error: { kind: 'op', message: 'Bad policy name' } };
      return err(txn.setPolicy(chain!, cmd.arg, null));
    case 'E': {
      if (txn.chain(cmd.arg!)) return { error: { kind: 'op', message: 'File exists' } };
      // The new name is not checked: iptables-nft renames to `ACCEPT` or `has space` as asked.
      if (absent || c0.builtin) return { error: noChain };
      return err(txn.rename(chain!, cmd.arg!));
    }
    default:
      return {};
  }
}
