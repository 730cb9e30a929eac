/**
 * A seeded generator of small labs and the steps run on them: 2 to 5 nodes
 * (a pair, a router, two routers, a bridge with namespaces behind it), policy
 * routing, random sysctls, filter/mangle/nat rules (DNAT, SNAT, MASQUERADE,
 * REDIRECT, NETMAP, marks, REJECT variants), probes (connect, send, ping; uid,
 * src, sport) and exec steps that add and delete rules between probes. The
 * same seed and index always give the same scenario.
 */
import { Rng } from '../../../src/core/rng.js';
import type { CaseStep, DiffCase, ProbeSpec } from '../model.js';
import { CHAINS, cloneLab, type GenLab, type GenNode, type GenRule, renderTopology, type TableName } from './lab-model.js';
import { nftExec, randomNft } from './generate-nft.js';
import { addrOf, allAddrs, ifNames, Pick, subnets } from './pick.js';

export interface GenScenario {
  name: string;
  lab: GenLab;
  steps: CaseStep[];
}

const LISTEN = ['tcp:80', 'tcp:8080', 'udp:53'];

function node(name: string, ifaces: GenNode['ifaces'], routes: string[] = []): GenNode {
  return { name, ifaces, routes, ipRules: [], sysctl: {}, listen: [...LISTEN], rules: [] };
}

const eth = (name: string, ...addrs: string[]) => ({ name, addrs });

/** The lab's shape: which nodes, which addresses, which routes. Routers forward unless a sysctl says otherwise. */
function shape(p: Pick, name: string): { lab: GenLab; routers: string[] } {
  const client = node('client', [eth('eth0', '10.0.1.2/24', '10.0.1.3/24')], ['default via 10.0.1.1']);
  switch (p.int(0, 3)) {
    case 0:
      return {
        lab: {
          name,
          nodes: [{ ...client, routes: [] }, node('server', [eth('eth0', '10.0.1.1/24')])],
          links: [['client:eth0', 'server:eth0']],
        },
        routers: [],
      };
    case 1: {
      const nodes = [
        client,
        node('router', [eth('eth0', '10.0.1.1/24'), eth('eth1', '10.0.2.1/24')]),
        node('server', [eth('eth0', '10.0.2.2/24')], ['default via 10.0.2.1']),
      ];
      const links: Array<[string, string]> = [
        ['client:eth0', 'router:eth0'],
        ['router:eth1', 'server:eth0'],
      ];
      if (p.chance(0.4)) {
        nodes[1].ifaces.push(eth('eth2', '10.0.4.1/24'));
        nodes.push(node('server2', [eth('eth0', '10.0.4.2/24')], ['default via 10.0.4.1']));
        links.push(['router:eth2', 'server2:eth0']);
      }
      return { lab: { name, nodes, links }, routers: ['router'] };
    }
    case 2:
      return {
        lab: {
          name,
          nodes: [
            client,
            node('r1', [eth('eth0', '10.0.1.1/24'), eth('eth1', '10.0.3.1/24')], ['10.0.2.0/24 via 10.0.3.2']),
            node('r2', [eth('eth0', '10.0.3.2/24'), eth('eth1', '10.0.2.1/24')], ['10.0.1.0/24 via 10.0.3.1']),
            node('server', [eth('eth0', '10.0.2.2/24')], ['default via 10.0.2.1']),
          ],
          links: [
            ['client:eth0', 'r1:eth0'],
            ['r1:eth1', 'r2:eth0'],
            ['r2:eth1', 'server:eth0'],
          ],
        },
        routers: ['r1', 'r2'],
      };
    default: {
      const hub = node('hub', [
        eth('eth0', '10.0.1.1/24'),
        { name: 'br0', kind: 'bridge', addrs: ['172.16.0.1/24'] },
        { name: 'pa', master: 'br0', addrs: [] },
      ]);
      const nodes = [client, hub, node('hub/a', [eth('eth0', '172.16.0.2/24')], ['default via 172.16.0.1'])];
      const links: Array<[string, string]> = [
        ['client:eth0', 'hub:eth0'],
        ['hub/a:eth0', 'hub:pa'],
      ];
      if (p.chance(0.6)) {
        hub.ifaces.push({ name: 'pb', master: 'br0', addrs: [] });
        nodes.push(node('hub/b', [eth('eth0', '172.16.0.3/24')], ['default via 172.16.0.1']));
        links.push(['hub/b:eth0', 'hub:pb']);
      }
      if (p.chance(0.3)) {
        hub.ifaces.push(eth('eth1', '10.0.4.1/24'));
        nodes.push(node('ext', [eth('eth0', '10.0.4.2/24')], ['default via 10.0.4.1']));
        links.push(['hub:eth1', 'ext:eth0']);
      }
      return { lab: { name, nodes, links }, routers: ['hub'] };
    }
  }
}

const INPUT_SIDE = new Set(['PREROUTING', 'INPUT', 'FORWARD']);
const OUTPUT_SIDE = new Set(['OUTPUT', 'POSTROUTING', 'FORWARD']);

/** One rule for a chain, in iptables-save's canonical spelling, with a target legal there. */
export function randomRule(p: Pick, lab: GenLab, n: GenNode, table: TableName, chain: string): GenRule {
  const m: string[] = [];
  const addr = () => (p.chance(0.7) ? `${p.one(allAddrs(lab))}/32` : p.one(subnets(lab)));
  if (p.chance(0.25)) m.push(`${p.chance(0.2) ? '! ' : ''}-s ${addr()}`);
  if (p.chance(0.25)) m.push(`${p.chance(0.2) ? '! ' : ''}-d ${addr()}`);
  if (INPUT_SIDE.has(chain) && p.chance(0.15)) m.push(`-i ${p.one(ifNames(n))}`);
  if (OUTPUT_SIDE.has(chain) && p.chance(0.15)) m.push(`-o ${p.one(ifNames(n))}`);
  const proto = p.one(['tcp', 'tcp', 'udp', 'icmp', null] as const);
  if (proto !== null) m.push(`-p ${proto}`);
  if ((proto === 'tcp' || proto === 'udp') && p.chance(0.6))
    m.push(`-m ${proto} --dport ${p.one(proto === 'tcp' ? [80, 8080, 81] : [53, 54])}`);
  if (proto === 'icmp' && p.chance(0.4)) m.push(`-m icmp --icmp-type ${p.one([8, 0])}`);
  if (p.chance(0.12)) m.push(`-m conntrack --ctstate ${p.one(['NEW', 'ESTABLISHED', 'RELATED,ESTABLISHED', 'INVALID'])}`);
  if (p.chance(0.1)) m.push('-m mark --mark 0x1');
  if ((chain === 'OUTPUT' || chain === 'POSTROUTING') && p.chance(0.15)) m.push('-m owner --uid-owner 1000');
  if (p.chance(0.08)) m.push(`-m addrtype --dst-type ${p.one(['LOCAL', 'UNICAST'])}`);
  const ported = proto === 'tcp' || proto === 'udp';
  let target: string;
  if (table === 'filter') {
    const rejects = ['icmp-port-unreachable', 'icmp-host-prohibited', 'icmp-admin-prohibited', 'icmp-net-unreachable'];
    if (proto === 'tcp') rejects.push('tcp-reset');
    target = p.one(['ACCEPT', 'DROP', 'DROP', `REJECT --reject-with ${p.one(rejects)}`, `REJECT --reject-with ${p.one(rejects)}`]);
  } else if (table === 'mangle') {
    target = p.one([
      'MARK --set-xmark 0x1/0xffffffff',
      'MARK --set-xmark 0x1/0xffffffff',
      'CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff',
      'CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff',
      'ACCEPT',
      'DROP',
    ]);
  } else if (chain === 'PREROUTING' || chain === 'OUTPUT') {
    const to = p.one(allAddrs(lab));
    target = p.one([
      `DNAT --to-destination ${to}${ported && p.chance(0.5) ? `:${p.one(proto === 'tcp' ? [80, 8080] : [53])}` : ''}`,
      `DNAT --to-destination ${to}`,
      ported ? `REDIRECT --to-ports ${p.one(proto === 'tcp' ? [80, 8080] : [53])}` : 'REDIRECT',
      `NETMAP --to ${p.one(subnets(lab))}`,
      'ACCEPT',
      'RETURN',
    ]);
  } else {
    const own = n.ifaces.flatMap((i) => i.addrs.map(addrOf));
    target = p.one([
      `SNAT --to-source ${p.one(own.length ? own : allAddrs(lab))}`,
      chain === 'POSTROUTING' ? 'MASQUERADE' : `SNAT --to-source ${p.one(allAddrs(lab))}`,
      `NETMAP --to ${p.one(subnets(lab))}`,
      'ACCEPT',
    ]);
  }
  return { table, chain, spec: [...m, `-j ${target}`].join(' ') };
}

function randomChainRule(p: Pick, lab: GenLab, n: GenNode): GenRule {
  const table = p.one(['filter', 'filter', 'nat', 'nat', 'mangle'] as const);
  return randomRule(p, lab, n, table, p.one(CHAINS[table]));
}

function sysctls(p: Pick, lab: GenLab, routers: readonly string[]): void {
  for (const n of lab.nodes) {
    const router = routers.includes(n.name);
    if (router) n.sysctl['net.ipv4.ip_forward'] = p.chance(0.88) ? '1' : '0';
    if (p.chance(0.2)) n.sysctl['net.ipv4.conf.all.rp_filter'] = String(p.int(1, 2));
    if (p.chance(0.12)) n.sysctl['net.ipv4.conf.all.route_localnet'] = '1';
    if (n.ifaces.some((i) => i.kind === 'bridge')) n.sysctl['net.bridge.bridge-nf-call-iptables'] = p.chance(0.5) ? '1' : '0';
  }
}

/** Policy routing: a router sends marked packets by table 100, or the client's second address by table 100. */
function policy(p: Pick, lab: GenLab, routers: readonly string[]): void {
  if (routers.length && p.chance(0.3)) {
    const name = p.one(routers);
    const r = lab.nodes.find((n) => n.name === name)!;
    r.ipRules.push('fwmark 0x1 lookup 100');
    r.routes.push(`${p.one(['unreachable', 'blackhole', 'prohibit'])} ${p.one(subnets(lab))} table 100`);
    const marked = randomRule(p, lab, r, 'mangle', 'PREROUTING');
    r.rules.push({ ...marked, spec: marked.spec.replace(/-j .*$/, '-j MARK --set-xmark 0x1/0xffffffff') });
  }
  const client = lab.nodes.find((n) => n.name === 'client')!;
  if (p.chance(0.2)) {
    client.ipRules.push('from 10.0.1.3 lookup 100');
    client.routes.push(p.one(['unreachable default table 100', 'prohibit default table 100', 'blackhole 10.0.0.0/8 table 100']));
  }
}

function randomProbe(p: Pick, lab: GenLab, used: Set<string>, nextPort: () => number): ProbeSpec {
  const kind = p.one(['connect', 'connect', 'send', 'send', 'ping'] as const);
  const from = p.chance(0.6) ? 'client' : p.one(lab.nodes).name;
  const dst = p.chance(0.06) ? '127.0.0.1' : p.chance(0.04) ? '10.0.2.99' : p.one(allAddrs(lab));
  const probe: ProbeSpec = { kind, from, to: dst };
  if (kind === 'connect') probe.to = `${dst}:${p.one([80, 80, 8080, 81])}`;
  if (kind === 'send') probe.to = `${dst}:${p.one([53, 53, 54])}`;
  // A ping as another uid would need the unprivileged ICMP socket the exported client does not use.
  const asUser = p.chance(0.15);
  if (asUser && kind !== 'ping') probe.uid = 1000;
  if (from === 'client' && p.chance(0.2)) probe.src = '10.0.1.3';
  // The kernel picks ephemeral ports by a keyed hash and may reuse the port of a closed
  // connection to the same place, meeting its TIME_WAIT entry; a repeated probe gets its own port.
  const key = `${from} ${kind} ${probe.to} ${probe.src ?? ''}`;
  if (kind !== 'ping' && (p.chance(0.25) || used.has(key))) probe.sport = nextPort();
  used.add(key);
  return probe;
}

function randomExec(p: Pick, lab: GenLab, nft: boolean): CaseStep {
  const n = p.one(lab.nodes);
  if (nft && p.chance(0.4)) return nftExec(p, lab, n);
  const roll = p.int(0, 9);
  if (roll < 5) {
    const r = randomChainRule(p, lab, n);
    n.rules.push(r);
    return { kind: 'exec', on: n.name, cmd: `iptables -t ${r.table} ${p.chance(0.5) ? `-I ${r.chain}` : `-A ${r.chain}`} ${r.spec}` };
  }
  if (roll < 8 && n.rules.length) {
    const r = p.one(n.rules);
    n.rules.splice(n.rules.indexOf(r), 1);
    return { kind: 'exec', on: n.name, cmd: `iptables -t ${r.table} -D ${r.chain} ${r.spec}` };
  }
  if (roll < 9) return { kind: 'exec', on: n.name, cmd: 'conntrack -F' };
  return { kind: 'exec', on: n.name, cmd: `sysctl -w net.ipv4.conf.all.rp_filter=${p.int(0, 2)}` };
}

export interface GenOptions {
  /** Draw native nftables tables on nodes too (a stream of its own: `nft-SEED-INDEX`). */
  nft?: boolean;
}

/** Scenario `index` of the run seeded with `seed`. The iptables-only stream draws exactly as before the nft flavour existed. */
export function generateScenario(seed: number, index: number, o: GenOptions = {}): GenScenario {
  const nft = o.nft === true;
  const p = new Pick(new Rng(seed).fork(`${nft ? 'nft ' : ''}scenario ${index}`));
  const name = `${nft ? 'nft' : 'fuzz'}-${seed}-${index}`;
  const { lab, routers } = shape(p, name);
  sysctls(p, lab, routers);
  policy(p, lab, routers);
  for (let i = p.int(0, 5); i > 0; i--) {
    const n = p.one(lab.nodes);
    n.rules.push(randomChainRule(p, lab, n));
  }
  if (nft) randomNft(p, lab, routers);
  const initial = cloneLab(lab);
  // Exec steps change `lab` (the rules as they stand); the topology is the lab as it started.
  const steps: CaseStep[] = [];
  const used = new Set<string>();
  let port = 40000 + p.int(0, 50) * 10;
  for (let i = p.int(2, 6); i > 0; i--) {
    if (steps.length && p.chance(0.35)) steps.push(randomExec(p, lab, nft));
    steps.push(randomProbe(p, lab, used, () => port++));
  }
  return { name, lab: initial, steps };
}

export function scenarioCase(s: GenScenario): DiffCase {
  return {
    name: s.name,
    covers: [s.name.startsWith('nft-') ? 'scenario fuzzer (nftables)' : 'scenario fuzzer'],
    topology: renderTopology(s.lab),
    steps: s.steps,
    conntrackEveryProbe: true,
    synackRetries: 0,
    settleArp: true,
  };
}
