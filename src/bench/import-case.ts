/**
 * `nflab import` of a kube-proxy node with N Services (the goal is ≤ 3 s at
 * 10,000 Services, whole process): a bundle as nflab-snapshot.sh
 * prints it for such a node, imported by the CLI as a process, timed on the wall clock.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubeRules } from './rules-cases.js';

export interface ImportResult {
  services: number;
  rules: number;
  bundleBytes: number;
  /** Wall time of `node bin/nflab.js import BUNDLE -o DIR`, milliseconds (median of the runs). */
  ms: number;
  /** Process CPU time (user + system) of the same run, milliseconds: wall time on a loaded machine says little. */
  cpuMs: number;
}

const BIN = resolve(fileURLToPath(import.meta.url), '../../../bin/nflab.js');

/** A bundle of one namespace: a node with eth0 and its kube-proxy rules, in nflab-snapshot.sh's layout. */
export function kubeNodeBundle(services: number): { text: string; rules: number } {
  const rs = kubeRules(services);
  const link = [
    { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP'], mtu: 65536, link_type: 'loopback', address: '00:00:00:00:00:00' },
    { ifindex: 2, ifname: 'eth0', flags: ['UP'], mtu: 1500, link_type: 'ether', address: '02:00:00:00:00:01' },
  ];
  const addr = [{ ...link[1], addr_info: [{ family: 'inet', local: '192.168.0.1', prefixlen: 24 }] }];
  const text = [
    '#@nflab-snapshot 1',
    '#@host kube-node',
    '#@iptables iptables v1.8.9 (nf_tables)',
    '#@ns root',
    '#@section link',
    JSON.stringify(link),
    '#@section addr',
    JSON.stringify(addr),
    '#@section route',
    JSON.stringify([{ dst: 'default', gateway: '192.168.0.254', dev: 'eth0', flags: [] }]),
    '#@section rule',
    '[]',
    '#@section sysctl',
    '/proc/sys/net/ipv4/ip_forward:1',
    '#@section iptables',
    rs.text.trimEnd(),
    '#@end',
    '',
  ].join('\n');
  return { text, rules: rs.ruleCount };
}

export function importCase(services: number, dir: string, runs: number): ImportResult {
  const { text, rules } = kubeNodeBundle(services);
  const bundle = join(dir, `kube-${services}.nflab`);
  writeFileSync(bundle, text);
  const times: Array<[number, number]> = [];
  for (let i = 0; i < runs; i++) {
    const c0 = childCpuMs();
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [BIN, 'import', bundle, '-o', join(dir, `kube-${services}-${i}`)], { encoding: 'utf8' });
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`nflab import failed: ${r.stderr}`);
    times.push([wall, childCpuMs() - c0]);
  }
  times.sort((a, b) => a[0] - b[0]);
  const [ms, cpuMs] = times[Math.floor(times.length / 2)];
  return { services, rules, bundleBytes: text.length, ms, cpuMs };
}

/** CPU time of finished children so far (getrusage RUSAGE_CHILDREN), through /proc: Node exposes only its own. */
function childCpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  // cutime and cstime are fields 16 and 17 of stat (1-based), 14 and 15 after the command name.
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLK_TCK;
}
/** USER_HZ, which Linux fixes at 100 for /proc. */
const CLK_TCK = 100;
