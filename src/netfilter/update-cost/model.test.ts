import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { CalibrationPoint, NftCalibrationPoint } from './types.js';
import { NFT_TXN_FIT } from './nft-fits.js';
import { estimateUpdateCost, PRICED_OPS, type IptablesBackend, type RuleChange } from './model.js';

/** What `npm run calibrate` measured, and fitted into fits.ts. */
const CALIBRATION_POINTS = (
  JSON.parse(readFileSync(new URL('../../../test/fixtures/update-cost/calibration.json', import.meta.url), 'utf8')) as {
    points: CalibrationPoint[];
  }
).points;

const OPS_OF_POINT: Record<string, string> = {
  'append-small': 'A',
  'append-services': 'A',
  'insert-small': 'I',
  'insert-services': 'I',
  'delete-spec-small': 'D',
  'delete-num-small': 'D',
  'delete-spec-services': 'D',
  'delete-num-services': 'D',
  'new-chain': 'N',
  'delete-chain': 'X',
};

/** The change a measured point timed, as the lab would describe it. */
function changeOf(p: CalibrationPoint): RuleChange {
  if (p.op.startsWith('restore-'))
    return {
      tool: 'iptables-restore',
      tableRules: p.tableRules,
      chainRules: 0,
      ruleLines: p.ruleLines,
      chainLines: p.chainLines,
      noflush: p.noflush,
    };
  return { tool: 'iptables', op: OPS_OF_POINT[p.op], tableRules: p.tableRules, chainRules: p.chainRules };
}

const fitted = CALIBRATION_POINTS.filter((p) => p.cls !== null);
const sizes = [...new Set(CALIBRATION_POINTS.map((p) => p.services))].sort((a, b) => a - b);
const largest = sizes[sizes.length - 1];
const cost = (b: IptablesBackend, c: RuleChange) => estimateUpdateCost(b, c).us;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

describe('update cost model against its calibration', () => {
  it('has points for both backends, every op, and table sizes up to tens of thousands of rules', () => {
    expect(new Set(fitted.map((p) => p.backend))).toEqual(new Set(['legacy', 'nft']));
    for (const op of [...Object.keys(OPS_OF_POINT), 'restore-load', 'restore-reload', 'restore-noflush-service'])
      expect(
        fitted.some((p) => p.op === op),
        op,
      ).toBe(true);
    expect(Math.max(...fitted.map((p) => p.tableRules))).toBeGreaterThan(40_000);
  });

  it('predicts every point it was fitted to within the noise of a shared machine', () => {
    for (const p of fitted) {
      const us = cost(p.backend, changeOf(p));
      // Medians of 3–7 runs move by tens of percent under load; a model off by 2× would fail here.
      const tol = Math.max(0.5 * p.medianUs, 15_000);
      expect(
        Math.abs(us - p.medianUs),
        `${p.backend} ${p.op} @${p.services}: model ${us} µs, measured ${p.medianUs} µs`,
      ).toBeLessThanOrEqual(tol);
    }
  });

  it('legacy: a one-Service update at 5,000 Services costs what the kernel measured', () => {
    const at = fitted.filter((p) => p.backend === 'legacy' && p.services === 5000 && p.op !== 'restore-load' && p.op !== 'restore-reload');
    expect(at.length).toBeGreaterThan(0);
    const svc = at.find((p) => p.op === 'restore-noflush-service')!;
    const us = cost('legacy', changeOf(svc));
    expect(Math.abs(us - svc.medianUs) / svc.medianUs).toBeLessThan(0.25);
    // Every single-rule change there rewrites the same table: the model prices them all alike, near their median.
    const single = median(at.filter((p) => p.op !== 'restore-noflush-service').map((p) => p.medianUs));
    expect(
      Math.abs(cost('legacy', { tool: 'iptables', op: 'A', tableRules: svc.tableRules, chainRules: 3 }) - single) / single,
    ).toBeLessThan(0.25);
  });

  it('legacy pays for the table, nft for much less: the gap the data show at the largest table', () => {
    const small = (b: IptablesBackend, s: number) =>
      median(fitted.filter((p) => p.backend === b && p.services === s && p.op.endsWith('-small')).map((p) => p.medianUs));
    const T = Math.max(...fitted.filter((p) => p.services === largest && p.op === 'append-small').map((p) => p.tableRules));
    const change: RuleChange = { tool: 'iptables', op: 'A', tableRules: T, chainRules: 3 };
    const measuredRatio = small('legacy', largest) / small('nft', largest);
    const modelRatio = cost('legacy', change) / cost('nft', change);
    expect(measuredRatio).toBeGreaterThan(1);
    expect(modelRatio / measuredRatio).toBeGreaterThan(0.6);
    expect(modelRatio / measuredRatio).toBeLessThan(1.6);
  });

  it('nft: a one-rule change grows with the table only as much as measured', () => {
    // The data decide: the growth of a small-chain change from the empty table to the largest one.
    const growth = (b: IptablesBackend, op: string, letter: string) => {
      const pts = fitted.filter((p) => p.backend === b && p.op === op);
      const lo = pts.find((p) => p.services === sizes[0])!;
      const hi = pts.find((p) => p.services === largest)!;
      return {
        measured: hi.medianUs - lo.medianUs,
        model:
          cost(b, { tool: 'iptables', op: letter, tableRules: hi.tableRules, chainRules: hi.chainRules }) -
          cost(b, { tool: 'iptables', op: letter, tableRules: lo.tableRules, chainRules: lo.chainRules }),
      };
    };
    for (const [op, letter] of [
      ['append-small', 'A'],
      ['delete-spec-small', 'D'],
      ['new-chain', 'N'],
    ] as const) {
      const g = growth('nft', op, letter);
      expect(Math.abs(g.model - g.measured), `${op}: model +${g.model} µs, measured +${g.measured} µs`).toBeLessThanOrEqual(
        Math.max(0.5 * Math.abs(g.measured), 20_000),
      );
      expect(g.model).toBeLessThan(growth('legacy', op, letter).model);
    }
  });
});

describe('update cost model properties', () => {
  const backends: IptablesBackend[] = ['legacy', 'nft'];
  const changes = (tableRules: number): RuleChange[] => [
    ...PRICED_OPS.map((op): RuleChange => ({ tool: 'iptables', op, tableRules, chainRules: 12 })),
    { tool: 'iptables-restore', tableRules, chainRules: 0, ruleLines: 8, chainLines: 3, noflush: true },
    { tool: 'iptables-restore', tableRules, chainRules: 0, ruleLines: 8, chainLines: 3, noflush: false },
  ];

  it('prices every op letter with a positive integer and a reason', () => {
    expect([...PRICED_OPS].sort()).toEqual(['A', 'D', 'E', 'F', 'I', 'N', 'P', 'R', 'X', 'Z']);
    for (const b of backends)
      for (const c of changes(1000)) {
        const r = estimateUpdateCost(b, c);
        expect(Number.isInteger(r.us), `${b} ${c.op}`).toBe(true);
        expect(r.us).toBeGreaterThan(0);
        expect(r.backend).toBe(b);
        expect(r.why.length).toBeGreaterThan(0);
      }
  });

  it('refuses an op it has no price for instead of guessing', () => {
    expect(() => estimateUpdateCost('nft', { tool: 'iptables', op: 'L', tableRules: 0, chainRules: 0 })).toThrow(RangeError);
    expect(() => estimateUpdateCost('legacy', { tool: 'iptables', tableRules: 0, chainRules: 0 })).toThrow(RangeError);
  });

  it('is deterministic', () => {
    for (const b of backends) for (const c of changes(41_523)) expect(estimateUpdateCost(b, c)).toEqual(estimateUpdateCost(b, { ...c }));
  });

  it('never falls as the table, the chain or the restore input grows', () => {
    for (const b of backends)
      for (let t = 0; t < 100_000; t += 2_500) {
        const now = changes(t);
        const next = changes(t + 2_500);
        now.forEach((c, i) => expect(cost(b, next[i]), `${b} ${c.tool} ${c.op ?? ''} @${t}`).toBeGreaterThanOrEqual(cost(b, c)));
        const op: RuleChange = { tool: 'iptables', op: 'D', tableRules: 50_000, chainRules: t };
        expect(cost(b, { ...op, chainRules: t + 2_500 })).toBeGreaterThanOrEqual(cost(b, op));
        const r: RuleChange = { tool: 'iptables-restore', tableRules: 0, chainRules: 0, ruleLines: t };
        expect(cost(b, { ...r, ruleLines: t + 2_500 })).toBeGreaterThanOrEqual(cost(b, r));
      }
  });

  it('legacy grows with the table for every op and says so', () => {
    for (const c of changes(0)) {
      const big = { ...c, tableRules: 83_023 };
      expect(cost('legacy', big), `${c.tool} ${c.op ?? ''}`).toBeGreaterThan(cost('legacy', c));
    }
    expect(estimateUpdateCost('legacy', { tool: 'iptables', op: 'I', tableRules: 83_023, chainRules: 10_001 }).why).toBe(
      'legacy rewrites the whole table (83,023 rules)',
    );
  });

  it('ignores negative or missing counts instead of pricing them below a no-op', () => {
    for (const b of backends) {
      const zero = cost(b, { tool: 'iptables', op: 'A', tableRules: 0, chainRules: 0 });
      expect(cost(b, { tool: 'iptables', op: 'A', tableRules: -5, chainRules: Number.NaN })).toBe(zero);
    }
  });
});

describe('native nft transactions (kube-proxy nftables mode)', () => {
  const nft = (
    JSON.parse(readFileSync(new URL('../../../test/fixtures/update-cost/nft-calibration.json', import.meta.url), 'utf8')) as {
      points: NftCalibrationPoint[];
    }
  ).points;
  const cost = (tableRules: number, ruleLines: number) =>
    estimateUpdateCost('nft', { tool: 'nft', tableRules, chainRules: 0, ruleLines }).us;

  it('prices every measured sync within the fit error of its median', () => {
    expect(nft.length).toBeGreaterThanOrEqual(12);
    for (const p of nft) {
      const rel = Math.abs(cost(p.tableRules, p.ruleLines) - p.medianUs) / p.medianUs;
      expect(rel, `${p.op} at ${p.services} Services`).toBeLessThanOrEqual(NFT_TXN_FIT.maxRelErr + 1e-9);
    }
  });

  it('grows with the ruleset a partial sync lands on, and faster than linearly for a full sync', () => {
    expect(cost(30_000, 14)).toBeGreaterThan(cost(3_000, 14));
    const full = (n: number) => cost(0, 14.5 * n);
    expect(full(4000) / full(2000)).toBeGreaterThan(2.1);
  });

  it('the iptables backend a node is given does not change a native nft price, and the reason names what dominates', () => {
    const a = estimateUpdateCost('legacy', { tool: 'nft', tableRules: 31_000, chainRules: 0, ruleLines: 14 });
    expect(a).toEqual(estimateUpdateCost('nft', { tool: 'nft', tableRules: 31_000, chainRules: 0, ruleLines: 14 }));
    expect(a.backend).toBe('nft');
    expect(a.why).toBe('nft fetches the 31,000 rules already there before it sends the batch');
  });
});
