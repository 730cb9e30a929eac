/**
 * `npm run bench`: the sizes the seed article worries about (kube-proxy with
 * thousands of Services, a thousand hosts), timed on this machine, next to the
 * kernel's own iptables-restore where namespaces are available. Prints a table
 * and writes bench-results.json. Never part of the tests.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Ruleset } from '../netfilter/rule.js';
import { runIptablesRestore } from '../netfilter/iptables/restore.js';
import { save } from '../netfilter/iptables/save.js';
import { runIptables } from '../netfilter/iptables/command.js';
import { runTable } from '../netfilter/evaluate.js';
import { makeEnv, makeSkb, tcpPacket } from '../netfilter/test-support.js';
import { TCP_ACK } from '../packet/packet.js';
import { Conntrack } from '../netfilter/conntrack/table.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { loadTopologyText } from '../topology/load.js';
import { Lab } from '../lab/lab.js';
import { probe } from '../lab/test-support.js';
import { generateKubeProxyRules, type KubeService } from './kube-proxy-gen.js';

interface Row {
  what: string;
  value: number;
  unit: string;
  target?: string;
  met?: boolean;
  note?: string;
}

const rows: Row[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'nflab-bench-'));

function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

function heapMiB(): number {
  global.gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

function kernelAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('ip', ['netns', 'list']).status === 0 && spawnSync('iptables-restore', ['--version']).status === 0;
}

/** Seconds the kernel's iptables-restore takes for `file`, in a throwaway namespace (always deleted). */
function kernelRestore(file: string): number | null {
  const ns = `nflab-bench-${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', ns]);
    const t0 = performance.now();
    const r = spawnSync('ip', ['netns', 'exec', ns, 'iptables-restore', file]);
    const ms = performance.now() - t0;
    return r.status === 0 ? ms : null;
  } finally {
    spawnSync('ip', ['netns', 'delete', ns]);
  }
}

function record(r: Row): void {
  rows.push(r);
  const target = r.target ? `  (target ${r.target}: ${r.met ? 'met' : 'NOT met'})` : '';
  process.stdout.write(`${r.what.padEnd(58)} ${String(Math.round(r.value * 100) / 100).padStart(12)} ${r.unit}${target}${r.note ? `  ${r.note}` : ''}\n`);
}

const withKernel = kernelAvailable();

// 1. Loading, compiling and saving kube-proxy rule sets.
const rulesets = new Map<number, { rs: Ruleset; services: KubeService[]; file: string; rules: number }>();
for (const n of [1000, 5000, 10000]) {
  const gen = generateKubeProxyRules(n);
  const file = join(tmp, `kube-${n}.rules`);
  writeFileSync(file, gen.text);
  const rs = new Ruleset();
  const load = time(() => runIptablesRestore(rs, gen.text));
  if (!load.value.ok) throw new Error(`generated rules for ${n} Services do not load: ${load.value.stderr}`);
  const saved = time(() => save(rs, {}));
  const total = load.ms + saved.ms;
  const kernel = withKernel ? kernelRestore(file) : null;
  record({
    what: `load+compile+save ${n} Services (${gen.ruleCount} rules)`,
    value: total,
    unit: 'ms',
    ...(n === 10000 && kernel !== null ? { target: `≤ ${Math.round(kernel / 10)} ms (kernel/10)`, met: total <= kernel / 10 } : {}),
    note: kernel !== null ? `kernel iptables-restore ${Math.round(kernel)} ms, ratio ${(kernel / total).toFixed(1)}x` : 'kernel: not measured (needs root and ip netns)',
  });
  rulesets.set(n, { rs, services: gen.services, file, rules: gen.ruleCount });
}

// 4. One rule inserted into the 80,000-rule table.
{
  const big = rulesets.get(10000)!;
  const ins = time(() => runIptables(big.rs, ['-t', 'nat', '-I', 'KUBE-SERVICES', '1', '-d', '10.96.255.1/32', '-p', 'tcp', '--dport', '80', '-j', 'KUBE-MARK-MASQ']));
  if (ins.value.exitCode !== 0) throw new Error(ins.value.stderr);
  record({ what: `insert one rule into the ${big.rules}-rule table`, value: ins.ms, unit: 'ms', target: '≤ 1 ms', met: ins.ms <= 1 });
}

// 3. Rule-chain traversals per second (a new connection's nat walk, straight through runTable).
{
  const big = rulesets.get(10000)!;
  const svc = big.services[big.services.length - 1];
  const skb = makeSkb(tcpPacket('192.0.2.7', 40000, svc.clusterIp, svc.port));
  const env = makeEnv({ hook: 'PREROUTING', table: 'nat', local: ['192.0.2.1'] });
  env.nat = () => 'ACCEPT';
  const N = 2000;
  const t = time(() => {
    for (let i = 0; i < N; i++) runTable(big.rs, 'nat', 'PREROUTING', skb, env, null);
  });
  record({ what: 'nat walk to the last of 10,000 Services (KUBE-SERVICES)', value: (N / t.ms) * 1000, unit: 'walks/s' });
  const est = makeSkb(tcpPacket('192.0.2.7', 40000, svc.clusterIp, svc.port, TCP_ACK), { ctState: 'ESTABLISHED' });
  const fenv = makeEnv({ hook: 'FORWARD', table: 'filter' });
  const M = 500_000;
  const e = time(() => {
    for (let i = 0; i < M; i++) runTable(big.rs, 'filter', 'FORWARD', est, fenv, null);
  });
  record({ what: 'filter FORWARD traversals on established traffic', value: (M / e.ms) * 1000, unit: 'walks/s', target: '≥ 1,000,000/s', met: (M / e.ms) * 1000 >= 1_000_000 });
}

// 2. New connections per second through a NodePort, on a lab.
function nodePortLab(n: number): { lab: Lab; nodePort: number } {
  const { file, services } = rulesets.get(n) ?? (() => {
    const gen = generateKubeProxyRules(n);
    const f = join(tmp, `kube-${n}.rules`);
    writeFileSync(f, gen.text);
    return { file: f, services: gen.services };
  })();
  const svc = services[0];
  const yaml = `
name: nodeport-${n}
hosts:
  client:
    interfaces: { eth0: { addr: 192.0.2.10/24 } }
    routes: [ default via 192.0.2.1 ]
  node:
    sysctl: { net.ipv4.ip_forward: 1 }
    interfaces:
      eth0: { addr: 192.0.2.1/24 }
      eth1: { addr: 10.244.255.1/16 }
    iptables: { file: ${file} }
  pods:
    interfaces: { eth0: { addr: [${svc.endpoints.map((e) => `${e.ip}/16`).join(', ')}] } }
    routes: [ default via 10.244.255.1 ]
    listen: [ tcp:${svc.endpoints[0].port} ]
links: [ [client:eth0, node:eth0], [node:eth1, pods:eth0] ]
`;
  const t = loadTopologyText(yaml, `<nodeport-${n}>`, tmp);
  if (!t.ok) throw new Error(JSON.stringify(t.error));
  const lab = Lab.build(t.value, { seed: 1, record: false });
  if (!lab.ok) throw new Error(JSON.stringify(lab.error));
  return { lab: lab.value, nodePort: svc.nodePort! };
}

const perConnection = new Map<number, number>();
for (const n of [10, 1000, 10000]) {
  const { lab, nodePort } = nodePortLab(n);
  const first = probe(lab, 'connect', 'client', `192.0.2.1:${nodePort}`);
  if (first.result !== 'connected') throw new Error(`NodePort at ${n} Services: ${first.result}`);
  const N = 300;
  const t = time(() => {
    for (let i = 0; i < N; i++) probe(lab, 'connect', 'client', `192.0.2.1:${nodePort}`);
  });
  perConnection.set(n, t.ms / N);
  const ratio = n === 10000 ? (t.ms / N) / perConnection.get(10)! : null;
  record({
    what: `new connections through a NodePort, ${n} Services`,
    value: (N / t.ms) * 1000,
    unit: 'conn/s',
    ...(ratio !== null ? { target: 'cost ≤ 2x that at 10 Services', met: ratio <= 2, note: `cost ${ratio.toFixed(2)}x that at 10` } : {}),
  });
}

// 5. A lab of 1,000 hosts with 4 namespaces each.
{
  const lines = ['name: thousand', 'hosts:'];
  const links: string[] = [];
  for (let h = 0; h < 1000; h++) {
    const a = (h >> 8) & 255;
    const b = h & 255;
    lines.push(`  h${h}:`, '    interfaces:', `      eth0: { addr: 10.${a}.${b}.1/24 }`, '      br0: { kind: bridge, addr: 172.16.0.1/24 }');
    for (let k = 0; k < 4; k++) lines.push(`      p${k}: { master: br0 }`);
    lines.push(`    routes: [ 10.0.0.0/8 via 10.${a}.${b}.254 ]`, '    namespaces:');
    for (let k = 0; k < 4; k++) {
      lines.push(`      n${k}:`, `        interfaces: { eth0: { addr: 172.16.0.${10 + k}/24 } }`, '        routes: [ default via 172.16.0.1 ]', '        listen: [ tcp:80 ]');
      links.push(`  - [h${h}/n${k}:eth0, h${h}:p${k}]`);
    }
    lines.push(`  r${h}:`, '    sysctl: { net.ipv4.ip_forward: 1 }', `    interfaces: { eth0: { addr: 10.${a}.${b}.254/24 } }`);
    links.push(`  - [h${h}:eth0, r${h}:eth0]`);
  }
  const yaml = [...lines, 'links:', ...links].join('\n') + '\n';
  const before = heapMiB();
  const built = time(() => {
    const t = loadTopologyText(yaml, '<thousand>', tmp);
    if (!t.ok) throw new Error(JSON.stringify(t.error.slice(0, 3)));
    const lab = Lab.build(t.value, { seed: 1, record: false });
    if (!lab.ok) throw new Error(JSON.stringify(lab.error.slice(0, 3)));
    return lab.value;
  });
  const mem = heapMiB() - before;
  record({ what: '1,000 hosts x 4 namespaces (+1,000 routers): load', value: built.ms, unit: 'ms', target: '< 2000 ms', met: built.ms < 2000 });
  record({ what: '1,000 hosts x 4 namespaces: memory', value: mem, unit: 'MiB', target: '< 1024 MiB', met: mem < 1024 });
  const lab = built.value;
  const ev0 = lab.scheduler.executed;
  const t = time(() => {
    for (let h = 0; h < 200; h++) probe(lab, 'connect', `h${h}/n0`, '172.16.0.11:80');
  });
  record({ what: '1,000-host lab: events per second (200 connections)', value: ((lab.scheduler.executed - ev0) / t.ms) * 1000, unit: 'events/s' });
}

// 6. Memory per conntrack entry at 100,000 connections.
{
  const timers = new Scheduler();
  const ct = new Conntrack({ timers, sysctl: () => undefined });
  const before = heapMiB();
  const N = 100_000;
  for (let i = 0; i < N; i++) {
    const skb = makeSkb(tcpPacket(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 1024 + (i % 60000), '192.0.2.1', 80));
    ct.inbound(skb, 0);
    ct.confirm(skb);
  }
  const mem = heapMiB() - before;
  record({ what: `conntrack: memory per entry at ${N.toLocaleString('en')} connections`, value: (mem * 2 ** 20) / N, unit: 'bytes', note: `${ct.entries().length} entries` });
}

const out = join(process.cwd(), 'bench-results.json');
writeFileSync(out, JSON.stringify({ machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, kernelCompared: withKernel, rows }, null, 2) + '\n');
process.stdout.write(`\nwrote ${out}\n`);
