/**
 * A kube-proxy (iptables mode) rule set for N Services, printed as `iptables-save`
 * prints what kube-proxy loaded: built-in chains first, user chains sorted by
 * name, rules in the canonical option order the kernel gives back (compare
 * shared/corpus/_kernel-roundtrip/kubernetes/). Chain names are kube-proxy's own
 * hashes, so a generated file looks exactly like a real node's.
 */
import { createHash } from 'node:crypto';
import { Rng } from '../core/rng.js';

export interface KubeProxyGenOptions {
  endpointsPerService?: number;
  /** true: every Service is a NodePort; a number N: only the first N are. */
  nodePorts?: boolean | number;
  /** Seeds the choice of service ports; addresses are deterministic from the index. */
  seed?: number;
  /** kube-proxy's --cluster-cidr; source outside it is masqueraded. */
  clusterCidr?: string;
}

export interface KubeService {
  name: string;
  /** `ns/svc:port`, kube-proxy's ServicePortName string. */
  portName: string;
  clusterIp: string;
  port: number;
  nodePort: number | null;
  endpoints: { ip: string; port: number }[];
  svcChain: string;
  extChain: string | null;
  sepChains: string[];
}

export interface KubeProxyRules {
  text: string;
  services: KubeService[];
  /** Number of `-A` lines in `text`. */
  ruleCount: number;
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (Go's base32.StdEncoding), unpadded: only a prefix is ever used. */
function base32(buf: Uint8Array): string {
  let out = '';
  let bits = 0;
  let val = 0;
  for (const b of buf) {
    val = ((val << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += B32[(val >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(val << (5 - bits)) & 31];
  return out;
}

/** kube-proxy's chain hash: base32(sha256(text)), first 16 characters. */
export function kubeChainHash(text: string): string {
  return base32(createHash('sha256').update(text).digest()).slice(0, 16);
}

const ipOf = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const SERVICE_BASE = (10 << 24) | (96 << 16); // 10.96.0.0/12, kube's default service CIDR
const POD_BASE = (10 << 24) | (244 << 16); // 10.244.0.0/16
const SERVICE_PORTS = [80, 443, 8080, 53, 9090, 6379, 5432, 3306];

/** The pod address of endpoint `k` (0-based over all Services): 10.244.0.2 upwards. */
export function podIp(k: number): string {
  return ipOf(POD_BASE + 2 + k);
}

/** The Services the generator describes, without printing them. */
export function kubeServices(n: number, opts: KubeProxyGenOptions = {}): KubeService[] {
  const eps = opts.endpointsPerService ?? 2;
  const np = opts.nodePorts ?? true;
  const nodePortCount = np === true ? n : np === false ? 0 : np;
  const rng = new Rng(opts.seed ?? 1);
  const out: KubeService[] = [];
  for (let i = 0; i < n; i++) {
    const port = SERVICE_PORTS[rng.int(0, SERVICE_PORTS.length - 1)];
    const name = `ns${i % 100}/svc${i}`;
    const portName = `${name}:p${port}`;
    const hash = kubeChainHash(portName + 'tcp');
    const endpoints = Array.from({ length: eps }, (_, e) => ({ ip: podIp(i * eps + e), port: 8000 + (port % 1000) }));
    out.push({
      name,
      portName,
      clusterIp: ipOf(SERVICE_BASE + 10 + i),
      port,
      nodePort: i < nodePortCount ? 30000 + i : null,
      endpoints,
      svcChain: `KUBE-SVC-${hash}`,
      extChain: i < nodePortCount ? `KUBE-EXT-${hash}` : null,
      sepChains: endpoints.map((ep) => `KUBE-SEP-${kubeChainHash(`${portName}tcp${ep.ip}:${ep.port}`)}`),
    });
  }
  return out;
}

/** xtables_save_string: bare when only [A-Za-z0-9_-], else double-quoted. */
const q = (s: string) => (/^[A-Za-z0-9_-]+$/.test(s) ? s : `"${s.replace(/(["'\\])/g, '\\$1')}"`);

/** kube-proxy's `--probability` for endpoint e of n, as iptables-save prints it back (a 31-bit fraction, 11 decimals). */
function probability(e: number, n: number): string {
  const asWritten = Number((1 / (n - e)).toFixed(10));
  return (Math.round(0x80000000 * asWritten) / 0x80000000).toFixed(11);
}

/**
 * The nat and filter tables kube-proxy (v1.27+, no nfacct) leaves on a node with
 * `n` ClusterIP Services (the first ones also NodePorts), plus the base-chain
 * jumps it installs separately, as `iptables-save` prints them.
 */
export function generateKubeProxyRules(n: number, opts: KubeProxyGenOptions = {}): KubeProxyRules {
  const services = kubeServices(n, opts);
  const cidr = opts.clusterCidr ?? '10.244.0.0/16';
  const chains = new Map<string, string[]>();
  const add = (chain: string, rule: string) => {
    let list = chains.get(chain);
    if (!list) chains.set(chain, (list = []));
    list.push(`-A ${chain} ${rule}`);
  };
  chains.set('KUBE-MARK-MASQ', []);
  chains.set('KUBE-NODEPORTS', []);
  chains.set('KUBE-POSTROUTING', []);
  chains.set('KUBE-SERVICES', []);
  for (const s of services) {
    const c = q(s.portName);
    add(
      'KUBE-SERVICES',
      `-d ${s.clusterIp}/32 -p tcp -m comment --comment ${q(`${s.portName} cluster IP`)} -m tcp --dport ${s.port} -j ${s.svcChain}`,
    );
    add(
      s.svcChain,
      `! -s ${cidr} -d ${s.clusterIp}/32 -p tcp -m comment --comment ${q(`${s.portName} cluster IP`)} -m tcp --dport ${s.port} -j KUBE-MARK-MASQ`,
    );
    s.endpoints.forEach((ep, e) => {
      const sep = s.sepChains[e];
      const stat = e < s.endpoints.length - 1 ? ` -m statistic --mode random --probability ${probability(e, s.endpoints.length)}` : '';
      add(s.svcChain, `-m comment --comment ${q(`${s.portName} -> ${ep.ip}:${ep.port}`)}${stat} -j ${sep}`);
      add(sep, `-s ${ep.ip}/32 -m comment --comment ${c} -j KUBE-MARK-MASQ`);
      add(sep, `-p tcp -m comment --comment ${c} -m tcp -j DNAT --to-destination ${ep.ip}:${ep.port}`);
    });
    if (s.nodePort !== null && s.extChain) {
      add('KUBE-NODEPORTS', `-p tcp -m comment --comment ${c} -m tcp --dport ${s.nodePort} -j ${s.extChain}`);
      add(s.extChain, `-m comment --comment ${q(`masquerade traffic for ${s.portName} external destinations`)} -j KUBE-MARK-MASQ`);
      add(s.extChain, `-j ${s.svcChain}`);
    }
  }
  add(
    'KUBE-SERVICES',
    '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  );
  add('KUBE-MARK-MASQ', '-j MARK --set-xmark 0x4000/0x4000');
  add('KUBE-POSTROUTING', '-m mark ! --mark 0x4000/0x4000 -j RETURN');
  add('KUBE-POSTROUTING', '-j MARK --set-xmark 0x4000/0x0');
  add('KUBE-POSTROUTING', '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully');

  const nat = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]'];
  const names = [...chains.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) nat.push(`:${name} - [0:0]`);
  nat.push(
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
  );
  let ruleCount = 3;
  for (const name of names) {
    const rules = chains.get(name)!;
    ruleCount += rules.length;
    for (const r of rules) nat.push(r);
  }
  nat.push('COMMIT');
  const filter = FILTER_TABLE;
  ruleCount += filter.filter((l) => l.startsWith('-A ')).length;
  return { text: filter.join('\n') + '\n' + nat.join('\n') + '\n', services, ruleCount };
}

/** The filter table of a node whose Services all have endpoints: only kube-proxy's fixed chains. */
const FILTER_TABLE = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':KUBE-EXTERNAL-SERVICES - [0:0]',
  ':KUBE-FIREWALL - [0:0]',
  ':KUBE-FORWARD - [0:0]',
  ':KUBE-NODEPORTS - [0:0]',
  ':KUBE-PROXY-FIREWALL - [0:0]',
  ':KUBE-SERVICES - [0:0]',
  '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
  '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
  '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
  '-A INPUT -j KUBE-FIREWALL',
  '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
  '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
  '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
  '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
  '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  '-A OUTPUT -j KUBE-FIREWALL',
  '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
  '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
  '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
  '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  'COMMIT',
];
