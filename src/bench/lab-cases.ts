/**
 * Whole-lab measurements: connections through a kube-proxy NodePort (the
 * topology references the generated rules file), a 1,000-host lab, and the
 * memory of 100,000 conntrack entries.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDiagnostic } from '../core/diagnostic.js';
import { loadTopologyFile } from '../topology/load.js';
import { Lab } from '../lab/lab.js';
import { probe } from '../lab/testing/labs.js';
import { Conntrack } from '../netfilter/conntrack/table.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { makeSkb } from '../netfilter/testing/packets.js';
import { PROTO_TCP, TCP_SYN, type Packet } from '../packet/packet.js';
import { kubeRules } from './rules-cases.js';
import { heapUsed, timeIt } from './measure.js';

export const NODE_IP = '192.168.0.1';
export const NODE_PORT = 30000;

function buildLab(file: string): Lab {
  const t = loadTopologyFile(file);
  if (!t.ok) throw new Error(t.error.map(formatDiagnostic).join('\n'));
  const lab = Lab.build(t.value, { seed: 1, record: false });
  if (!lab.ok) throw new Error(lab.error.map(formatDiagnostic).join('\n'));
  return lab.value;
}

/** client — node (kube-proxy rules from a file) — two pods behind a bridge: service 0's endpoints. */
function nodePortTopology(dir: string, n: number): string {
  const g = kubeRules(n);
  const s0 = g.services[0];
  const rules = join(dir, `nodeport-${n}.rules`);
  writeFileSync(rules, g.text);
  const pods = s0.endpoints
    .map(
      (ep, i) => `      pod${i}:
        interfaces: { eth0: { addr: ${ep.ip}/16 } }
        routes: [ default via 10.244.0.1 ]
        listen: [ tcp:${ep.port} ]`,
    )
    .join('\n');
  const yaml = `name: nodeport-${n}
hosts:
  client:
    interfaces: { eth0: { addr: 192.168.0.2/24 } }
  node:
    sysctl: { net.ipv4.ip_forward: 1 }
    interfaces:
      eth0: { addr: ${NODE_IP}/24 }
      cni0: { kind: bridge, addr: 10.244.0.1/16 }
${s0.endpoints.map((_, i) => `      veth${i}: { master: cni0 }`).join('\n')}
    iptables: { file: nodeport-${n}.rules }
    namespaces:
${pods}
links:
  - [client:eth0, node:eth0]
${s0.endpoints.map((_, i) => `  - [node/pod${i}:eth0, node:veth${i}]`).join('\n')}
`;
  const file = join(dir, `nodeport-${n}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

export interface ConnResult {
  services: number;
  rules: number;
  labLoadMs: number;
  connections: number;
  connPerSec: number;
  usPerConn: number;
}

/** New TCP connections (SYN, handshake, one line echoed, close) from the client to NODE_IP:NODE_PORT. */
export function nodePortCase(dir: string, n: number, connections: number): ConnResult {
  const file = nodePortTopology(dir, n);
  const [lab, labLoadMs] = timeIt(() => buildLab(file));
  const one = (i: number) => {
    const r = probe(lab, 'connect', 'client', `${NODE_IP}:${NODE_PORT}`, { sport: 10000 + (i % 50000) });
    if (r.result !== 'connected') throw new Error(`connection ${i} through the NodePort: ${r.result}`);
  };
  for (let i = 0; i < 20; i++) one(i);
  const [, ms] = timeIt(() => {
    for (let i = 0; i < connections; i++) one(20 + i);
  });
  return {
    services: n,
    rules: kubeRules(n).ruleCount,
    labLoadMs,
    connections,
    connPerSec: (connections / ms) * 1000,
    usPerConn: (ms * 1000) / connections,
  };
}

export function bigLabYaml(hosts: number): string {
  const out = ['name: big-lab', 'hosts:'];
  const links: string[] = [];
  for (let h = 0; h < hosts; h++) {
    const a = h >> 8;
    out.push(`  h${h}:`);
    out.push('    sysctl: { net.ipv4.ip_forward: 1 }');
    out.push('    interfaces:');
    for (let k = 1; k <= 3; k++) out.push(`      v${k}: { addr: 172.${16 + k}.${a}.1/24 }`);
    out.push('    namespaces:');
    for (let k = 1; k <= 3; k++) {
      out.push(`      n${k}:`);
      out.push(`        interfaces: { eth0: { addr: 172.${16 + k}.${a}.2/24 } }`);
      out.push(`        routes: [ default via 172.${16 + k}.${a}.1 ]`);
      out.push('        listen: [ tcp:80 ]');
      links.push(`  - [h${h}/n${k}:eth0, h${h}:v${k}]`);
    }
  }
  out.push('links:', ...links);
  return out.join('\n') + '\n';
}

export interface BigLabResult {
  hosts: number;
  nodes: number;
  loadMs: number;
  heapMiB: number;
  rssMiB: number;
  events: number;
  eventsPerSec: number;
}

/** 1,000 hosts with 3 namespaces each (4 network namespaces per host); each host's namespaces connect to their host. */
export function bigLabCase(dir: string, hosts: number): BigLabResult {
  const file = join(dir, `big-lab-${hosts}.yaml`);
  writeFileSync(file, bigLabYaml(hosts));
  const before = heapUsed();
  const [lab, loadMs] = timeIt(() => buildLab(file));
  const heapMiB = (heapUsed() - before) / 2 ** 20;
  const rssMiB = process.memoryUsage().rss / 2 ** 20;
  const ev0 = lab.scheduler.executed;
  const [, ms] = timeIt(() => {
    for (let h = 0; h < hosts; h++)
      for (let k = 1; k <= 3; k++) {
        // To a sibling namespace of the same host, through the host's routing.
        const r = probe(lab, 'connect', `h${h}/n${k}`, `172.${16 + (k % 3) + 1}.${h >> 8}.2:80`);
        if (r.result !== 'connected') throw new Error(`h${h}/n${k}: ${r.result}`);
      }
  });
  const events = lab.scheduler.executed - ev0;
  return { hosts, nodes: lab.nodes.size, loadMs, heapMiB, rssMiB, events, eventsPerSec: (events / ms) * 1000 };
}

export interface ConntrackMemResult {
  entries: number;
  bytesPerEntry: number;
  insertPerSec: number;
}

/** 100,000 distinct TCP flows (SYN tracked and confirmed), with their expiry timers on a real scheduler. */
export function conntrackMemCase(entries: number): ConntrackMemResult {
  const timers = new Scheduler();
  const pkts: Packet[] = [];
  for (let i = 0; i < entries; i++)
    pkts.push({
      src: (10 << 24) | (i >>> 8),
      dst: (172 << 24) | 1,
      proto: PROTO_TCP,
      ttl: 64,
      tos: 0,
      id: 1,
      df: true,
      fragOffset: 0,
      moreFragments: false,
      ipOptionsLen: 0,
      tcp: { sport: 1024 + (i & 255), dport: 80, seq: 1, ack: 0, flags: TCP_SYN, window: 64240, options: {} },
      payload: new Uint8Array(0),
    });
  const before = heapUsed();
  const ct = new Conntrack({ timers, sysctl: () => undefined });
  const [, ms] = timeIt(() => {
    for (const p of pkts) {
      const skb = makeSkb(p);
      ct.inbound(skb);
      ct.confirm(skb);
    }
  });
  const bytes = heapUsed() - before;
  if (ct.count !== entries) throw new Error(`conntrack holds ${ct.count} entries, expected ${entries}`);
  return { entries, bytesPerEntry: bytes / entries, insertPerSec: (entries / ms) * 1000 };
}
