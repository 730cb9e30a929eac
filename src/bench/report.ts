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
  rows.push(...modeTargets(r));
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

/** The nftables-mode targets of issue 17, at the biggest size measured. */
function modeTargets(r: BenchResults): TargetRow[] {
  const rows: TargetRow[] = [];
  const nft = (r.modes ?? []).filter((m) => m.mode === 'nftables');
  const big = nft[nft.length - 1];
  if (!big) return rows;
  const ipt = (r.modes ?? []).find((m) => m.mode === 'iptables' && m.services === big.services);
  const n = i(big.services);
  const kl = big.kernel?.loadMs ?? null;
  rows.push({
    target: `nft full load, ${n} Services, whole process ≤ kernel nft -f / 20 (${kl === null ? 'kernel not measured' : `${i(kl / 20)} ms`})`,
    measured: `${i(big.processMs ?? big.loadMs)} ms (in process ${i(big.loadMs)} ms)`,
    met: kl === null ? null : (big.processMs ?? big.loadMs) <= kl / 20,
  });
  rows.push({ target: `nft add one Service at ${n} ≤ 1 ms`, measured: `${f(big.addMs, 3)} ms`, met: big.addMs <= 1 });
  rows.push({ target: `nft delete one Service at ${n} ≤ 1 ms`, measured: `${f(big.deleteMs, 3)} ms`, met: big.deleteMs <= 1 });
  const c = (r.modeConns ?? []).filter((x) => x.mode === 'nftables');
  const small = c[0];
  const large = c[c.length - 1];
  if (small && large && large.services > small.services)
    for (const [what, key] of [
      ['ClusterIP', 'clusterIpUs'],
      ['NodePort', 'nodePortUs'],
    ] as const) {
      const ratio = large[key] / small[key];
      rows.push({
        target: `nft new connection via ${what} at ${i(large.services)} ≤ 1.2× the cost at ${i(small.services)}`,
        measured: `${f(ratio, 2)}×`,
        met: ratio <= 1.2,
      });
    }
  if (ipt)
    rows.push({
      target: `nft ruleset memory at ${n} < iptables mode's (${f(ipt.heapMiB)} MiB)`,
      measured: `${f(big.heapMiB)} MiB`,
      met: big.heapMiB < ipt.heapMiB,
    });
  return rows;
}

function modesTable(r: BenchResults): string {
  const ms = (x: number | null | undefined, d = 1) => (x === null || x === undefined ? '-' : f(x, d));
  let out = '\n7. kube-proxy, iptables mode beside nftables mode (nflab in process; kernel in a namespace, same run)\n';
  out += table(
    [
      'Services',
      'mode',
      'rules',
      'load ms',
      'process ms',
      'add ms',
      'delete ms',
      'recompile ms',
      'heap MiB',
      'kernel load',
      'kernel add',
      'kernel del',
    ],
    (r.modes ?? []).map((m) => [
      i(m.services),
      m.mode,
      i(m.rules),
      f(m.loadMs),
      ms(m.processMs),
      f(m.addMs, 3),
      f(m.deleteMs, 3),
      ms(m.firstPacketMs, 3),
      f(m.heapMiB),
      m.kernel ? f(m.kernel.loadMs) : `- (${m.kernelNote ?? '?'})`,
      m.kernel ? f(m.kernel.addMs) : '-',
      m.kernel ? f(m.kernel.deleteMs) : '-',
    ]),
  );
  out += '\n8. a new connection (handshake, a line echoed, close) in a whole lab: CPU µs per connection\n';
  const conns = r.modeConns ?? [];
  const sizes = [...new Set(conns.map((c) => c.services))];
  out += table(
    ['Services', 'iptables ClusterIP', 'iptables NodePort', 'nftables ClusterIP', 'nftables NodePort'],
    sizes.map((n) => {
      const a = conns.find((c) => c.services === n && c.mode === 'iptables');
      const b = conns.find((c) => c.services === n && c.mode === 'nftables');
      return [i(n), ms(a?.clusterIpUs), ms(a?.nodePortUs), ms(b?.clusterIpUs), ms(b?.nodePortUs)];
    }),
  );
  return out;
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
  if (r.modes?.length) out += modesTable(r);
  if (r.machineLoad) out += `\nload average (1 min): ${f(r.machineLoad.start, 2)} at the start, ${f(r.machineLoad.end, 2)} at the end\n`;
  out += '\nTargets\n';
  out += table(
    ['target', 'measured', 'met'],
    targetRows(r).map((t) => [t.target, t.measured, t.met === null ? '-' : t.met ? 'yes' : 'NO']),
  );
  return out;
}
