/**
 * `npm run bench`: how nflab copes with kube-proxy-sized rule sets and big labs,
 * next to the real kernel where it can run here. Prints a table, writes JSON
 * (`--out FILE`, default ./bench-results.json). `--quick` shrinks every size
 * for a smoke run. Never part of the tests: it reads the real clock.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { insertCase, loadCase, walkCase, type InsertResult, type LoadResult, type WalkResult } from './rules-cases.js';
import {
  bigLabCase,
  conntrackMemCase,
  nodePortCase,
  NODE_IP,
  NODE_PORT,
  type BigLabResult,
  type ConnResult,
  type ConntrackMemResult,
} from './lab-cases.js';
import { targetRows, printTable } from './report.js';
import { importCase, type ImportResult } from './import-case.js';
import { matrixBenchMain } from './matrix.js';
import { connRow, iptablesModeRow, nftModeRow, type ConnRow, type ModeRow } from './nft-cases.js';
import { kernelUnavailable } from './kernel.js';

export interface BenchResults {
  machine: { node: string; cpus: number; cpuModel: string; platform: string };
  load: LoadResult[];
  insert: InsertResult | null;
  walks: WalkResult[];
  connections: ConnResult[];
  bigLab: BigLabResult | null;
  conntrack: ConntrackMemResult | null;
  /** `nflab import` of a kube-proxy node's bundle (the goal: ≤ 3 s for the whole process at 10,000 Services). */
  importBundle?: ImportResult;
  /** kube-proxy's two modes side by side (docs/bench.md, "iptables mode and nftables mode"). */
  modes?: ModeRow[];
  modeConns?: ConnRow[];
  /** What the machine was doing: the 1-minute load average when the run began and ended. */
  machineLoad?: { start: number; end: number };
}

function arg(name: string): string | null {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? null) : null;
}

function main(): void {
  const quick = process.argv.includes('--quick');
  const out = resolve(arg('--out') ?? 'bench-results.json');
  const sizes = quick ? [100, 500, 1000] : [1000, 5000, 10000];
  const connSizes = quick ? [10, 100, 1000] : [10, 1000, 10000];
  const dir = mkdtempSync(join(tmpdir(), 'nflab-bench-'));
  const cpu = cpus();
  const res: BenchResults = {
    machine: { node: process.version, cpus: cpu.length, cpuModel: cpu[0]?.model ?? '?', platform: process.platform },
    load: [],
    insert: null,
    walks: [],
    connections: [],
    bigLab: null,
    conntrack: null,
  };
  const say = (s: string) => process.stderr.write(s + '\n');
  res.machineLoad = { start: loadavg()[0], end: 0 };
  // `--modes`: only the iptables/nftables comparison (the rest takes long on a busy machine).
  const onlyModes = process.argv.includes('--modes');
  try {
    const noKernel = process.argv.includes('--no-kernel') ? '--no-kernel' : kernelUnavailable();
    if (noKernel) say(`kernel figures skipped: ${noKernel}`);
    res.modes = [];
    res.modeConns = [];
    for (const n of sizes) {
      say(`kube-proxy at ${n} Services, iptables mode then nftables mode${noKernel ? '' : ' (nflab, then the kernel)'}...`);
      res.modes.push(iptablesModeRow(n, dir, quick ? 1 : 3, noKernel));
      res.modes.push(nftModeRow(n, dir, quick ? 1 : 3, noKernel));
    }
    // The first lab runs cold code; it is measured again at the end of the list and the first figures dropped.
    for (const n of [10, 10, ...sizes]) {
      say(`new connections through a ClusterIP and a NodePort at ${n} Services...`);
      for (const mode of ['iptables', 'nftables'] as const) res.modeConns.push(connRow(dir, mode, n, quick ? 50 : 200));
    }
    res.modeConns.splice(0, 2);
    if (onlyModes) return finish(res, out);
    for (const n of sizes) {
      say(`loading ${n} Services...`);
      const { result, rs } = loadCase(n, dir, quick ? 1 : 3);
      res.load.push(result);
      if (n === sizes[sizes.length - 1]) {
        say('inserting into the biggest table...');
        res.insert = insertCase(rs, result.rules, 25);
      }
    }
    for (const n of connSizes) {
      say(`connections through a NodePort at ${n} Services...`);
      const { rs } = loadCase(n, dir, 1);
      res.walks.push(walkCase(rs, n, NODE_IP, NODE_PORT, quick ? 200 : 1000));
      res.connections.push(nodePortCase(dir, n, quick ? 50 : 300));
    }
    say(`a lab of ${quick ? 100 : 1000} hosts...`);
    res.bigLab = bigLabCase(dir, quick ? 100 : 1000);
    say(`nflab import of a node with ${sizes[sizes.length - 1]} Services...`);
    res.importBundle = importCase(sizes[sizes.length - 1], dir, quick ? 1 : 3);
    say('conntrack memory...');
    res.conntrack = conntrackMemCase(quick ? 10_000 : 100_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  finish(res, out);
}

function finish(res: BenchResults, out: string): void {
  if (res.machineLoad) res.machineLoad.end = loadavg()[0];
  writeFileSync(out, JSON.stringify({ ...res, targets: targetRows(res) }, null, 2) + '\n');
  process.stdout.write(printTable(res));
  const im = res.importBundle;
  if (im)
    process.stdout.write(
      `\nnflab import, ${im.services} Services (${im.rules} rules): ${(im.ms / 1000).toFixed(2)} s wall, ${(im.cpuMs / 1000).toFixed(2)} s CPU (target ≤ 3 s)\n`,
    );
  process.stdout.write(`\nJSON: ${out}\n`);
}

// `--matrix-only` runs only the matrix section; `--modes` only the two kube-proxy modes.
if (!process.argv.includes('--matrix-only')) main();
if (!process.argv.includes('--modes')) await matrixBenchMain();
