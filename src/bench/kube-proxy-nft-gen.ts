/**
 * kube-proxy's nftables mode (Kubernetes 1.33+) for N Services, as the command
 * form kube-proxy pipes to `nft -f -` on a full sync: its fixed skeleton (table
 * `ip kube-proxy`, the verdict maps keyed by `ip daddr . meta l4proto . th dport`,
 * the base chains), then per Service a service chain with a `numgen random` vmap
 * over its endpoint chains, an external chain for NodePorts, and the map
 * elements. Chain names carry kube-proxy's hash (base32 of sha256, 8
 * characters). For 12 and 300 Services the output equals the corpus files
 * byte for byte; `addOneService` is the partial sync that adds one more.
 */
import { kubeChainHash } from './kube-proxy-gen.js';

export interface NftService {
  ns: string;
  name: string;
  clusterIp: string;
  nodePort: number | null;
  endpoints: string[];
  svcChain: string;
  extChain: string | null;
  epChains: string[];
}

/** The skeleton every full sync writes first. */
const SKELETON: readonly string[] = [
  'add table ip kube-proxy { comment "rules for kube-proxy" ; }',
  'add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }',
  'add set ip kube-proxy nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }',
  'add map ip kube-proxy firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }',
  'add map ip kube-proxy no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }',
  'add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }',
  'add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }',
  'add map ip kube-proxy service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }',
  'add chain ip kube-proxy filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }',
  'flush chain ip kube-proxy filter-prerouting-pre-dnat',
  'add chain ip kube-proxy filter-output-pre-dnat { type filter hook output priority -110 ; }',
  'flush chain ip kube-proxy filter-output-pre-dnat',
  'add chain ip kube-proxy filter-forward { type filter hook forward priority 0 ; }',
  'flush chain ip kube-proxy filter-forward',
  'add chain ip kube-proxy filter-input { type filter hook input priority 0 ; }',
  'flush chain ip kube-proxy filter-input',
  'add chain ip kube-proxy filter-output { type filter hook output priority 0 ; }',
  'flush chain ip kube-proxy filter-output',
  'add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }',
  'flush chain ip kube-proxy nat-output',
  'add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }',
  'flush chain ip kube-proxy nat-postrouting',
  'add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }',
  'flush chain ip kube-proxy nat-prerouting',
  'add chain ip kube-proxy cluster-ips-check',
  'flush chain ip kube-proxy cluster-ips-check',
  'add chain ip kube-proxy firewall-check',
  'flush chain ip kube-proxy firewall-check',
  'add chain ip kube-proxy mark-for-masquerade',
  'flush chain ip kube-proxy mark-for-masquerade',
  'add chain ip kube-proxy masquerading',
  'flush chain ip kube-proxy masquerading',
  'add chain ip kube-proxy nodeport-endpoints-check',
  'flush chain ip kube-proxy nodeport-endpoints-check',
  'add chain ip kube-proxy services',
  'flush chain ip kube-proxy services',
  'add chain ip kube-proxy service-endpoints-check',
  'flush chain ip kube-proxy service-endpoints-check',
  'add chain ip kube-proxy reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }',
  'flush chain ip kube-proxy reject-chain',
  'flush set ip kube-proxy cluster-ips',
  'flush set ip kube-proxy nodeport-ips',
  'flush map ip kube-proxy firewall-ips',
  'flush map ip kube-proxy no-endpoint-nodeports',
  'flush map ip kube-proxy no-endpoint-services',
  'flush map ip kube-proxy service-ips',
  'flush map ip kube-proxy service-nodeports',
  'add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"',
  'add rule ip kube-proxy cluster-ips-check ip daddr { 172.30.0.0/16 } drop comment "Drop traffic to unallocated ClusterIPs"',
  'add rule ip kube-proxy filter-prerouting-pre-dnat ct state new jump firewall-check',
  'add rule ip kube-proxy filter-forward ct state new jump service-endpoints-check',
  'add rule ip kube-proxy filter-forward ct state new jump cluster-ips-check',
  'add rule ip kube-proxy filter-input ct state new jump nodeport-endpoints-check',
  'add rule ip kube-proxy filter-input ct state new jump service-endpoints-check',
  'add rule ip kube-proxy filter-output ct state new jump service-endpoints-check',
  'add rule ip kube-proxy filter-output-pre-dnat ct state new jump firewall-check',
  'add rule ip kube-proxy filter-output ct state new jump cluster-ips-check',
  'add rule ip kube-proxy firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips',
  'add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000',
  'add rule ip kube-proxy masquerading mark and 0x4000 == 0 return',
  'add rule ip kube-proxy masquerading mark set mark xor 0x4000',
  'add rule ip kube-proxy masquerading masquerade fully-random',
  'add rule ip kube-proxy nat-output jump services',
  'add rule ip kube-proxy nat-postrouting jump masquerading',
  'add rule ip kube-proxy nat-prerouting jump services',
  'add rule ip kube-proxy nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports',
  'add rule ip kube-proxy reject-chain reject',
  'add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips',
  'add rule ip kube-proxy services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports',
  'add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services',
  'add element ip kube-proxy nodeport-ips { 192.168.0.2 }',
];

function addr(a: number, b: number, c: number, d: number, k: number): string {
  const n = ((a << 24) | (b << 16) | (c << 8) | d) + k;
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/**
 * Service i: namespace ns(i mod 100), ClusterIP 172.30.0.10+i, port 80/tcp,
 * endpoints 10.180.0.(2+2i) and (3+2i) on port 80; the first tenth are NodePorts
 * from 30000.
 */
export function nftService(i: number, total: number): NftService {
  const ns = `ns${i % 100}`;
  const name = `svc${i}`;
  const base = `${ns}/${name}/tcp/p80`;
  const hash = kubeChainHash(base).slice(0, 8);
  const endpoints = [addr(10, 180, 0, 2, 2 * i), addr(10, 180, 0, 3, 2 * i)];
  const nodePort = i < total / 10 ? 30000 + i : null;
  return {
    ns,
    name,
    clusterIp: addr(172, 30, 0, 10, i),
    nodePort,
    endpoints,
    svcChain: `service-${hash}-${base}`,
    extChain: nodePort === null ? null : `external-${hash}-${base}`,
    epChains: endpoints.map((e) => `endpoint-${kubeChainHash(`${base}__${e}/80`).slice(0, 8)}-${base}__${e}/80`),
  };
}

const T = 'ip kube-proxy';

function chains(s: NftService, out: string[]): void {
  for (const c of [s.svcChain, ...(s.extChain ? [s.extChain] : []), ...s.epChains])
    out.push(`add chain ${T} ${c}`, `flush chain ${T} ${c}`);
}

function rules(s: NftService, out: string[]): void {
  out.push(`add rule ${T} ${s.svcChain} ip daddr ${s.clusterIp} tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade`);
  const vmap = s.epChains.map((c, k) => `${k} : goto ${c}`).join(' , ');
  out.push(`add rule ${T} ${s.svcChain} numgen random mod ${s.epChains.length} vmap { ${vmap} }`);
  if (s.extChain) out.push(`add rule ${T} ${s.extChain} jump mark-for-masquerade`, `add rule ${T} ${s.extChain} goto ${s.svcChain}`);
  s.epChains.forEach((c, k) => {
    out.push(`add rule ${T} ${c} ip saddr ${s.endpoints[k]} jump mark-for-masquerade`);
    out.push(`add rule ${T} ${c} meta l4proto tcp dnat to ${s.endpoints[k]}:80`);
  });
}

function elements(s: NftService, out: string[]): void {
  out.push(`add element ${T} cluster-ips { ${s.clusterIp} }`);
  out.push(`add element ${T} service-ips { ${s.clusterIp} . tcp . 80 : goto ${s.svcChain} }`);
  if (s.extChain) out.push(`add element ${T} service-nodeports { tcp . ${s.nodePort} : goto ${s.extChain} }`);
}

/** A full sync for `n` Services. */
export function kubeProxyNftRules(n: number): { text: string; services: NftService[] } {
  const services = Array.from({ length: n }, (_, i) => nftService(i, n));
  const out = [...SKELETON];
  for (const s of services) chains(s, out);
  for (const s of services) rules(s, out);
  for (const s of services) elements(s, out);
  return { text: out.join('\n') + '\n', services };
}

/** The partial sync that adds Service `n` to a node that has Services 0..n-1. */
export function addOneService(n: number): string {
  const s = nftService(n, n);
  const out: string[] = [];
  chains(s, out);
  rules(s, out);
  elements(s, out);
  return out.join('\n') + '\n';
}

/** The partial sync that removes Service `i`: its elements, then its (flushed) chains. */
export function deleteOneService(i: number, total: number): string {
  const s = nftService(i, total);
  const out = [`delete element ${T} cluster-ips { ${s.clusterIp} }`, `delete element ${T} service-ips { ${s.clusterIp} . tcp . 80 }`];
  if (s.extChain) out.push(`delete element ${T} service-nodeports { tcp . ${s.nodePort} }`);
  const all = [s.svcChain, ...(s.extChain ? [s.extChain] : []), ...s.epChains];
  for (const c of all) out.push(`flush chain ${T} ${c}`);
  for (const c of all) out.push(`delete chain ${T} ${c}`);
  return out.join('\n') + '\n';
}
