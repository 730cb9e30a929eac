/**
 * `npm run bench`'s reachability-matrix cases: the bundled kube-proxy lab's
 * whole matrix, 10,000 cells (50 sources × 200 Services and NodePorts) on a
 * node with 5,000 Services, and the cost of a cell at 1,000 and 5,000 Services
 * (it should not grow: rules are compiled once per thread, and kube-proxy's
 * chains are indexed). Wall-clock times include building each thread's lab.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTopologyFile } from '../topology/load.js';
import type { Topology } from '../topology/model.js';
import type { CellSpec } from '../matrix/cell.js';
import { destinationText } from '../matrix/destinations.js';
import { planCells, planMatrix } from '../matrix/matrix.js';
import { runCellsParallel } from '../matrix/pool.js';
import { CellRunner } from '../matrix/runner.js';
import { generateKubeProxyRules, type KubeService } from './kube-proxy-gen.js';

export interface MatrixBenchRow {
  case: string;
  services: number;
  sources: number;
  destinations: number;
  cells: number;
  jobs: number;
  /** Building one lab (load and compile the rules): what every thread pays once. */
  labMs: number;
  /** Every cell, start to finish, threads' lab builds included. */
  wallMs: number;
  /** Wall time per cell, lab builds excluded (one thread: its cells only). */
  usPerCell: number;
  /** CPU time of the whole process (every thread) per cell, lab builds included: what load on the machine does not inflate. */
  cpuUsPerCell: number;
  results: Record<string, number>;
}

const TOPOLOGIES = fileURLToPath(new URL('../../topologies/', import.meta.url));

function load(file: string): Topology {
  const r = loadTopologyFile(file);
  if (!r.ok) throw new Error(`${file}: ${r.error[0]?.message ?? ''}`);
  return r.value;
}

/** A kube-proxy node with `services` Services (svc0's two pods in the lab) and `clients` client pods on its bridge. */
export function matrixLabYaml(rulesFile: string, clients: number): string {
  const pods = [
    ...[2, 3].map((k, i) => ({ name: `svc0-${'ab'[i]}`, addr: `10.244.0.${k}`, listen: '[ tcp:8090 ]' })),
    ...Array.from({ length: clients }, (_, i) => ({ name: `c${i + 1}`, addr: `10.244.200.${i + 1}`, listen: '[]' })),
  ];
  const out = [
    'name: kube-proxy-matrix',
    'hosts:',
    '  client:',
    '    interfaces: { eth0: { addr: 192.168.0.2/24 } }',
    '    routes: [ default via 192.168.0.1 ]',
    '  node:',
    '    sysctl: { net.ipv4.ip_forward: 1 }',
    '    interfaces:',
    '      eth0: { addr: 192.168.0.1/24 }',
    '      cni0: { kind: bridge, addr: 10.244.0.1/16 }',
    ...pods.map((_, i) => `      veth${i}: { master: cni0 }`),
    `    iptables: { file: ${JSON.stringify(rulesFile)} }`,
    '    namespaces:',
    ...pods.flatMap((p) => [
      `      ${p.name}:`,
      `        interfaces: { eth0: { addr: ${p.addr}/16 } }`,
      '        routes: [ default via 10.244.0.1 ]',
      `        listen: ${p.listen}`,
    ]),
    'links:',
    '  - [client:eth0, node:eth0]',
    ...pods.map((p, i) => `  - [node/${p.name}:eth0, node:veth${i}]`),
  ];
  return out.join('\n') + '\n';
}

/** `count` destinations: svc0 (whose pods are in the lab), every NodePort, then Services spread evenly over the rest. */
function serviceSample(services: KubeService[], count: number): string[] {
  const out = new Set<string>([`${services[0].clusterIp}:${services[0].port}`]);
  for (const s of services) if (s.nodePort !== null && out.size < count) out.add(`192.168.0.1:${s.nodePort}`);
  const step = services.length / (count - out.size + 1);
  for (let k = 1; out.size < count; k++) {
    const s = services[Math.min(services.length - 1, Math.round(k * step))];
    out.add(`${s.clusterIp}:${s.port}`);
  }
  return [...out];
}

async function timeCells(
  name: string,
  topo: Topology,
  services: number,
  from: string[],
  to: string[],
  jobs: number,
): Promise<MatrixBenchRow> {
  const t0 = performance.now();
  const runner = new CellRunner(topo, 1);
  const labMs = performance.now() - t0;
  const plan = planMatrix(runner.base, topo, { from, to, proto: 'tcp', seed: 1 });
  const cells: CellSpec[] = planCells(plan);
  const t1 = performance.now();
  const cpu0 = process.cpuUsage();
  const results = await runCellsParallel(topo, 1, cells, { jobs, runner });
  const cpu = process.cpuUsage(cpu0);
  const t2 = performance.now();
  const tally: Record<string, number> = {};
  for (const c of results) tally[c.result] = (tally[c.result] ?? 0) + 1;
  return {
    case: name,
    services,
    sources: from.length,
    destinations: to.length,
    cells: cells.length,
    jobs,
    labMs,
    wallMs: t2 - t0,
    usPerCell: ((t2 - t1) * 1000) / cells.length,
    cpuUsPerCell: (cpu.user + cpu.system) / cells.length,
    results: tally,
  };
}

export async function matrixBench(dir: string, quick: boolean): Promise<MatrixBenchRow[]> {
  const say = (s: string) => process.stderr.write(s + '\n');
  const jobs = availableParallelism();
  const rows: MatrixBenchRow[] = [];
  say('matrix of the kube-proxy lab...');
  const kube = load(join(TOPOLOGIES, 'kube-proxy.yaml'));
  const kubePlan = planMatrix(new CellRunner(kube, 1).base, kube, { from: null, to: null, proto: 'tcp', seed: 1 });
  const kubeTo = kubePlan.to.map(destinationText);
  for (const j of [1, jobs]) rows.push(await timeCells('kube-proxy.yaml, every source × --to auto', kube, 3, kubePlan.from, kubeTo, j));

  const sizes = quick ? [200, 1000] : [1000, 5000];
  for (const n of sizes) {
    const gen = generateKubeProxyRules(n, { endpointsPerService: 2, nodePorts: 10, seed: 1 });
    const rules = join(dir, `matrix-kube-${n}.rules`);
    writeFileSync(rules, gen.text);
    const file = join(dir, `matrix-kube-${n}.yaml`);
    writeFileSync(file, matrixLabYaml(rules, 46));
    const topo = load(file);
    const sources = ['client', 'node', 'node/svc0-a', 'node/svc0-b', ...Array.from({ length: 46 }, (_, i) => `node/c${i + 1}`)];
    const big = n === sizes[sizes.length - 1];
    const to = serviceSample(gen.services, quick ? 40 : 200);
    // The per-cell cost on one thread, on the same cells at each size.
    say(`matrix at ${n} Services, one thread...`);
    rows.push(await timeCells(`${n} Services, 8 sources × 25 destinations`, topo, n, sources.slice(0, 8), to.slice(0, 25), 1));
    if (big) {
      say(`matrix at ${n} Services: ${sources.length} × ${to.length} cells on ${jobs} threads...`);
      rows.push(await timeCells(`${n} Services, 50 sources × ${to.length} destinations`, topo, n, sources, to, jobs));
    }
  }
  return rows;
}

export function printMatrixBench(rows: MatrixBenchRow[]): string {
  const lines = [
    '',
    `reachability matrix (nflab matrix; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores):`,
    '  case                                                  cells  jobs   lab ms    wall s  µs/cell  CPU µs/cell',
  ];
  for (const r of rows)
    lines.push(
      `  ${r.case.padEnd(52)} ${String(r.cells).padStart(6)} ${String(r.jobs).padStart(5)} ${r.labMs.toFixed(0).padStart(8)} ${(r.wallMs / 1000).toFixed(2).padStart(9)} ${r.usPerCell.toFixed(0).padStart(8)} ${r.cpuUsPerCell.toFixed(0).padStart(12)}`,
    );
  const ten = rows.find((r) => r.cells >= 10_000);
  if (ten)
    lines.push(
      `  target: 10,000 cells in under 10 s on 2 cores: ${(ten.wallMs / 1000).toFixed(2)} s on ${ten.jobs} (${ten.wallMs < 10_000 ? 'met' : 'not met'})`,
    );
  const flat = rows.filter((r) => r.jobs === 1 && r.services >= 200);
  if (flat.length >= 2)
    lines.push(
      `  per-cell cost at ${flat[flat.length - 1].services} Services / at ${flat[0].services}: ${(flat[flat.length - 1].usPerCell / flat[0].usPerCell).toFixed(2)}× wall, ${(flat[flat.length - 1].cpuUsPerCell / flat[0].cpuUsPerCell).toFixed(2)}× CPU`,
    );
  return lines.join('\n') + '\n';
}

/**
 * The matrix part of `npm run bench` (run.ts calls it after its own cases;
 * `--matrix-only` runs it alone): prints its table and adds `matrix` to the
 * JSON file run.ts wrote (`--out`, default ./bench-results.json).
 */
export async function matrixBenchMain(): Promise<void> {
  const i = process.argv.indexOf('--out');
  const out = resolve((i >= 0 ? process.argv[i + 1] : undefined) ?? 'bench-results.json');
  const dir = mkdtempSync(join(tmpdir(), 'nflab-bench-matrix-'));
  try {
    const rows = await matrixBench(dir, process.argv.includes('--quick'));
    const json = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>) : {};
    writeFileSync(out, JSON.stringify({ ...json, matrix: rows }, null, 2) + '\n');
    process.stdout.write(printMatrixBench(rows));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
