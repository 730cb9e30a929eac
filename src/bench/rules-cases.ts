/**
 * Rule-engine measurements on generated kube-proxy tables: load + save (with the
 * kernel's own restore of the same file for comparison), one insertion into the
 * big table, and raw chain walks.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ruleset } from '../netfilter/rule.js';
import { runIptablesRestore } from '../netfilter/iptables/restore.js';
import { runIptables } from '../netfilter/iptables/command.js';
import { save } from '../netfilter/iptables/save.js';
import { runTable } from '../netfilter/evaluate.js';
import { makeEnv, makeSkb, tcpPacket } from '../netfilter/testing/packets.js';
import type { ConnView, CtTuple } from '../netfilter/types.js';
import { generateKubeProxyRules, type KubeProxyRules } from './kube-proxy-gen.js';
import { kernelUnavailable, timeKernelRestore } from './kernel.js';
import { median, timeIt } from './measure.js';

export const nodePortsFor = (n: number) => Math.max(1, Math.ceil(n / 10));

export function kubeRules(n: number): KubeProxyRules {
  return generateKubeProxyRules(n, { endpointsPerService: 2, nodePorts: nodePortsFor(n), seed: 1 });
}

export interface LoadResult {
  services: number;
  rules: number;
  file: string;
  restoreMs: number;
  saveMs: number;
  totalMs: number;
  roundTripExact: boolean;
  kernelRestoreMs: number | null;
  kernelNote: string | null;
  /** nflab's load + save time as a fraction of the kernel's restore. */
  ratio: number | null;
}

export function loadCase(n: number, dir: string, runs: number): { result: LoadResult; rs: Ruleset } {
  const g = kubeRules(n);
  const file = join(dir, `kube-proxy-${n}.rules`);
  writeFileSync(file, g.text);
  let rs = new Ruleset();
  const restores: number[] = [];
  const saves: number[] = [];
  let exact = true;
  for (let i = 0; i < runs; i++) {
    rs = new Ruleset();
    const fresh = rs;
    const [r, ms] = timeIt(() => runIptablesRestore(fresh, g.text));
    if (!r.ok) throw new Error(`nflab refused the generated rules: ${r.stderr}`);
    const [text, sms] = timeIt(() => save(fresh));
    exact &&= text === g.text;
    restores.push(ms);
    saves.push(sms);
  }
  const restoreMs = median(restores);
  const saveMs = median(saves);
  const why = kernelUnavailable();
  let kernelRestoreMs: number | null = null;
  let kernelNote = why;
  if (!why) {
    const k = timeKernelRestore(file, String(n));
    if (typeof k === 'string') kernelNote = k;
    else kernelRestoreMs = k.restoreMs;
  }
  const totalMs = restoreMs + saveMs;
  return {
    result: {
      services: n,
      rules: g.ruleCount,
      file,
      restoreMs,
      saveMs,
      totalMs,
      roundTripExact: exact,
      kernelRestoreMs,
      kernelNote,
      ratio: kernelRestoreMs ? totalMs / kernelRestoreMs : null,
    },
    rs,
  };
}

export interface InsertResult {
  tableRules: number;
  insertMs: number;
  deleteMs: number;
}

/** `iptables -t nat -I KUBE-SERVICES 1 ...` into the loaded table, then `-D` of it again; medians. */
export function insertCase(rs: Ruleset, tableRules: number, runs: number): InsertResult {
  const ins: number[] = [];
  const del: number[] = [];
  for (let i = 0; i < runs; i++) {
    const rule = [
      '-d',
      `10.111.${i >> 8}.${i & 255}/32`,
      '-p',
      'tcp',
      '-m',
      'comment',
      '--comment',
      `bench/new${i}:http cluster IP`,
      '-m',
      'tcp',
      '--dport',
      '80',
      '-j',
      'KUBE-MARK-MASQ',
    ];
    const [a, ams] = timeIt(() => runIptables(rs, ['-t', 'nat', '-I', 'KUBE-SERVICES', '1', ...rule]));
    if (a.exitCode !== 0) throw new Error(`insert failed: ${a.stderr}`);
    const [d, dms] = timeIt(() => runIptables(rs, ['-t', 'nat', '-D', 'KUBE-SERVICES', '1']));
    if (d.exitCode !== 0) throw new Error(`delete failed: ${d.stderr}`);
    ins.push(ams);
    del.push(dms);
  }
  return { tableRules, insertMs: median(ins), deleteMs: median(del) };
}

export interface WalkResult {
  services: number;
  /** nat PREROUTING walks per second for a NodePort SYN (all of KUBE-SERVICES, then the NodePort). */
  newConnWalksPerSec: number;
  /** filter FORWARD walks per second for a packet of an established connection. */
  establishedWalksPerSec: number;
}

const tuple = (src: number, sport: number, dst: number, dport: number): CtTuple => ({ src, dst, proto: 6, sport, dport });

/** Chain walks only (no conntrack, routing or links): what one rule-set traversal costs. */
export function walkCase(rs: Ruleset, services: number, nodeIp: string, nodePort: number, budgetMs: number): WalkResult {
  const env = makeEnv({ hook: 'PREROUTING', table: 'nat', local: [nodeIp] });
  const syn = makeSkb(tcpPacket('192.168.0.2', 40000, nodeIp, nodePort));
  const probeV = runTable(rs, 'nat', 'PREROUTING', syn, env, null);
  if (probeV !== 'ACCEPT' || env.nats.length !== 1) throw new Error('the NodePort walk did not reach DNAT');
  const newRate = rate(budgetMs, () => {
    syn.mark = 0;
    if (env.nats.length > 4096) env.nats.length = 0;
    runTable(rs, 'nat', 'PREROUTING', syn, env, null);
  });
  env.nats.length = 0;
  const fwd = makeEnv({ hook: 'FORWARD', table: 'filter', local: [nodeIp] });
  const orig = tuple(syn.pkt.src, 40000, syn.pkt.dst, nodePort);
  const ct: ConnView = {
    orig,
    reply: tuple(orig.dst, nodePort, orig.src, 40000),
    status: 0xe,
    mark: 0,
    zone: 0,
    expiresInSeconds: () => 432000,
    protoStateName: () => 'ESTABLISHED',
  };
  const est = makeSkb(tcpPacket('192.168.0.2', 40000, '10.244.0.2', 8080, 0x10), { ctState: 'ESTABLISHED', ct, outIf: 'cni0' });
  if (runTable(rs, 'filter', 'FORWARD', est, fwd, null) !== 'ACCEPT') throw new Error('established packet not accepted');
  const estRate = rate(budgetMs, () => runTable(rs, 'filter', 'FORWARD', est, fwd, null));
  return { services, newConnWalksPerSec: newRate, establishedWalksPerSec: estRate };
}

/** Calls per second of `fn`, run in batches until `budgetMs` of real time has passed. */
function rate(budgetMs: number, fn: () => void): number {
  for (let i = 0; i < 1000; i++) fn();
  let n = 0;
  let batch = 1000;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    for (let i = 0; i < batch; i++) fn();
    n += batch;
    elapsed = performance.now() - t0;
    if (elapsed < budgetMs / 10) batch *= 2;
  }
  return (n / elapsed) * 1000;
}
