/**
 * `npm run calibrate`: measures on this machine's kernel what one rule change
 * costs with iptables-legacy and iptables-nft at kube-proxy table sizes, fits
 * the small linear models `src/netfilter/update-cost/model.ts` evaluates, and rewrites
 * their coefficients, `src/netfilter/update-cost/fits.ts`, and the measured points the
 * model's test checks them against, `test/fixtures/update-cost/calibration.json`
 * (docs/update-cost.md explains).
 *
 * Every command runs as kube-proxy runs it: a fresh process per change
 * (`ip netns exec NS iptables ...`), so the wall time includes process
 * start-up. Everything happens in throwaway namespaces `nfcal-PID-N`, deleted
 * again also on failure and Ctrl-C; no packet is sent anywhere.
 *
 * Flags: --runs N (timed repetitions of each change, default 7), --load-runs N
 * (of each full restore, default 3), --sizes 0,1000,... (Services),
 * --cap-minutes M (abort past this, default 12), --out FILE (the fits), --points FILE.
 * Native nft transactions (src/bench/calibrate-nft.ts): --nft-sizes 0,500,... (Services,
 * default 0,250,500,1000,2000,4000), --nft-only (skip iptables), --no-nft.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { generateKubeProxyRules, type KubeService } from './kube-proxy-gen.js';
import type { IptablesBackend, CalibrationPoint, CostClass, CostFit } from '../netfilter/update-cost/types.js';
import { calibrateNft } from './calibrate-nft.js';

type Term = 'tableRules' | 'chainRules' | 'ruleLines';

const TOOLS: Record<IptablesBackend, { cmd: string; restore: string }> = {
  legacy: { cmd: 'iptables-legacy', restore: 'iptables-legacy-restore' },
  nft: { cmd: 'iptables-nft', restore: 'iptables-nft-restore' },
};

// ---------- options ----------

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const RUNS = Number(flag('--runs') ?? 7);
const LOAD_RUNS = Number(flag('--load-runs') ?? 3);
const SIZES = (flag('--sizes') ?? '0,1000,2500,5000,10000').split(',').map(Number);
const CAP_MS = Number(flag('--cap-minutes') ?? 12) * 60_000;
const OUT = flag('--out') ?? fileURLToPath(new URL('../../src/netfilter/update-cost/fits.ts', import.meta.url));
const OUT_POINTS = flag('--points') ?? fileURLToPath(new URL('../../test/fixtures/update-cost/calibration.json', import.meta.url));

// ---------- namespaces and timed commands ----------

const live = new Set<string>();
let nsCounter = 0;
const started = performance.now();

function cleanupAll(): void {
  for (const ns of live) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  live.clear();
}
process.on('exit', cleanupAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    cleanupAll();
    process.exit(130);
  });

function newNamespace(): string {
  const ns = `nfcal-${process.pid}-${nsCounter++}`;
  const r = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip netns add ${ns} failed: ${r.stderr.trim()}`);
  live.add(ns);
  return ns;
}

function deleteNamespace(ns: string): void {
  spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  live.delete(ns);
}

/** Wall time in µs of one `ip netns exec` of argv; throws with the tool's stderr on a non-zero exit. */
function timed(ns: string, argv: string[], input?: string): number {
  if (performance.now() - started > CAP_MS) throw new Error(`calibration exceeded its ${CAP_MS / 60_000}-minute cap`);
  const t0 = performance.now();
  const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], {
    input,
    stdio: ['pipe', 'ignore', 'pipe'],
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 1 << 20,
  });
  const us = (performance.now() - t0) * 1000;
  if (r.error) throw new Error(`${argv.join(' ')} in ${ns}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} in ${ns} exited ${r.status}: ${r.stderr.trim()}`);
  return us;
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------- what is measured ----------

interface Sample {
  us: number;
  tableRules: number;
  chainRules: number;
  ruleLines: number;
  chainLines: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const points: CalibrationPoint[] = [];

function record(backend: IptablesBackend, op: string, cls: CostClass | null, services: number, noflush: boolean, samples: Sample[]): void {
  const us = samples.map((s) => s.us);
  const mean = (k: keyof Sample) => Math.round(samples.reduce((t, s) => t + s[k], 0) / samples.length);
  points.push({
    backend,
    op,
    cls,
    services,
    tableRules: mean('tableRules'),
    chainRules: mean('chainRules'),
    ruleLines: mean('ruleLines'),
    chainLines: mean('chainLines'),
    noflush,
    runs: samples.length,
    medianUs: Math.round(median(us)),
    minUs: Math.round(Math.min(...us)),
    maxUs: Math.round(Math.max(...us)),
  });
  const p = points[points.length - 1];
  console.log(
    `${backend.padEnd(6)} ${String(services).padStart(6)} svc  ${op.padEnd(24)} median ${(p.medianUs / 1000).toFixed(1).padStart(8)} ms  (${(p.minUs / 1000).toFixed(1)}–${(p.maxUs / 1000).toFixed(1)})`,
  );
}

const countRules = (text: string) => text.split('\n').filter((l) => l.startsWith('-A ') || l.startsWith('-I ')).length;
const countChains = (text: string) => text.split('\n').filter((l) => l.startsWith(':')).length;

/** Rules in the nat block of an iptables-save text. */
function natRuleCount(text: string): number {
  return countRules(text.slice(text.indexOf('*nat\n')));
}

/** One Service the way a kube-proxy partial sync adds it: its chain lines and its rules, nothing else. */
function serviceRestoreInput(s: KubeService, allText: string): string {
  const own = [s.svcChain, ...s.sepChains, ...(s.extChain ? [s.extChain] : [])];
  const lines = allText.split('\n');
  const decl = lines.filter((l) => own.some((c) => l.startsWith(`:${c} `)));
  const rules = lines.filter(
    (l) => own.some((c) => l.startsWith(`-A ${c} `)) || (l.startsWith('-A KUBE-SERVICES ') && l.endsWith(`-j ${s.svcChain}`)),
  );
  return ['*nat', ...decl, ...rules, 'COMMIT', ''].join('\n');
}

const RULE = [
  '-d',
  '10.255.0.1/32',
  '-p',
  'tcp',
  '-m',
  'comment',
  '--comment',
  'nfcal',
  '-m',
  'tcp',
  '--dport',
  '80',
  '-j',
  'KUBE-MARK-MASQ',
];
/** A small user chain every kube-proxy table has (3 rules). */
const SMALL = 'KUBE-POSTROUTING';
const SMALL_RULES = 3;

async function measureBackend(backend: IptablesBackend, services: number): Promise<void> {
  const { cmd, restore } = TOOLS[backend];
  const opts = { endpointsPerService: 2, nodePorts: Math.max(1, Math.ceil(services / 10)), seed: 1 };
  // Extra Services past `services` are the ones the --noflush runs add, one per run.
  const gen = generateKubeProxyRules(services + RUNS, opts);
  const base = generateKubeProxyRules(services, opts);
  const fileRules = countRules(base.text);
  const fileChains = countChains(base.text);

  const loads: Sample[] = [];
  let ns = '';
  for (let i = 0; i < LOAD_RUNS; i++) {
    if (ns) {
      deleteNamespace(ns);
      await settle(services ? 500 : 50); // the kernel frees the old table in the background
    }
    ns = newNamespace();
    const us = timed(ns, [restore], base.text);
    loads.push({ us, tableRules: 0, chainRules: 0, ruleLines: fileRules, chainLines: fileChains });
  }
  try {
    record(backend, 'restore-load', 'restoreFull', services, false, loads);
    const reloads: Sample[] = [];
    for (let i = 0; i < LOAD_RUNS; i++)
      reloads.push({
        us: timed(ns, [restore], base.text),
        tableRules: fileRules,
        chainRules: 0,
        ruleLines: fileRules,
        chainLines: fileChains,
      });
    record(backend, 'restore-reload', 'restoreFull', services, false, reloads);

    let nat = natRuleCount(base.text);
    let kubeServices = services + 1; // one jump per Service, then the NodePorts jump
    const nat_ = ['-t', 'nat'];
    const pairs: { op: string; cls: CostClass; chain: () => number; argv: string[] }[][] = [
      [
        { op: 'append-small', cls: 'ruleAdd', chain: () => SMALL_RULES, argv: ['-A', SMALL, ...RULE] },
        { op: 'delete-spec-small', cls: 'ruleDelete', chain: () => SMALL_RULES + 1, argv: ['-D', SMALL, ...RULE] },
      ],
      [
        { op: 'insert-small', cls: 'ruleAdd', chain: () => SMALL_RULES, argv: ['-I', SMALL, '1', ...RULE] },
        { op: 'delete-num-small', cls: 'ruleDelete', chain: () => SMALL_RULES + 1, argv: ['-D', SMALL, '1'] },
      ],
      [
        { op: 'append-services', cls: 'ruleAdd', chain: () => kubeServices, argv: ['-A', 'KUBE-SERVICES', ...RULE] },
        { op: 'delete-spec-services', cls: 'ruleDelete', chain: () => kubeServices + 1, argv: ['-D', 'KUBE-SERVICES', ...RULE] },
      ],
      [
        { op: 'insert-services', cls: 'ruleAdd', chain: () => kubeServices, argv: ['-I', 'KUBE-SERVICES', '1', ...RULE] },
        { op: 'delete-num-services', cls: 'ruleDelete', chain: () => kubeServices + 1, argv: ['-D', 'KUBE-SERVICES', '1'] },
      ],
      [
        { op: 'new-chain', cls: 'chain', chain: () => 0, argv: ['-N', 'NFCAL-NEW'] },
        { op: 'delete-chain', cls: 'chain', chain: () => 0, argv: ['-X', 'NFCAL-NEW'] },
      ],
    ];
    const samples = new Map<string, Sample[]>();
    const push = (op: string, s: Sample) => (samples.get(op) ?? samples.set(op, []).get(op)!).push(s);
    for (let run = 0; run < RUNS; run++) {
      for (const pair of pairs)
        for (const step of pair) {
          // The first half of a pair adds a rule the second removes: the table before the second is one rule larger.
          const before = step === pair[1] && step.cls === 'ruleDelete' ? nat + 1 : nat;
          const us = timed(ns, [cmd, ...nat_, ...step.argv]);
          push(step.op, { us, tableRules: before, chainRules: step.chain(), ruleLines: 0, chainLines: 0 });
        }
      const input = serviceRestoreInput(gen.services[services + run], gen.text);
      const lines = countRules(input);
      const us = timed(ns, [restore, '--noflush'], input);
      push('restore-noflush-service', { us, tableRules: nat, chainRules: 0, ruleLines: lines, chainLines: countChains(input) });
      nat += lines;
      kubeServices += 1;
      if (backend === 'legacy') {
        // Reading alone (no write back): how much of a legacy change is the fetch. Too slow to ask of iptables-nft.
        push('list-input', {
          us: timed(ns, [cmd, ...nat_, '-L', 'INPUT', '-n']),
          tableRules: nat,
          chainRules: 0,
          ruleLines: 0,
          chainLines: 0,
        });
      }
    }
    for (const pair of pairs) for (const step of pair) record(backend, step.op, step.cls, services, false, samples.get(step.op)!);
    record(backend, 'restore-noflush-service', 'restoreNoflush', services, true, samples.get('restore-noflush-service')!);
    if (backend === 'legacy') record(backend, 'list-input', null, services, false, samples.get('list-input')!);
  } finally {
    deleteNamespace(ns);
    await settle(services ? 500 : 50);
  }
}

/** Process overhead alone: `ip netns exec NS true`, and each tool listing an empty chain of an empty namespace. */
function measureNoop(): Record<string, number> {
  const ns = newNamespace();
  try {
    const out: Record<string, number> = {};
    const cases: [string, string[]][] = [
      ['nsExecTrue', ['true']],
      ['legacyListEmpty', [TOOLS.legacy.cmd, '-t', 'nat', '-L', 'INPUT', '-n']],
      ['nftListEmpty', [TOOLS.nft.cmd, '-t', 'nat', '-L', 'INPUT', '-n']],
    ];
    for (const [, argv] of cases) timed(ns, argv); // first use loads the nat table into the namespace
    for (const [name, argv] of cases) {
      const us = Array.from({ length: RUNS }, () => timed(ns, argv));
      out[name] = Math.round(median(us));
      console.log(`noop   ${name.padEnd(32)} median ${(out[name] / 1000).toFixed(1).padStart(8)} ms`);
    }
    return out;
  } finally {
    deleteNamespace(ns);
  }
}

// ---------- the fit: non-negative least squares, tiny and exact ----------

/** Solves the normal equations for columns `cols` of X; null when singular. Returns coefficients and (XᵀX)⁻¹'s diagonal. */
function ols(X: number[][], y: number[], cols: number[]): { beta: number[]; invDiag: number[] } | null {
  const p = cols.length;
  // Columns are scaled to max 1 first: table sizes reach 10^5 and squares 10^10.
  const scale = cols.map((c) => Math.max(1e-12, ...X.map((r) => Math.abs(r[c]))));
  const A = cols.map((ci, i) => cols.map((cj, j) => X.reduce((t, r) => t + (r[ci] / scale[i]) * (r[cj] / scale[j]), 0)));
  const inv = cols.map((_, i) => cols.map((_, j) => (i === j ? 1 : 0)));
  const b = cols.map((ci, i) => X.reduce((t, r, k) => t + (r[ci] / scale[i]) * y[k], 0));
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
    if (Math.abs(A[piv][c]) < 1e-9) return null;
    [A[c], A[piv]] = [A[piv], A[c]];
    [inv[c], inv[piv]] = [inv[piv], inv[c]];
    [b[c], b[piv]] = [b[piv], b[c]];
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let k = 0; k < p; k++) {
        A[r][k] -= f * A[c][k];
        inv[r][k] -= f * inv[c][k];
      }
      b[r] -= f * b[c];
    }
  }
  return {
    beta: cols.map((_, i) => b[i] / A[i][i] / scale[i]),
    invDiag: cols.map((_, i) => inv[i][i] / A[i][i] / (scale[i] * scale[i])),
  };
}

/** Least squares with every coefficient ≥ 0: the best of all column subsets whose plain fit is non-negative. */
function nnls(X: number[][], y: number[], allowed: number[]): { cols: number[]; beta: number[]; invDiag: number[]; sse: number } {
  let best = { cols: [] as number[], beta: [] as number[], invDiag: [] as number[], sse: y.reduce((t, v) => t + v * v, 0) };
  for (let mask = 1; mask < 1 << allowed.length; mask++) {
    const cols = allowed.filter((_, i) => mask & (1 << i));
    const f = ols(X, y, cols);
    if (!f || f.beta.some((v) => v < 0)) continue;
    const sse = X.reduce((t, r, k) => t + (y[k] - cols.reduce((s, c, i) => s + f.beta[i] * r[c], 0)) ** 2, 0);
    if (sse < best.sse - 1e-9) best = { cols, beta: f.beta, invDiag: f.invDiag, sse };
  }
  return best;
}

/**
 * Fits median µs = a + Σ coef·term (relative least squares). `optional` terms stay
 * only when the data carry them: a positive coefficient at least twice its standard error.
 */
function fit(ps: CalibrationPoint[], required: Term[], optional: Term[]): CostFit {
  const terms: Term[] = [...required, ...optional];
  // Rows are weighted by 1/median, so the fit minimises relative error: otherwise the
  // 80,000-rule points (seconds) decide alone and the empty-table ones (ms) come out 2× off.
  const X = ps.map((p) => [1, ...terms.map((t) => p[t])].map((v) => v / p.medianUs));
  const y = ps.map(() => 1);
  let allowed = terms.map((_, i) => i + 1);
  const notes: string[] = [];
  for (;;) {
    const f = nnls(X, y, [0, ...allowed]);
    const dof = ps.length - f.cols.length;
    const weak = optional
      .map((t) => ({ t, col: terms.indexOf(t) + 1 }))
      .filter(({ col }) => allowed.includes(col))
      .map(({ t, col }) => {
        const i = f.cols.indexOf(col);
        const tStat = i < 0 ? 0 : dof > 0 ? f.beta[i] / Math.sqrt(Math.max(1e-30, (f.sse / dof) * f.invDiag[i])) : 0;
        return { t, col, tStat };
      });
    const drop = weak.find((w) => w.tStat < 2);
    if (drop) {
      notes.push(`${drop.t} term dropped (t = ${drop.tStat.toFixed(1)})`);
      allowed = allowed.filter((c) => c !== drop.col);
      continue;
    }
    for (const w of weak) notes.push(`${w.t} term kept (t = ${w.tStat.toFixed(1)})`);
    const coef = (col: number) => (f.cols.includes(col) ? f.beta[f.cols.indexOf(col)] : 0);
    const out: CostFit = { a: Math.round(coef(0)), tableRules: 0, chainRules: 0, ruleLines: 0, points: ps.length, maxRelErr: 0, note: '' };
    terms.forEach((t, i) => (out[t] = Number(coef(i + 1).toPrecision(4))));
    for (const t of required) if (out[t] === 0) notes.push(`${t} clamped to 0`);
    out.maxRelErr = Number(
      Math.max(...ps.map((p) => Math.abs(out.a + terms.reduce((s, t) => s + out[t] * p[t], 0) - p.medianUs) / p.medianUs)).toFixed(3),
    );
    out.note = notes.join('; ') || 'all terms from the data';
    return out;
  }
}

function fitAll(): Record<IptablesBackend, Record<CostClass, CostFit>> {
  const of = (b: IptablesBackend, ...ops: string[]) => points.filter((p) => p.backend === b && ops.includes(p.op));
  const ADD = ['append-small', 'insert-small', 'append-services', 'insert-services'];
  const DEL = ['delete-spec-small', 'delete-num-small', 'delete-spec-services', 'delete-num-services'];
  const CHAIN = ['new-chain', 'delete-chain'];
  // A restore into an empty table is the same work with or without --noflush, so the loads anchor both restore fits.
  const FULL = ['restore-load', 'restore-reload'];
  const NOFLUSH = ['restore-noflush-service', 'restore-load'];
  return {
    legacy: {
      ruleAdd: fit(of('legacy', ...ADD), ['tableRules'], []),
      ruleDelete: fit(of('legacy', ...DEL), ['tableRules'], []),
      chain: fit(of('legacy', ...CHAIN), ['tableRules'], []),
      restoreFull: fit(of('legacy', ...FULL), ['tableRules', 'ruleLines'], []),
      restoreNoflush: fit(of('legacy', ...NOFLUSH), ['tableRules', 'ruleLines'], []),
    },
    nft: {
      ruleAdd: fit(of('nft', ...ADD), ['chainRules'], ['tableRules']),
      ruleDelete: fit(of('nft', ...DEL), ['chainRules'], ['tableRules']),
      chain: fit(of('nft', ...CHAIN), [], ['tableRules']),
      restoreFull: fit(of('nft', ...FULL), ['ruleLines'], ['tableRules']),
      restoreNoflush: fit(of('nft', ...NOFLUSH), ['ruleLines'], ['tableRules']),
    },
  };
}

// ---------- output ----------

function toolVersion(cmd: string): string {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} --version failed: ${r.stderr}`);
  return r.stdout.trim();
}

function measurementInfo(wallS: number) {
  return {
    measuredAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    kernel: release(),
    iptables: [toolVersion(TOOLS.legacy.cmd), toolVersion(TOOLS.nft.cmd)],
    cpus: availableParallelism(),
    loadAverageAtEnd: loadavg().map((v) => Number(v.toFixed(2))),
    runs: RUNS,
    loadRuns: LOAD_RUNS,
    wallSeconds: Math.round(wallS),
  };
}

type Info = ReturnType<typeof measurementInfo>;

/** fits.ts: the coefficients the model reads, with where and when they were measured. */
function emitFits(info: Info, coef: Record<IptablesBackend, Record<CostClass, CostFit>>): string {
  return `// GENERATED by src/bench/calibrate-update-cost.ts (\`npm run calibrate\`): do not edit by hand, rerun it.
// Measured ${info.measuredAt} on Linux ${info.kernel}, ${info.iptables.join(' / ')}, ${info.cpus} CPUs,
// load average at the end ${info.loadAverageAtEnd.join(' ')}; ${RUNS} runs per change, ${LOAD_RUNS} per full restore.
// Times are wall-clock µs of \`ip netns exec NS <tool> ...\`, process start-up included. docs/update-cost.md explains.
// The measured points these fits come from are in test/fixtures/update-cost/calibration.json (read by model.test.ts).

import type { IptablesBackend, CostClass, CostFit } from './types.js';

export const COST_FITS: Readonly<Record<IptablesBackend, Readonly<Record<CostClass, CostFit>>>> = ${JSON.stringify(coef, null, 2)};
`;
}

/** The fixture: the run's facts, the no-op times (process start-up) and every measured point, one per line. */
function emitPoints(info: Info, noop: Record<string, number>): string {
  return `{
  "info": ${JSON.stringify(info)},
  "noopUs": ${JSON.stringify(noop)},
  "points": [
${points.map((p) => `    ${JSON.stringify(p)}`).join(',\n')}
  ]
}
`;
}

function markdown(coef: Record<IptablesBackend, Record<CostClass, CostFit>>): string {
  const ops = [...new Set(points.map((p) => p.op))];
  const ms = (us: number) => (us / 1000).toFixed(us < 100_000 ? 1 : 0);
  const lines: string[] = [];
  for (const b of ['legacy', 'nft'] as IptablesBackend[]) {
    lines.push(
      `\n${b} (median ms; [min–max])\n`,
      `| op | ${SIZES.map((s) => `${s} svc`).join(' | ')} |`,
      `|---|${SIZES.map(() => '---:').join('|')}|`,
    );
    for (const op of ops) {
      const row = SIZES.map((s) => points.find((p) => p.backend === b && p.op === op && p.services === s));
      if (row.every((p) => !p)) continue;
      lines.push(`| ${op} | ${row.map((p) => (p ? `${ms(p.medianUs)} [${ms(p.minUs)}–${ms(p.maxUs)}]` : '')).join(' | ')} |`);
    }
    lines.push(
      `\n| class | a (µs) | per table rule | per chain rule | per rule line | max rel. err | note |`,
      '|---|---:|---:|---:|---:|---:|---|',
    );
    for (const [cls, f] of Object.entries(coef[b]))
      lines.push(`| ${cls} | ${f.a} | ${f.tableRules} | ${f.chainRules} | ${f.ruleLines} | ${f.maxRelErr} | ${f.note} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) throw new Error('calibration needs Linux and root (network namespaces)');
  for (const b of Object.values(TOOLS)) for (const c of [b.cmd, b.restore]) toolVersion(c);
  if (!(RUNS >= 3) || !(LOAD_RUNS >= 1) || SIZES.some((s) => !Number.isInteger(s) || s < 0))
    throw new Error('bad --runs / --load-runs / --sizes');
  if (!process.argv.includes('--no-nft')) {
    const sizes = (flag('--nft-sizes') ?? '0,250,500,1000,2000,4000').split(',').map(Number);
    const f = calibrateNft(sizes, RUNS, (s) => console.error(s));
    console.log(`native nft transactions: ${JSON.stringify(f)}`);
    if (process.argv.includes('--nft-only')) return;
  }
  const noop = measureNoop();
  for (const backend of ['legacy', 'nft'] as IptablesBackend[]) for (const s of SIZES) await measureBackend(backend, s);
  const coef = fitAll();
  const wallS = (performance.now() - started) / 1000;
  const info = measurementInfo(wallS);
  writeFileSync(OUT, emitFits(info, coef));
  writeFileSync(OUT_POINTS, emitPoints(info, noop));
  console.log(markdown(coef));
  console.log(`\nwrote ${OUT} after ${wallS.toFixed(0)} s`);
}

main().catch((e: unknown) => {
  cleanupAll();
  console.error(`calibration failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
