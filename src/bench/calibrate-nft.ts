/**
 * The native-nft part of `npm run calibrate`: times the kernel's `nft -f` of
 * kube-proxy's nftables syncs (full loads, and the partial syncs that add or
 * delete one Service) in throwaway namespaces `np-cal-PID-N`, fits
 *   µs = a + tableRules·(rules already there) + ruleLines·(command lines)
 *          + crossLines·(command lines × (rules there + command lines), in thousands)
 * and writes src/netfilter/update-cost/nft-fits.ts and the measured points
 * (test/fixtures/update-cost/nft-calibration.json, read by the model's test).
 * The cross term is the full sync's faster-than-linear growth: the kernel checks
 * each anonymous verdict map against the whole transaction.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { NftCalibrationPoint, NftTxnFit } from '../netfilter/update-cost/types.js';
import { addOneService, deleteOneService, kubeProxyNftRules } from './kube-proxy-nft-gen.js';

const live = new Set<string>();
let counter = 0;

function cleanup(): void {
  for (const ns of live) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  live.clear();
}

function withNamespace<T>(fn: (ns: string) => T): T {
  const ns = `np-cal-${process.pid}-${counter++}`;
  const r = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip netns add ${ns} failed: ${r.stderr.trim()}`);
  live.add(ns);
  try {
    return fn(ns);
  } finally {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    live.delete(ns);
  }
}

/** Wall µs of `nft -f -` with `text` on stdin, process start-up included (kube-proxy starts one per sync). */
function timedNft(ns: string, text: string): number {
  const t0 = performance.now();
  const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: text, encoding: 'utf8', maxBuffer: 1 << 26 });
  const us = (performance.now() - t0) * 1000;
  if (r.status !== 0) throw new Error(`nft -f failed: ${(r.stderr ?? '').trim().split('\n')[0]}`);
  return Math.round(us);
}

/** Command lines of a transaction, as the lab counts them (`nftLines`). */
export const commandLines = (text: string): number =>
  text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#')).length;

const rulesOf = (text: string): number => text.split('\n').filter((l) => l.startsWith('add rule ')).length;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : Math.round((s[m - 1] + s[m]) / 2);
}

export function measureNft(sizes: number[], runs: number, say: (s: string) => void): NftCalibrationPoint[] {
  const points: NftCalibrationPoint[] = [];
  const push = (op: string, services: number, tableRules: number, text: string, samples: number[]) =>
    points.push({
      op,
      services,
      tableRules,
      ruleLines: commandLines(text),
      runs: samples.length,
      medianUs: median(samples),
      minUs: Math.min(...samples),
      maxUs: Math.max(...samples),
    });
  for (const n of sizes) {
    const full = kubeProxyNftRules(n).text;
    const rules = rulesOf(full);
    const loads: number[] = [];
    say(`nft: full sync of ${n} Services (${rules} rules)...`);
    for (let k = 0; k < (n >= 2000 ? 1 : 2); k++) withNamespace((ns) => loads.push(timedNft(ns, full)));
    push('full-sync', n, 0, full, loads);
    withNamespace((ns) => {
      timedNft(ns, full);
      say(`nft: one-Service partial syncs at ${n} Services...`);
      const adds: number[] = [];
      const dels: number[] = [];
      for (let k = 0; k < runs; k++) {
        adds.push(timedNft(ns, addOneService(n + k)));
        dels.push(timedNft(ns, deleteOneService(n + k, n + k)));
      }
      push('add-service', n, rules, addOneService(n), adds);
      push('delete-service', n, rules + rulesOf(addOneService(n)), deleteOneService(n, n), dels);
    });
  }
  return points;
}

type Term = 'tableRules' | 'ruleLines' | 'crossLines';
const TERMS: Term[] = ['tableRules', 'ruleLines', 'crossLines'];

const termOf = (p: NftCalibrationPoint, t: Term): number =>
  t === 'tableRules' ? p.tableRules : t === 'ruleLines' ? p.ruleLines : (p.ruleLines * (p.tableRules + p.ruleLines)) / 1000;

/**
 * Least squares on relative error (each point weighted by 1/median, so a 30 s full
 * load does not drown the 0.1 s partial syncs), terms with negative weight dropped.
 */
export function fitNft(points: NftCalibrationPoint[]): NftTxnFit {
  let terms = [...TERMS];
  for (;;) {
    const cols = (p: NftCalibrationPoint) => [1, ...terms.map((t) => termOf(p, t))];
    const k = terms.length + 1;
    const A = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    const b = new Array<number>(k).fill(0);
    for (const p of points) {
      const w = 1 / p.medianUs;
      const x = cols(p).map((v) => v * w);
      const y = p.medianUs * w;
      for (let i = 0; i < k; i++) {
        b[i] += x[i] * y;
        for (let j = 0; j < k; j++) A[i][j] += x[i] * x[j];
      }
    }
    const beta = solve(A, b);
    const neg = terms.findIndex((_, i) => beta[i + 1] < 0);
    if (beta[0] >= 0 && neg < 0) {
      const fit: NftTxnFit = { a: Math.round(beta[0]), tableRules: 0, ruleLines: 0, crossLines: 0, points: points.length, maxRelErr: 0 };
      terms.forEach((t, i) => (fit[t] = Number(beta[i + 1].toPrecision(4))));
      // Rounded up, so every point stays within it.
      fit.maxRelErr = Math.ceil(Math.max(...points.map((p) => Math.abs(modelUs(fit, p) - p.medianUs) / p.medianUs)) * 1000) / 1000;
      return fit;
    }
    if (neg < 0) throw new Error('nft fit: negative fixed cost');
    terms = terms.filter((_, i) => i !== neg);
  }
}

const modelUs = (f: NftTxnFit, p: NftCalibrationPoint): number =>
  f.a + f.tableRules * p.tableRules + f.ruleLines * p.ruleLines + (f.crossLines * p.ruleLines * (p.tableRules + p.ruleLines)) / 1000;

/** Gaussian elimination with partial pivoting: the systems here are 4×4. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = 0; r < n; r++) {
      if (r === c || M[c][c] === 0) continue;
      const f = M[r][c] / M[c][c];
      for (let j = c; j <= n; j++) M[r][j] -= f * M[c][j];
    }
  }
  return M.map((r, i) => r[n] / r[i]);
}

export function writeNftCalibration(points: NftCalibrationPoint[], fit: NftTxnFit, wallS: number): void {
  const nftVersion = spawnSync('nft', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const info = {
    measuredAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    kernel: release(),
    nft: nftVersion,
    cpus: availableParallelism(),
    loadAverageAtEnd: loadavg().map((v) => Number(v.toFixed(2))),
    wallSeconds: Math.round(wallS),
  };
  const fits = fileURLToPath(new URL('../../src/netfilter/update-cost/nft-fits.ts', import.meta.url));
  const pts = fileURLToPath(new URL('../../test/fixtures/update-cost/nft-calibration.json', import.meta.url));
  writeFileSync(
    fits,
    `// GENERATED by src/bench/calibrate-nft.ts (\`npm run calibrate\`): do not edit by hand, rerun it.
// Measured ${info.measuredAt} on Linux ${info.kernel}, ${info.nft}, ${info.cpus} CPUs, load average at the end ${info.loadAverageAtEnd.join(' ')}.
// Wall-clock µs of \`ip netns exec NS nft -f -\` (process start-up included) for kube-proxy's nftables syncs.
// The points are in test/fixtures/update-cost/nft-calibration.json (read by model.test.ts). docs/update-cost.md explains.

import type { NftTxnFit } from './types.js';

export const NFT_TXN_FIT: Readonly<NftTxnFit> = ${JSON.stringify(fit, null, 2)};
`,
  );
  writeFileSync(pts, JSON.stringify({ ...info, points }, null, 2) + '\n');
}

export function calibrateNft(sizes: number[], runs: number, say: (s: string) => void): NftTxnFit {
  const t0 = performance.now();
  process.on('exit', cleanup);
  try {
    const points = measureNft(sizes, runs, say);
    const fit = fitNft(points);
    writeNftCalibration(points, fit, (performance.now() - t0) / 1000);
    return fit;
  } finally {
    cleanup();
  }
}
