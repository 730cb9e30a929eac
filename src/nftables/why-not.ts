/**
 * "Why not?" for a native nft rule: which of its expressions fail for a packet.
 * Each match (and each verdict-map lookup) of the rule is tried on its own, by
 * compiling it alone into a throwaway base chain of a copy of its table (so sets
 * and maps are the table's own) and running that on the packet: the same
 * semantics as the packet path, without touching the ruleset or its counters.
 * Statements that only act (counter, log, nat, mark set, ...) never fail;
 * stateful ones (`numgen`, `limit`) are not re-run, so an explanation changes
 * nothing.
 */
import type { NfEnv, Skb } from '../netfilter/types.js';
import { formatIpv4 } from '../packet/ipv4.js';
import type { Chain, Expr, Rule, Ruleset, Stmt, Table } from './ast.js';
import { compileRuleset } from './eval.js';
import { printExpr, printStmt } from './print.js';

function usesNumgen(e: Expr): boolean {
  if (e.k === 'numgen') return true;
  if (e.k === 'concat') return e.parts.some(usesNumgen);
  if (e.k === 'binop') return usesNumgen(e.left);
  return false;
}

/** Whether a statement decides if the rule matches, and can be tried again without side effects. */
function isTest(s: Stmt): boolean {
  if (s.k === 'match') return !usesNumgen(s.left);
  if (s.k === 'vmap') return !usesNumgen(s.key);
  return false;
}

/** A verdict map "matches" when the key is in it; as a test it is the key's lookup. */
function asTest(s: Stmt): Stmt {
  return s.k === 'vmap' ? { k: 'match', left: s.key, op: null, right: s.map } : s;
}

/** Runs one statement alone on a copy of `t`: true when it lets the rule go on. */
function passes(t: Table, s: Stmt, skb: Skb, env: NfEnv): boolean {
  const chain: Chain = {
    name: '\0why-not',
    handle: 0,
    base: { type: 'filter', hook: 'prerouting', priority: 0, policy: 'drop', device: null },
    comment: null,
    rules: [{ handle: 0, stmts: [asTest(s), { k: 'verdict', verdict: { v: 'accept' } }], comment: null }],
    regSeq: 0,
  };
  const table: Table = { ...t, chains: [chain], chainByName: new Map([[chain.name, chain]]) };
  const rs: Ruleset = { tables: [table], nextTableHandle: 1 };
  const base = compileRuleset(rs).byHook.get('PREROUTING')?.[0];
  return base !== undefined && base.run(skb, env, null);
}

/** What the packet had where an expression looks, for the common selectors. */
function seen(e: Expr, skb: Skb): string | null {
  const p = skb.pkt;
  const l4 = p.tcp ?? p.udp;
  if (e.k === 'concat') {
    const parts = e.parts.map((x) => seen(x, skb));
    return parts.every((x) => x !== null) ? parts.join(' . ') : null;
  }
  if (e.k === 'binop') return seen(e.left, skb);
  if (e.k === 'payload') {
    const f = `${e.proto} ${e.field}`;
    if (f === 'ip saddr') return formatIpv4(p.src);
    if (f === 'ip daddr') return formatIpv4(p.dst);
    if (f === 'ip protocol') return String(p.proto);
    if (e.field === 'sport' || e.field === 'dport') {
      if ((e.proto === 'tcp' && !p.tcp) || (e.proto === 'udp' && !p.udp) || !l4)
        return `no ${e.proto === 'th' ? 'TCP/UDP' : e.proto.toUpperCase()} header`;
      return String(l4[e.field]);
    }
    if (e.proto === 'icmp') return p.icmp ? `icmp type ${p.icmp.type} code ${p.icmp.code}` : 'not ICMP';
    return null;
  }
  if (e.k === 'meta') {
    switch (e.key) {
      case 'l4proto':
        return p.tcp ? 'tcp' : p.udp ? 'udp' : p.icmp ? 'icmp' : String(p.proto);
      case 'iif':
      case 'iifname':
        return skb.inIf === null ? 'none' : `"${skb.inIf}"`;
      case 'oif':
      case 'oifname':
        return skb.outIf === null ? 'none' : `"${skb.outIf}"`;
      case 'mark':
        return `0x${(skb.mark >>> 0).toString(16).padStart(8, '0')}`;
      case 'skuid':
        return skb.socket ? String(skb.socket.uid) : 'no local socket';
      default:
        return null;
    }
  }
  if (e.k === 'ct') {
    if (e.key === 'state') return `${skb.ctState.toLowerCase()}${skb.ctReply ? ' (reply direction)' : ''}`;
    if (e.key === 'mark') return skb.ct ? `0x${(skb.ct.mark >>> 0).toString(16).padStart(8, '0')}` : 'untracked';
    return null;
  }
  return null;
}

function leftOf(s: Stmt): Expr | null {
  return s.k === 'match' ? s.left : s.k === 'vmap' ? s.key : null;
}

/**
 * The expressions of `rule` (in `table`) that fail for `skb`, each as `nft list` prints it
 * with what the packet had there (`tcp dport 9090 (was 80)`). Empty: the rule matches.
 */
export function failingExpressions(table: Table, rule: Rule, skb: Skb, env: NfEnv): string[] {
  const out: string[] = [];
  for (const s of rule.stmts) {
    if (!isTest(s) || passes(table, s, skb, env)) continue;
    const left = leftOf(s)!;
    const had = seen(left, skb);
    const text = printStmt(s, table.family);
    out.push(had === null ? text : `${text} (${printExpr(left)} was ${had})`);
  }
  return out;
}

/** A rule's final statement ends the packet's way (drop, reject): not a rule the packet "nearly" took to get through. */
export function dropsPacket(rule: Rule): boolean {
  return rule.stmts.some((s) => s.k === 'reject' || (s.k === 'verdict' && s.verdict.v === 'drop'));
}
