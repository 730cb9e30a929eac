/**
 * `iptables -t TABLE -L -n [-v]` of a live table, formatted a line at a time
 * on demand. A view that shows 40 rows of a 40,000-rule table formats those 40
 * rows, with their counters as they are now; `refresh()` re-indexes the chains
 * only when rules or chains changed. The lines are exactly those of
 * `runIptables(rs, ['-t', T, '-L', ...])` without the final newline.
 */
import type { TableName } from '../types.js';
import { newTable, type Chain, type Rule, type Ruleset, type Table } from '../rule.js';
import { chainHeader, listRow, referenceCounts, type ListOptions } from './command.js';
import { orderedChains } from './save.js';

export interface TableListing {
  readonly table: TableName;
  /** Lines in the listing. */
  readonly length: number;
  /** Line i, formatted now (live counters). */
  line(i: number): string;
  /** Re-reads the table's structure if it changed; true when it did. */
  refresh(): boolean;
  /** Whether the table holds a rule or a non-ACCEPT policy (what makes `iptables-save -t T` worth reading). */
  inUse(): boolean;
}

class Listing implements TableListing {
  private source: Table | null = null;
  private seen: Array<{ chain: Chain; rules: Rule[] }> = [];
  private chains: Chain[] = [];
  /** First line of each chain's block; a blank line separates blocks. */
  private starts: number[] = [];
  private refs: ReadonlyMap<string, number> = new Map();
  private empty: Table;
  length = 0;

  constructor(
    private readonly rs: () => Ruleset,
    readonly table: TableName,
    private readonly opts: ListOptions,
  ) {
    this.empty = newTable(table);
    this.refresh();
  }

  private current(): Table {
    return this.rs().table(this.table) ?? this.empty;
  }

  /** Chains are changed in place by a commit (a new rules array) or replaced with the table; either shows here. */
  private changed(t: Table): boolean {
    if (t !== this.source || t.chains.size !== this.seen.length) return true;
    let i = 0;
    for (const c of t.chains.values()) {
      const s = this.seen[i++];
      if (s.chain !== c || s.rules !== c.rules) return true;
    }
    return false;
  }

  refresh(): boolean {
    const t = this.current();
    if (this.source !== null && !this.changed(t)) return false;
    this.source = t;
    this.seen = [...t.chains.values()].map((chain) => ({ chain, rules: chain.rules }));
    this.chains = orderedChains(t);
    this.refs = referenceCounts(t);
    this.starts = [];
    let n = 0;
    for (const c of this.chains) {
      this.starts.push(n);
      n += 2 + c.rules.length + 1;
    }
    this.length = Math.max(0, n - 1);
    return true;
  }

  line(i: number): string {
    if (i < 0 || i >= this.length) return '';
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    const c = this.chains[lo];
    const k = i - this.starts[lo];
    if (k < 2) return chainHeader(c, this.refs, this.opts)[k];
    const r = c.rules[k - 2];
    return r ? listRow(r, k - 1, this.opts) : '';
  }

  inUse(): boolean {
    for (const c of this.current().chains.values()) if (c.rules.length || (c.builtin && c.policy !== 'ACCEPT')) return true;
    return false;
  }
}

/** `rs` is asked for the ruleset at every refresh, so a view outlives a lab rebuilt under it (a session reset). */
export function tableListing(
  rs: () => Ruleset,
  table: TableName,
  opts: ListOptions = { verbose: true, exact: false, lineNumbers: false },
): TableListing {
  return new Listing(rs, table, opts);
}
