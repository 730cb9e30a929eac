/**
 * The nft flavour of the scenario generator: native tables on some nodes, an
 * `inet fw` or `ip fw` filter table (base chains at input, forward, output;
 * ct state, tcp/udp dport sets, accept, drop, reject, counters, now and then a
 * drop policy behind an established rule) and an `ip lb` nat table (dnat,
 * snat, masquerade, redirect at prerouting, output, postrouting), beside the
 * iptables rules the node may have at the same hooks; and exec steps that add
 * a native rule or flush a native chain between probes. Rules are written as
 * nft 1.0.6 lists them, so a listing difference is nflab's, not the spelling's.
 */
import type { CaseStep } from '../model.js';
import { addrOf, allAddrs, ifNames, type Pick, subnets } from './pick.js';
import { type GenLab, type GenNftRule, type GenNode, NFT_CHAINS, type NftTable } from './lab-model.js';

const IN_SIDE = new Set(['input', 'forward', 'prerouting']);
const OUT_SIDE = new Set(['output', 'forward', 'postrouting']);

function matches(p: Pick, lab: GenLab, n: GenNode, chain: string, nat: boolean): { m: string[]; proto: 'tcp' | 'udp' | 'icmp' | null } {
  const m: string[] = [];
  const addr = () => (p.chance(0.7) ? p.one(allAddrs(lab)) : p.one(subnets(lab)));
  if (IN_SIDE.has(chain) && p.chance(0.15)) m.push(`iifname "${p.one(ifNames(n))}"`);
  if (OUT_SIDE.has(chain) && p.chance(0.15)) m.push(`oifname "${p.one(ifNames(n))}"`);
  if (p.chance(0.25)) m.push(`ip saddr ${p.chance(0.15) ? '!= ' : ''}${addr()}`);
  if (p.chance(0.25)) m.push(`ip daddr ${p.chance(0.15) ? '!= ' : ''}${addr()}`);
  const proto = p.one(['tcp', 'tcp', 'udp', 'icmp', null] as const);
  if (proto === 'tcp') {
    const ports = p.one(['80', '8080', '81', '{ 80, 8080 }', '{ 80, 81 }']);
    m.push(p.chance(0.8) ? `tcp dport ${ports}` : 'meta l4proto tcp');
  } else if (proto === 'udp') {
    const ports = p.one(['53', '54', '{ 53, 54 }']);
    m.push(p.chance(0.8) ? `udp dport ${ports}` : 'meta l4proto udp');
  } else if (proto === 'icmp') {
    m.push(p.chance(0.5) ? `icmp type ${p.one(['echo-request', 'echo-reply'])}` : 'meta l4proto icmp');
  }
  if (!nat && p.chance(0.2)) m.push(`ct state ${p.one(['new', 'established', 'established,related', 'invalid'])}`);
  if (p.chance(0.7)) m.push('counter');
  return { m, proto };
}

/** One rule for a native base chain. */
export function randomNftRule(p: Pick, lab: GenLab, n: GenNode, table: NftTable, chain: string): GenNftRule {
  const nat = table === 'ip lb';
  const { m, proto } = matches(p, lab, n, chain, nat);
  const ported = proto === 'tcp' || proto === 'udp';
  // `dnat to A:P` and `redirect to :P` need the transport protocol in the rule before them.
  const hasL4 = ported && m.some((x) => x.startsWith(`${proto} `) || x === `meta l4proto ${proto}`);
  let verdict: string;
  if (!nat) {
    // In an inet table the ICMPv4-only spelling gets a `meta nfproto ipv4` dependency nflab does not print (a known
    // difference of the cases); icmpx is the family-neutral one.
    const icmp =
      table === 'inet fw'
        ? p.one(['port-unreachable', 'admin-prohibited', 'host-unreachable', 'no-route']).replace(/^/, 'with icmpx ')
        : p.one(['port-unreachable', 'host-unreachable', 'net-prohibited', 'admin-prohibited']).replace(/^/, 'with icmp ');
    // nft lists the default reject (port-unreachable) as a bare `reject`.
    const reject = `reject${/port-unreachable/.test(icmp) ? '' : ` ${icmp}`}`;
    const rejects = [reject, reject];
    if (proto === 'tcp' && hasL4 && !m.includes('meta l4proto tcp')) rejects.push('reject with tcp reset');
    verdict = p.one(['accept', 'drop', 'drop', ...rejects]);
  } else if (chain === 'prerouting' || chain === 'output') {
    const to = p.one(allAddrs(lab));
    const port = p.one(proto === 'tcp' ? [80, 8080] : [53]);
    verdict = p.one([
      `dnat to ${to}${hasL4 && p.chance(0.5) ? `:${port}` : ''}`,
      `dnat to ${to}`,
      hasL4 && p.chance(0.6) ? `redirect to :${port}` : 'redirect',
      'accept',
      'return',
    ]);
  } else {
    const own = n.ifaces.flatMap((i) => i.addrs.map(addrOf));
    verdict = p.one([`snat to ${p.one(own.length ? own : allAddrs(lab))}`, 'masquerade', 'masquerade', 'accept']);
  }
  return { table, chain, rule: [...m, verdict].join(' ') };
}

/** Native tables on some nodes: each such node gets a few filter rules, nat rules, or both. */
export function randomNft(p: Pick, lab: GenLab, routers: readonly string[]): void {
  let any = false;
  for (const n of lab.nodes) {
    if (!(p.chance(0.5) || (routers.includes(n.name) && p.chance(0.5)))) continue;
    any = true;
    addNftRules(p, lab, n);
  }
  if (!any) addNftRules(p, lab, p.one(lab.nodes.filter((n) => routers.includes(n.name) || n.name === 'server')));
}

function addNftRules(p: Pick, lab: GenLab, n: GenNode): void {
  n.nft ??= [];
  n.nftDrop ??= [];
  const filter: NftTable = p.chance(0.6) ? 'inet fw' : 'ip fw';
  const withFilter = p.chance(0.75);
  const withNat = !withFilter || p.chance(0.6);
  if (withFilter) {
    for (let i = p.int(1, 4); i > 0; i--) {
      const chain = p.one(Object.keys(NFT_CHAINS[filter]));
      n.nft.push(randomNftRule(p, lab, n, filter, chain));
    }
    // A drop policy as firewalls write it: established traffic first, then what is let in.
    if (p.chance(0.2)) {
      const chain = p.one(['input', 'forward']);
      n.nftDrop.push(`${filter} ${chain}`);
      n.nft.unshift({ table: filter, chain, rule: 'ct state established,related accept' });
      n.nft.push({ table: filter, chain, rule: 'tcp dport { 80, 8080 } counter accept' });
    }
  }
  if (withNat) {
    for (let i = p.int(1, 3); i > 0; i--) {
      const chain = p.one(Object.keys(NFT_CHAINS['ip lb']));
      n.nft.push(randomNftRule(p, lab, n, 'ip lb', chain));
    }
  }
}

/** An exec step on native tables: append a rule to a chain (declared or not yet), or flush a declared one. */
export function nftExec(p: Pick, lab: GenLab, n: GenNode): CaseStep {
  n.nft ??= [];
  const declared = [...new Set(n.nft.map((r) => `${r.table} ${r.chain}`))];
  if (declared.length && p.chance(0.25)) {
    const key = p.one(declared);
    n.nft = n.nft.filter((r) => `${r.table} ${r.chain}` !== key);
    return { kind: 'exec', on: n.name, cmd: `nft flush chain ${key}` };
  }
  const table = p.one(['inet fw', 'ip fw', 'ip lb'] as const);
  const chain = p.one(Object.keys(NFT_CHAINS[table]));
  const r = randomNftRule(p, lab, n, table, chain);
  const exists = n.nft.some((x) => x.table === table && x.chain === chain);
  n.nft.push(r);
  const add = `nft add rule ${table} ${chain} ${r.rule}`;
  if (exists) return { kind: 'exec', on: n.name, cmd: add };
  // A chain not there yet: make the table and the base chain in the same transaction, as a user's `nft -f` would.
  const stdin = [`add table ${table}`, `add chain ${table} ${chain} { ${NFT_CHAINS[table][chain]} policy accept; }`, add.slice(4), ''].join(
    '\n',
  );
  return { kind: 'exec', on: n.name, cmd: 'nft -f -', stdin };
}
