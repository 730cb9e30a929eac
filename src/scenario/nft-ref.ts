/**
 * Native nft rules as a scenario names them: `family`, `table`, `chain`, and the
 * rule by `handle` (as `nft -a list` shows it) or by `comment` (kept across a
 * reload that renumbers handles). Looked up when the step runs, in the rules of
 * that moment, as iptables rules are.
 */
import type { Lab } from '../lab/lab.js';
import type { Chain, Rule, Table } from '../nftables/ast.js';

export interface NftSelector {
  family: string;
  /** Both null: the base chain's policy (a trace step; native chains keep no policy counter). */
  handle: number | null;
  comment: string | null;
}

export const NFT_FAMILIES = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

/** `NODE FAMILY TABLE/CHAIN handle N`, `... comment "C"`, or `NODE FAMILY TABLE/CHAIN` (the policy). */
export function nftRefText(node: string, table: string, chain: string, s: NftSelector): string {
  const which = s.handle !== null ? ` handle ${s.handle}` : s.comment !== null ? ` comment ${JSON.stringify(s.comment)}` : '';
  return `${node} ${s.family} ${table}/${chain}${which}`;
}

export type NftLookup = { table: Table; chain: Chain; rule: Rule | null } | { error: string };

export function findNftRule(lab: Lab, node: string, table: string, chain: string, s: NftSelector): NftLookup {
  const rs = lab.node(node)?.nft?.rs;
  const t = rs?.tables.find((x) => x.family === s.family && x.name === table);
  if (!t) return { error: `${node} has no nftables table ${s.family} ${table}` };
  const c = t.chainByName.get(chain);
  if (!c) return { error: `table ${s.family} ${table} on ${node} has no chain ${chain}` };
  if (s.handle !== null) {
    const r = c.rules.find((x) => x.handle === s.handle);
    return r ? { table: t, chain: c, rule: r } : { error: `${s.family} ${table}/${chain} on ${node} has no rule with handle ${s.handle}` };
  }
  if (s.comment !== null) {
    const found = c.rules.filter((x) => x.comment === s.comment);
    if (found.length === 1) return { table: t, chain: c, rule: found[0] };
    return {
      error: found.length
        ? `${found.length} rules of ${s.family} ${table}/${chain} on ${node} have the comment ${JSON.stringify(s.comment)}; name one by handle`
        : `${s.family} ${table}/${chain} on ${node} has no rule with the comment ${JSON.stringify(s.comment)}`,
    };
  }
  return { table: t, chain: c, rule: null };
}

/** The rule's `counter` statement, as `nft list` prints it, and the rule's handle. */
export function nftCounter(
  lab: Lab,
  node: string,
  table: string,
  chain: string,
  s: NftSelector,
): { packets: number; bytes: number; handle: number } | { error: string } {
  if (s.handle === null && s.comment === null)
    return { error: 'native chains keep no policy counter: name a rule by `handle` or `comment`' };
  const f = findNftRule(lab, node, table, chain, s);
  if ('error' in f) return f;
  const c = f.rule!.stmts.find((x) => x.k === 'counter');
  if (!c || c.k !== 'counter')
    return { error: `the rule (handle ${f.rule!.handle}) has no counter statement; nft counts only rules with \`counter\`` };
  return { packets: c.packets, bytes: c.bytes, handle: f.rule!.handle };
}
