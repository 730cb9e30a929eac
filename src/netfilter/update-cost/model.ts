/**
 * What the kernel would pay for one rule change: a pure function of the change's
 * shape, from linear fits to medians measured on a real kernel
 * (`npm run calibrate`, fits.ts,
 * docs/update-cost.md). iptables-legacy fetches the whole table blob, edits it
 * and hands it back, so its cost follows the table; iptables-nft sends one
 * netlink batch, and its cost follows what it has to fetch first and what the
 * kernel checks on commit — the fitted coefficients say how much of each.
 */
import { COST_FITS } from './fits.js';
import { NFT_TXN_FIT } from './nft-fits.js';
import type { CostClass, CostFit, IptablesBackend } from './types.js';

export type { IptablesBackend };

export interface RuleChange {
  /** One `iptables` invocation, one `iptables-restore` run, or one native `nft` transaction (a command line or `nft -f`). */
  tool: 'iptables' | 'iptables-restore' | 'nft';
  /** For tool 'iptables': the command letter: A I D R N X F Z P E (the -D by rule-spec vs -D by number distinction is not needed). */
  op?: string;
  /** Rules in the table(s) the change touches, before the change (restore: summed over the tables it names). */
  tableRules: number;
  /** Rules in the chain the command names, before the change (0 when none / not applicable). */
  chainRules: number;
  /** For restore: how many rule lines (-A/-I/-D/-R...) and chain lines (:NAME) its input holds, and whether it was --noflush. For nft: its command lines. */
  ruleLines?: number;
  chainLines?: number;
  noflush?: boolean;
}

export interface UpdateCost {
  backend: IptablesBackend;
  /** Modelled wall time of the update on the kernel, integer microseconds (deterministic: same input, same number). */
  us: number;
  /** One short line on what dominates, e.g. "legacy rewrites the whole nat table (83,023 rules)". */
  why: string;
}

/**
 * Measured: A, I (rule add), D by spec and by number (rule delete), N, X (chain).
 * The rest go to the nearest measured class:
 * - R replaces a rule in place: iptables-nft finds it by position and commits a new rule, like -I.
 * - Z rewrites every counted rule of the chain (legacy: the whole blob), so it commits rules like -A.
 * - F removes the chain's rules without adding any: the delete class, sized by the chain.
 * - E and P change a chain, not its rules: the class of -N / -X.
 */
const CLASS_OF_OP: Readonly<Record<string, CostClass>> = {
  A: 'ruleAdd',
  I: 'ruleAdd',
  R: 'ruleAdd',
  Z: 'ruleAdd',
  D: 'ruleDelete',
  F: 'ruleDelete',
  N: 'chain',
  X: 'chain',
  E: 'chain',
  P: 'chain',
};

/** Every op letter `estimateUpdateCost` prices. */
export const PRICED_OPS: readonly string[] = Object.keys(CLASS_OF_OP);

function classOf(change: RuleChange): CostClass {
  if (change.tool === 'iptables-restore') return change.noflush ? 'restoreNoflush' : 'restoreFull';
  const cls = CLASS_OF_OP[change.op ?? ''];
  if (!cls) throw new RangeError(`no update cost for iptables op ${JSON.stringify(change.op)} (priced: ${PRICED_OPS.join(' ')})`);
  return cls;
}

/** 83023 → "83,023", without locale data (the output must not depend on the machine). */
function grouped(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const nonNeg = (n: number | undefined) => (n !== undefined && Number.isFinite(n) && n > 0 ? n : 0);

function explain(
  backend: IptablesBackend,
  cls: CostClass,
  f: CostFit,
  c: { table: number; chain: number; lines: number },
  parts: number[],
): string {
  const [fixed, table, chain, lines] = parts;
  const top = Math.max(fixed, table, chain, lines);
  const restore = cls === 'restoreFull' || cls === 'restoreNoflush';
  if (top === fixed || top === 0) return `${backend}: mostly process start-up and one kernel round trip (${grouped(f.a / 1000)} ms)`;
  if (top === lines) return `${backend} restore parses and loads ${grouped(c.lines)} rule lines`;
  if (top === chain) return `iptables-nft fetches the chain's ${grouped(c.chain)} rules to find its place`;
  if (backend === 'legacy')
    return restore
      ? `legacy restore reads and rewrites the whole table (${grouped(c.table)} rules)`
      : `legacy rewrites the whole table (${grouped(c.table)} rules)`;
  return cls === 'ruleAdd' || restore
    ? `nft commit grows with the table (${grouped(c.table)} rules): the kernel re-checks its jumps`
    : `iptables-nft's cache fetch grows with the table (${grouped(c.table)} rules)`;
}

/**
 * A native nft transaction: nft fetches the ruleset it builds on (rules already there),
 * sends the batch (command lines), and the kernel checks each new anonymous verdict map
 * against the whole transaction (command lines × the size it grows to): kube-proxy's full sync
 * grows faster than linearly, its one-Service partial sync is a tenth of a second at 10,000.
 */
function estimateNftTxn(change: RuleChange): UpdateCost {
  const f = NFT_TXN_FIT;
  const rules = nonNeg(change.tableRules);
  const lines = nonNeg(change.ruleLines);
  const after = rules + lines;
  const parts = [f.a, f.tableRules * rules, f.ruleLines * lines, (f.crossLines * lines * after) / 1000];
  const us = Math.round(parts.reduce((t, v) => t + v, 0));
  const [fixed, fetch, batch, cross] = parts;
  const top = Math.max(fixed, fetch, batch, cross);
  const why =
    top === fixed
      ? `nft: mostly process start-up and one kernel round trip (${grouped(f.a / 1000)} ms)`
      : top === fetch
        ? `nft fetches the ${grouped(rules)} rules already there before it sends the batch`
        : top === batch
          ? `nft sends ${grouped(lines)} commands in one batch`
          : `the kernel checks ${grouped(lines)} commands against a ${grouped(after)}-rule ruleset`;
  return { backend: 'nft', us, why };
}

export function estimateUpdateCost(backend: IptablesBackend, change: RuleChange): UpdateCost {
  if (change.tool === 'nft') return estimateNftTxn(change);
  const cls = classOf(change);
  const f = COST_FITS[backend][cls];
  const c = { table: nonNeg(change.tableRules), chain: nonNeg(change.chainRules), lines: nonNeg(change.ruleLines) };
  const parts = [f.a, f.tableRules * c.table, f.chainRules * c.chain, f.ruleLines * c.lines];
  const us = Math.round(parts.reduce((t, v) => t + v, 0));
  return { backend, us, why: explain(backend, cls, f, c, parts) };
}
