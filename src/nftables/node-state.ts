/**
 * A namespace's nftables: its ruleset and the compiled form the packet path
 * runs. Kept beside the node (keyed by it) so the node layer needs no field of
 * its own; the packet path asks `nftOf(node)`.
 */
import { emptyRuleset, type Ruleset } from './ast.js';
import { compileRuleset, forget, type CompiledRuleset } from './eval.js';
import { formatNftError, runNft } from './txn.js';
import type { NftChanges } from './txn/cache.js';

export class NftNode {
  readonly rs: Ruleset = emptyRuleset();
  version = 0;
  private compiled: CompiledRuleset | null = null;
  /** The last program, its stale parts forgotten, waiting to be brought up to date on the next packet. */
  private stale: CompiledRuleset | null = null;

  /** `ifaces`: the namespace's interface names, which nft asks when it reads `iif|oif NAME`. */
  constructor(
    readonly nowMs: () => number,
    readonly ifaces?: () => Iterable<string>,
  ) {}

  /** The options every transaction on this namespace runs with. */
  txnOpts(): { ifaces?: ReadonlySet<string> } {
    return this.ifaces ? { ifaces: new Set(this.ifaces()) } : {};
  }

  /** Without `changes` (a change made outside a transaction), everything is compiled again. */
  changed(changes?: NftChanges): void {
    this.version++;
    const prev = this.compiled ?? this.stale;
    this.compiled = null;
    this.stale = null;
    if (!changes || !prev) return;
    if (forget(prev, changes)) this.compiled = prev;
    else this.stale = prev;
  }

  /** The base chains by hook; after a change, only what it touched is compiled again. */
  get program(): CompiledRuleset {
    if (!this.compiled) {
      this.compiled = compileRuleset(this.rs, this.stale ?? undefined);
      this.stale = null;
    }
    return this.compiled;
  }

  /** Rules in every table: what an nft transaction's cost grows with (src/netfilter/update-cost/). */
  get ruleCount(): number {
    let n = 0;
    for (const t of this.rs.tables) for (const c of t.chains) n += c.rules.length;
    return n;
  }

  /** True when the ruleset has any table at all (the packet path skips nft entirely otherwise). */
  get active(): boolean {
    return this.rs.tables.length > 0;
  }
}

export interface NftSource {
  text: string;
  file: string;
  /** Line N of `text` is line N + lineOffset of `file`; columns shift by colOffset (a YAML block's indentation). */
  lineOffset: number;
  colOffset?: number;
}

/** Loads a topology's `nftables:` text as one transaction; errors come back at their place in `src.file`. */
export function loadNftables(state: NftNode, src: NftSource): Array<{ file: string; line: number; col: number; message: string }> {
  const r = runNft(state.rs, src.text, { ...state.txnOpts(), onCommit: (c) => state.changed(c) });
  if (r.ok) return [];
  return r.errors.map((e) => {
    const line = e.line + src.lineOffset;
    const col = e.col + (src.colOffset ?? 0);
    const text = formatNftError(src.file, { ...e, line, col, end: e.end + (src.colOffset ?? 0) });
    return { file: src.file, line, col, message: `nftables: ${text.slice(text.indexOf('Error: '))}` };
  });
}
