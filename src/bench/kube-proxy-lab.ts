/**
 * The files behind the bundled kube-proxy-5000 lab: the node's rules for 5,000
 * Services, and the partial `iptables-restore --noflush` input kube-proxy would
 * send to add one more Service. Run `node dist-bench/bench/kube-proxy-lab.js DIR` to
 * write them again; a test checks the committed copies against this generator.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateKubeProxyRules, type KubeService } from './kube-proxy-gen.js';
import { addOneService, kubeProxyNftRules, nftService } from './kube-proxy-nft-gen.js';

export const LAB_SERVICES = 5000;

const OPTS = { endpointsPerService: 2, nodePorts: 10, seed: 1 } as const;

/** The node's rules: `LAB_SERVICES` Services, the first ten of them NodePorts (30000 and up). */
export function labRules(): { text: string; services: KubeService[] } {
  const g = generateKubeProxyRules(LAB_SERVICES, OPTS);
  return { text: g.text, services: g.services };
}

/**
 * Service number `index` (≥ LAB_SERVICES), as a partial restore: its chains and
 * rules, and its KUBE-SERVICES rule inserted first (the chain's last rule, the
 * jump to KUBE-NODEPORTS, must stay last).
 */
export function newServiceRestore(index: number): { text: string; service: KubeService } {
  const g = generateKubeProxyRules(index + 1, OPTS);
  const s = g.services[index];
  const own = new Set([s.svcChain, ...s.sepChains]);
  const lines = ['*nat', ...[...own].sort().map((c) => `:${c} - [0:0]`)];
  let servicesRule = '';
  for (const l of g.text.split('\n')) {
    const chain = l.startsWith('-A ') ? l.slice(3, l.indexOf(' ', 3)) : '';
    if (own.has(chain)) lines.push(l);
    else if (chain === 'KUBE-SERVICES' && l.includes(` -j ${s.svcChain}`))
      servicesRule = l.replace('-A KUBE-SERVICES', '-I KUBE-SERVICES 1');
  }
  lines.push(servicesRule, 'COMMIT');
  return { text: lines.join('\n') + '\n', service: s };
}

/** The nftables twin's rules: kube-proxy's nftables-mode full sync for the same number of Services. */
export function labNftRules(): string {
  return kubeProxyNftRules(LAB_SERVICES).text;
}

/** Service number `index` (≥ LAB_SERVICES) as kube-proxy's nftables partial sync adds it. */
export function newServiceNft(index: number): { text: string; clusterIp: string; endpoints: string[] } {
  const s = nftService(index, index);
  return { text: addOneService(index), clusterIp: s.clusterIp, endpoints: s.endpoints };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2] ?? 'topologies';
  writeFileSync(join(dir, 'kube-proxy-5000.rules'), labRules().text);
  writeFileSync(join(dir, 'kube-proxy-5000.nft'), labNftRules());
  for (const i of [LAB_SERVICES, LAB_SERVICES + 1]) {
    const n = newServiceNft(i);
    process.stdout.write(`# nft: Service ${i}: ${n.clusterIp}:80 -> ${n.endpoints.join(', ')}\n${n.text}\n`);
  }
  for (const i of [LAB_SERVICES, LAB_SERVICES + 1]) {
    const n = newServiceRestore(i);
    process.stdout.write(
      `# Service ${n.service.portName}: ${n.service.clusterIp}:${n.service.port} -> ${n.service.endpoints.map((e) => `${e.ip}:${e.port}`).join(', ')}\n${n.text}\n`,
    );
  }
}
