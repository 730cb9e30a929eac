/**
 * Runs cell after cell on one lab: built (and its `after` commands run) once,
 * then put back before every cell but the first (snapshot.ts), so a cell costs
 * its probe, not the half second 40,000 rules take to load. The answer is the
 * same as a fresh lab per cell (cell.ts's runCell), which matrix-runner.test.ts
 * checks on every bundled lab.
 */
import type { Lab } from '../lab/lab.js';
import type { Ruleset } from '../netfilter/rule.js';
import type { NftNode } from '../nftables/node-state.js';
import type { Topology } from '../topology/model.js';
import { cellLab, probeCell, type CellResult, type CellSpec, type LabCommand } from './cell.js';
import { LabSnapshot } from './snapshot.js';

/** iptables matches whose compiled closure keeps state of its own between packets (a bucket, a counter, a table). */
const STATEFUL_MATCHES = new Set(['limit', 'hashlimit', 'recent', 'quota']);

function statefulIptables(rs: Ruleset): string | null {
  for (const t of rs.tables.values())
    for (const c of t.chains.values())
      for (const r of c.rules)
        for (const m of r.matches) {
          if (STATEFUL_MATCHES.has(m.name)) return `-m ${m.name}`;
          // Random mode draws from the lab's RNG, which is restored; nth mode counts packets in its closure.
          if (m.name === 'statistic' && m.save().includes('nth')) return '-m statistic --mode nth';
        }
  return null;
}

/** nft statements and expressions that keep state between packets outside the ruleset's plain data. */
function statefulNft(x: unknown): string | null {
  if (Array.isArray(x)) {
    for (const i of x) {
      const s = statefulNft(i);
      if (s) return s;
    }
    return null;
  }
  if (typeof x !== 'object' || x === null || x instanceof Map) return null;
  const o = x as Record<string, unknown>;
  if (o.k === 'limit') return 'nft limit';
  if (o.k === 'setupd') return `nft ${String(o.op)} @${String(o.set)}`;
  if (o.k === 'numgen' && o.mode !== 'random') return 'nft numgen inc';
  for (const v of Object.values(o)) {
    const s = statefulNft(v);
    if (s) return s;
  }
  return null;
}

function nftRules(nft: NftNode): unknown[] {
  return nft.rs.tables.flatMap((t) => t.chains.map((c) => c.rules.map((r) => r.stmts)));
}

export class CellRunner {
  /** The lab as every cell starts from: read it (its rules, for `--to auto`) before the first cell, never change it. */
  readonly base: Lab;
  private lab: Lab | null = null;
  private snapshot: LabSnapshot | null = null;
  private used = false;
  /** Why cells get a fresh lab each (a stateful rule), or null when one lab serves them all. */
  readonly freshReason: string | null;

  constructor(
    private readonly topo: Topology,
    private readonly seed: number,
    private readonly after: readonly LabCommand[] = [],
  ) {
    const lab = cellLab(topo, seed, after);
    this.base = lab;
    const shared = new Set<object>([topo]);
    // nft counters live in the shared ruleset and show in a step's rule text: they are put back like the lab's own state.
    const counters: object[] = [];
    let reason: string | null = null;
    for (const name of lab.nodes.keys()) {
      const mods = lab.modulesOf(name)!;
      reason ??= statefulIptables(mods.ruleset) ?? statefulNft(nftRules(mods.nft));
      // Rules and routes are what cells share; traffic only reads them (routing keeps no cache or PMTU state).
      shared.add(mods.ruleset);
      shared.add(mods.nft);
      shared.add(mods.lookups);
      shared.add(mods.routing);
      for (const t of mods.nft.rs.tables)
        for (const c of t.chains) for (const r of c.rules) for (const st of r.stmts) if (st.k === 'counter') counters.push(st);
    }
    this.freshReason = reason ? `${reason} keeps state between packets` : null;
    if (!reason) {
      this.lab = lab;
      this.snapshot = new LabSnapshot([lab, ...counters], shared);
    }
  }

  /** One cell; `withTrace` adds its first packet's trace (for --html). */
  run(cell: CellSpec, withTrace = false): CellResult {
    if (!this.lab || !this.snapshot) return probeCell(cellLab(this.topo, this.seed, this.after), cell, withTrace);
    if (this.used) this.snapshot.restore();
    this.used = true;
    return probeCell(this.lab, cell, withTrace);
  }
}
