/** The benchmark's table and the speed targets it checks (docs/bench.md lists them), from the measured results. */
import type { BenchResults } from './run.js';

export interface TargetRow {
  target: string;
  measured: string;
  met: boolean | null;
}

const f = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const i = (n: number) => Math.round(n).toLocaleString('en-US');

export function targetRows(r: BenchResults): TargetRow[] {
  const rows: TargetRow[] = [];
  const big = r.load[r.load.length - 1];
  if (big) {
    const limit = big.kernelRestoreMs !== null ? big.kernelRestoreMs / 10 : 350;
    rows.push({
      target: `${i(big.rules)} rules: load+compile+save ≤ kernel restore / 10 (${big.kernelRestoreMs !== null ? `${i(limit)} ms` : '≈350 ms, kernel not measured'})`,
      measured: `${i(big.totalMs)} ms`,
      met: big.totalMs <= limit,
    });
  }
  if (r.insert)
    rows.push({
      target: `insert one rule into ${i(r.insert.tableRules)} rules ≤ 1 ms`,
      measured: `${f(r.insert.insertMs, 3)} ms`,
      met: r.insert.insertMs <= 1,
    });
  const c = r.connections;
  if (c.length >= 2) {
    const ratio = c[0].connPerSec / c[c.length - 1].connPerSec;
    rows.push({
      target: `new connection at ${i(c[c.length - 1].services)} Services ≤ 2× the cost at ${i(c[0].services)}`,
      measured: `${f(ratio, 2)}×`,
      met: ratio <= 2,
    });
  }
  const w = r.walks[r.walks.length - 1];
  if (w)
    rows.push({
      target: '≥ 1,000,000 rule-chain traversals/s on established traffic',
      measured: `${i(w.establishedWalksPerSec)}/s`,
      met: w.establishedWalksPerSec >= 1e6,
    });
  if (r.bigLab) {
    rows.push({
      target: `${i(r.bigLab.hosts)}-host lab loads in < 2 s`,
      measured: `${i(r.bigLab.loadMs)} ms`,
      met: r.bigLab.loadMs < 2000,
    });
    rows.push({
      target: `${i(r.bigLab.hosts)}-host lab in < 1 GiB`,
      measured: `${i(r.bigLab.heapMiB)} MiB heap, ${i(r.bigLab.rssMiB)} MiB RSS`,
      met: r.bigLab.rssMiB < 1024,
    });
  }
  return rows;
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((s, c) => (c === 0 ? s.padEnd(w[c]) : s.padStart(w[c]))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

export function printTable(r: BenchResults): string {
  let out = `nflab bench — Node ${r.machine.node}, ${r.machine.cpus} × ${r.machine.cpuModel}\n\n`;
  out += '1. kube-proxy rule sets: iptables-restore + iptables-save in nflab, iptables-restore in the kernel\n';
  out += table(
    ['Services', 'rules', 'restore ms', 'save ms', 'total ms', 'exact', 'kernel ms', 'nflab/kernel'],
    r.load.map((l) => [
      i(l.services),
      i(l.rules),
      f(l.restoreMs),
      f(l.saveMs),
      f(l.totalMs),
      l.roundTripExact ? 'yes' : 'NO',
      l.kernelRestoreMs === null ? `- (${l.kernelNote})` : f(l.kernelRestoreMs),
      l.ratio === null ? '-' : f(l.ratio, 2),
    ]),
  );
  out += '\n2./3. a NodePort connection (whole lab) and raw chain walks (runTable only)\n';
  out += table(
    ['Services', 'rules', 'lab load ms', 'conn/s', 'µs/conn', 'NodePort SYN walks/s', 'established walks/s'],
    r.connections.map((c, k) => [
      i(c.services),
      i(c.rules),
      f(c.labLoadMs),
      i(c.connPerSec),
      f(c.usPerConn),
      i(r.walks[k]?.newConnWalksPerSec ?? 0),
      i(r.walks[k]?.establishedWalksPerSec ?? 0),
    ]),
  );
  if (r.insert)
    out += `\n4. one rule inserted into ${i(r.insert.tableRules)} rules: ${f(r.insert.insertMs, 3)} ms (deleting it again: ${f(r.insert.deleteMs, 3)} ms)\n`;
  if (r.bigLab) {
    const b = r.bigLab;
    out += `\n5. lab of ${i(b.hosts)} hosts, ${i(b.nodes)} namespaces: load ${i(b.loadMs)} ms, heap +${i(b.heapMiB)} MiB (RSS ${i(b.rssMiB)} MiB), ${i(b.eventsPerSec)} events/s (${i(b.events)} events)\n`;
  }
  if (r.conntrack)
    out += `\n6. conntrack: ${f(r.conntrack.bytesPerEntry, 0)} bytes per entry at ${i(r.conntrack.entries)} connections (${i(r.conntrack.insertPerSec)} new flows/s)\n`;
  out += '\nTargets\n';
  out += table(
    ['target', 'measured', 'met'],
    targetRows(r).map((t) => [t.target, t.measured, t.met === null ? '-' : t.met ? 'yes' : 'NO']),
  );
  return out;
}
