/**
 * kube-proxy in nftables mode beside iptables mode, in nflab and in the kernel:
 * full load, the partial sync that adds one Service, the one that deletes one,
 * a new connection through a ClusterIP and through a NodePort, and memory.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDiagnostic } from '../core/diagnostic.js';
import { Lab } from '../lab/lab.js';
import { probe } from '../lab/testing/labs.js';
import { runIptablesRestore } from '../netfilter/iptables/restore.js';
import { Ruleset } from '../netfilter/rule.js';
import { emptyRuleset } from '../nftables/ast.js';
import { runNftCommand } from '../nftables/command.js';
import { loadNftables, NftNode } from '../nftables/node-state.js';
import { runNft } from '../nftables/txn.js';
import { loadTopologyFile } from '../topology/load.js';
import { timeKernelSteps } from './kernel.js';
import { addOneService, deleteOneService, kubeProxyNftRules, nftService } from './kube-proxy-nft-gen.js';
import { heapUsed, median, timeIt } from './measure.js';
import { kubeRules } from './rules-cases.js';

export type Mode = 'iptables' | 'nftables';

export interface ModeRow {
  mode: Mode;
  services: number;
  rules: number;
  /** nflab, in process: parse and apply the full sync. */
  loadMs: number;
  /** nflab, a whole `node` process that reads the file and loads it (nftables only). */
  processMs: number | null;
  addMs: number;
  deleteMs: number;
  /** The first packet after a change: what recompiling costs (nftables only). */
  firstPacketMs: number | null;
  heapMiB: number;
  kernel: { loadMs: number; addMs: number; deleteMs: number } | null;
  kernelNote: string | null;
}

export interface ConnRow {
  mode: Mode;
  services: number;
  clusterIpUs: number;
  nodePortUs: number;
}

/** kube-proxy's iptables-mode partial restore that adds Service `n` to a node with Services 0..n-1. */
export function iptablesAddService(n: number): string {
  const g = kubeRules(n + 1);
  const s = g.services[n];
  const own = new Set([s.svcChain, ...s.sepChains, ...(s.extChain ? [s.extChain] : [])]);
  const lines = ['*nat', ...[...own].sort().map((c) => `:${c} - [0:0]`)];
  for (const l of g.text.split('\n')) {
    const chain = l.startsWith('-A ') ? l.slice(3, l.indexOf(' ', 3)) : '';
    if (own.has(chain)) lines.push(l);
    // KUBE-SERVICES ends with the jump to KUBE-NODEPORTS, so the new Service's rule goes first.
    else if (chain === 'KUBE-SERVICES' && l.includes(` -j ${s.svcChain}`)) lines.push(l.replace('-A KUBE-SERVICES', '-I KUBE-SERVICES 1'));
    else if (chain === 'KUBE-NODEPORTS' && s.extChain && l.includes(` -j ${s.extChain}`)) lines.push(l);
  }
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

/** The partial restore that removes Service `i`: its jumps deleted, its chains flushed and deleted. */
export function iptablesDeleteService(text: string, services: ReturnType<typeof kubeRules>['services'], i: number): string {
  const s = services[i];
  const own = [s.svcChain, ...(s.extChain ? [s.extChain] : []), ...s.sepChains];
  const lines = ['*nat', ...own.map((c) => `:${c} - [0:0]`)];
  for (const l of text.split('\n'))
    if (
      (l.startsWith('-A KUBE-SERVICES ') && l.endsWith(` -j ${s.svcChain}`)) ||
      (s.extChain && l.startsWith('-A KUBE-NODEPORTS ') && l.endsWith(` -j ${s.extChain}`))
    )
      lines.push(l.replace('-A ', '-D '));
  for (const c of own) lines.push(`-X ${c}`);
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

/** Whole-process load: a fresh node that reads the file and applies it, as `nflab` would. */
function processLoadMs(file: string): number {
  const script = join(import.meta.dirname, 'nft-load-process.js');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [script, file], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`nft-load-process: ${r.stderr.trim()}`);
  return ms;
}

/** `noKernel`: why the kernel is not measured, or null to measure it. */
export function nftModeRow(n: number, dir: string, runs: number, noKernel: string | null): ModeRow {
  const { text } = kubeProxyNftRules(n);
  const file = join(dir, `kube-proxy-nft-${n}.nft`);
  writeFileSync(file, text);
  const loads: number[] = [];
  for (let k = 0; k < runs; k++) {
    const [r, ms] = timeIt(() => runNft(emptyRuleset(), text));
    if (!r.ok) throw new Error(`nflab refused the nft full sync: ${JSON.stringify(r.errors[0])}`);
    loads.push(ms);
  }
  const before = heapUsed();
  const node = new NftNode(() => 0);
  const errs = loadNftables(node, { text, file, lineOffset: 0 });
  if (errs.length) throw new Error(errs[0].message);
  const heapMiB = (heapUsed() - before) / 2 ** 20;
  const first = () => timeIt(() => node.program)[1];
  first();
  const adds: number[] = [];
  const dels: number[] = [];
  const firsts: number[] = [];
  for (let k = 0; k < 9; k++) {
    const addText = addOneService(n + k);
    const delText = deleteOneService((k * 997) % n, n);
    const [a, ams] = timeIt(() => runNftCommand(node, ['-f', '-'], addText));
    if (a.exitCode !== 0) throw new Error(`add one Service: ${a.stderr}`);
    firsts.push(first());
    // Services from the middle of the table, not the last one added: no shortcut for the end.
    const [d, dms] = timeIt(() => runNftCommand(node, ['-f', '-'], delText));
    if (d.exitCode !== 0) throw new Error(`delete one Service: ${d.stderr}`);
    firsts.push(first());
    adds.push(ams);
    dels.push(dms);
  }
  const row: ModeRow = {
    mode: 'nftables',
    services: n,
    rules: node.rs.tables.reduce((a, t) => a + t.chains.reduce((b, c) => b + c.rules.length, 0), 0),
    loadMs: median(loads),
    processMs: processLoadMs(file),
    addMs: median(adds),
    deleteMs: median(dels),
    firstPacketMs: median(firsts),
    heapMiB,
    kernel: null,
    kernelNote: null,
  };
  if (noKernel === null) {
    const k = timeKernelSteps(`nft${n}`, [
      { argv: ['nft', '-f', file] },
      { argv: ['nft', '-f', '-'], input: addOneService(n) },
      { argv: ['nft', '-f', '-'], input: deleteOneService(n >> 1, n) },
    ]);
    if (typeof k === 'string') row.kernelNote = k;
    else row.kernel = { loadMs: k[0], addMs: k[1], deleteMs: k[2] };
  } else row.kernelNote = noKernel;
  return row;
}

export function iptablesModeRow(n: number, dir: string, runs: number, noKernel: string | null): ModeRow {
  const g = kubeRules(n);
  const file = join(dir, `kube-proxy-ipt-${n}.rules`);
  writeFileSync(file, g.text);
  const loads: number[] = [];
  for (let k = 0; k < runs; k++) {
    const [r, ms] = timeIt(() => runIptablesRestore(new Ruleset(), g.text));
    if (!r.ok) throw new Error(`nflab refused the iptables rules: ${r.stderr}`);
    loads.push(ms);
  }
  const before = heapUsed();
  const rs = new Ruleset();
  runIptablesRestore(rs, g.text);
  const heapMiB = (heapUsed() - before) / 2 ** 20;
  const adds: number[] = [];
  const dels: number[] = [];
  const noflush = { noflush: true };
  for (let k = 0; k < 9; k++) {
    const addText = iptablesAddService(n + k);
    const [a, ams] = timeIt(() => runIptablesRestore(rs, addText, noflush));
    if (!a.ok) throw new Error(`add one Service: ${a.stderr}`);
    const del = iptablesDeleteService(g.text, g.services, (k * 997) % n);
    const [d, dms] = timeIt(() => runIptablesRestore(rs, del, noflush));
    if (!d.ok) throw new Error(`delete one Service: ${d.stderr}`);
    adds.push(ams);
    dels.push(dms);
  }
  const row: ModeRow = {
    mode: 'iptables',
    services: n,
    rules: g.ruleCount,
    loadMs: median(loads),
    processMs: null,
    addMs: median(adds),
    deleteMs: median(dels),
    firstPacketMs: null,
    heapMiB,
    kernel: null,
    kernelNote: null,
  };
  if (noKernel === null) {
    const k = timeKernelSteps(`ipt${n}`, [
      { argv: ['iptables-restore', file] },
      { argv: ['iptables-restore', '--noflush'], input: iptablesAddService(n) },
      { argv: ['iptables-restore', '--noflush'], input: iptablesDeleteService(g.text, g.services, n >> 1) },
    ]);
    if (typeof k === 'string') row.kernelNote = k;
    else row.kernel = { loadMs: k[0], addMs: k[1], deleteMs: k[2] };
  } else row.kernelNote = noKernel;
  return row;
}

const CLIENT = '192.168.0.3';

/**
 * client — node — Service 0's two pods behind a bridge. The node is 192.168.0.2, the
 * address kube-proxy's nft sync lists in nodeport-ips; the client routes everything
 * through it, so its ClusterIP traffic is DNATed in prerouting.
 */
function connTopology(dir: string, mode: Mode, n: number): { file: string; clusterIp: string; nodePort: string } {
  let rulesFile: string;
  let eps: Array<{ ip: string; port: number }>;
  let clusterIp: string;
  let nodePort: number;
  let podNet: string;
  if (mode === 'nftables') {
    rulesFile = `conn-nft-${n}.nft`;
    writeFileSync(join(dir, rulesFile), kubeProxyNftRules(n).text);
    const s = nftService(0, n);
    eps = s.endpoints.map((ip) => ({ ip, port: 80 }));
    clusterIp = `${s.clusterIp}:80`;
    nodePort = s.nodePort!;
    podNet = '10.180.0.1/16';
  } else {
    rulesFile = `conn-ipt-${n}.rules`;
    const g = kubeRules(n);
    writeFileSync(join(dir, rulesFile), g.text);
    const s = g.services[0];
    eps = s.endpoints;
    clusterIp = `${s.clusterIp}:${s.port}`;
    nodePort = s.nodePort!;
    podNet = '10.244.0.1/16';
  }
  const gw = podNet.split('/')[0];
  const yaml = `name: conn-${mode}-${n}
hosts:
  client:
    interfaces: { eth0: { addr: ${CLIENT}/24 } }
    routes: [ default via 192.168.0.2 ]
  node:
    sysctl: { net.ipv4.ip_forward: 1 }
    interfaces:
      eth0: { addr: 192.168.0.2/24 }
      cni0: { kind: bridge, addr: ${podNet} }
${eps.map((_, i) => `      veth${i}: { master: cni0 }`).join('\n')}
    ${mode === 'nftables' ? 'nftables' : 'iptables'}: { file: ${rulesFile} }
    namespaces:
${eps
  .map(
    (ep, i) => `      pod${i}:
        interfaces: { eth0: { addr: ${ep.ip}/16 } }
        routes: [ default via ${gw} ]
        listen: [ tcp:${ep.port} ]`,
  )
  .join('\n')}
links:
  - [client:eth0, node:eth0]
${eps.map((_, i) => `  - [node/pod${i}:eth0, node:veth${i}]`).join('\n')}
`;
  const file = join(dir, `conn-${mode}-${n}.yaml`);
  writeFileSync(file, yaml);
  return { file, clusterIp, nodePort: `192.168.0.2:${nodePort}` };
}

/** CPU µs per new TCP connection (handshake, a line echoed, close) through the ClusterIP and through the NodePort. */
export function connRow(dir: string, mode: Mode, n: number, connections: number): ConnRow {
  const t = connTopology(dir, mode, n);
  const topo = loadTopologyFile(t.file);
  if (!topo.ok) throw new Error(topo.error.map(formatDiagnostic).join('\n'));
  const built = Lab.build(topo.value, { seed: 1, record: false });
  if (!built.ok) throw new Error(built.error.map(formatDiagnostic).join('\n'));
  const lab = built.value;
  let sport = 10000;
  const per = (to: string): number => {
    const one = () => {
      const r = probe(lab, 'connect', 'client', to, { sport: sport++ });
      if (r.result !== 'connected') throw new Error(`${mode}, ${n} Services: connection to ${to}: ${r.result}`);
    };
    for (let i = 0; i < 50; i++) one();
    // CPU time, not wall time (on a machine shared by others the wall clock mostly measures
    // them), and the cheapest of five batches: interference only ever adds.
    const batch = Math.max(1, Math.round(connections / 5));
    let best = Infinity;
    for (let b = 0; b < 5; b++) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < batch; i++) one();
      const c = process.cpuUsage(c0);
      best = Math.min(best, (c.user + c.system) / batch);
    }
    return best;
  };
  return { mode, services: n, clusterIpUs: per(t.clusterIp), nodePortUs: per(t.nodePort) };
}
