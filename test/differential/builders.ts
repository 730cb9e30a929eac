/**
 * Small topologies the cases share, as YAML text: a client and a server on one
 * link, or a client, a router and a server. Each node can be given rules,
 * sysctls, routes, listeners and extra addresses.
 */

export interface NodeExtra {
  /** iptables-restore text. */
  rules?: string;
  sysctl?: Record<string, string | number>;
  routes?: string[];
  listen?: string[];
  /** Extra YAML lines under the host (indented by the builder). */
  yaml?: string[];
  /** Addresses for eth0 beyond the first. */
  moreAddrs?: string[];
  /** eth0's MAC address. */
  mac?: string;
}

const indent = (text: string, n: number) =>
  text
    .trim()
    .split('\n')
    .map((l) => `${' '.repeat(n)}${l.trim()}`)
    .join('\n');

function host(name: string, ifaces: Array<[string, string[]]>, x: NodeExtra = {}): string {
  const lines = [`  ${name}:`, '    interfaces:'];
  for (const [ifname, addrs] of ifaces)
    lines.push(`      ${ifname}: { addr: [${addrs.join(', ')}]${ifname === 'eth0' && x.mac ? `, mac: "${x.mac}"` : ''} }`);
  if (x.routes?.length) lines.push('    routes:', ...x.routes.map((r) => `      - ${r}`));
  if (x.sysctl) lines.push('    sysctl:', ...Object.entries(x.sysctl).map(([k, v]) => `      ${k}: ${v}`));
  if (x.listen?.length) lines.push(`    listen: [ ${x.listen.join(', ')} ]`);
  if (x.rules) lines.push('    iptables: |', indent(x.rules, 6));
  for (const l of x.yaml ?? []) lines.push(`    ${l}`);
  return lines.join('\n');
}

/** client 10.0.0.1/24 eth0 ⟷ server 10.0.0.2/24 eth0. The server listens on tcp 80, 8080, 8081 and udp 53 unless told otherwise. */
export function pair(name: string, o: { client?: NodeExtra; server?: NodeExtra } = {}): string {
  const server = { listen: ['tcp:80', 'tcp:8080', 'tcp:8081', 'udp:53'], ...o.server };
  return [
    `name: ${name}`,
    'hosts:',
    host('client', [['eth0', ['10.0.0.1/24', ...(o.client?.moreAddrs ?? [])]]], o.client),
    host('server', [['eth0', ['10.0.0.2/24', ...(server.moreAddrs ?? [])]]], server),
    'links:',
    '  - [client:eth0, server:eth0]',
    '',
  ].join('\n');
}

/**
 * client 10.0.1.2 ⟷ (eth0 10.0.1.1) router (eth1 10.0.2.1) ⟷ server 10.0.2.2.
 * The router forwards unless its sysctl says otherwise.
 */
export function routed(name: string, o: { client?: NodeExtra; router?: NodeExtra; server?: NodeExtra } = {}): string {
  const client = { routes: ['default via 10.0.1.1'], ...o.client };
  const server = { routes: ['default via 10.0.2.1'], listen: ['tcp:80', 'tcp:8080', 'udp:53'], ...o.server };
  const router = { ...o.router, sysctl: { 'net.ipv4.ip_forward': 1, ...o.router?.sysctl } };
  return [
    `name: ${name}`,
    'hosts:',
    host('client', [['eth0', ['10.0.1.2/24', ...(client.moreAddrs ?? [])]]], client),
    host(
      'router',
      [
        ['eth0', ['10.0.1.1/24']],
        ['eth1', ['10.0.2.1/24']],
      ],
      router,
    ),
    host('server', [['eth0', ['10.0.2.2/24', ...(server.moreAddrs ?? [])]]], server),
    'links:',
    '  - [client:eth0, router:eth0]',
    '  - [router:eth1, server:eth0]',
    '',
  ].join('\n');
}

/** A filter table with the given INPUT/FORWARD/OUTPUT policies and rules (user chains declared from `-N`-free `:X - [0:0]` lines in `chains`). */
export function filter(rules: string[], o: { input?: string; forward?: string; output?: string; chains?: string[] } = {}): string {
  return [
    '*filter',
    `:INPUT ${o.input ?? 'ACCEPT'} [0:0]`,
    `:FORWARD ${o.forward ?? 'ACCEPT'} [0:0]`,
    `:OUTPUT ${o.output ?? 'ACCEPT'} [0:0]`,
    ...(o.chains ?? []).map((c) => `:${c} - [0:0]`),
    ...rules,
    'COMMIT',
  ].join('\n');
}

const BUILTIN: Record<string, string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** Any table with ACCEPT policies, its user chains and rules. */
export function table(name: keyof typeof BUILTIN, rules: string[], chains: string[] = []): string {
  return [`*${name}`, ...BUILTIN[name].map((c) => `:${c} ACCEPT [0:0]`), ...chains.map((c) => `:${c} - [0:0]`), ...rules, 'COMMIT'].join(
    '\n',
  );
}
