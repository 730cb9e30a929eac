/**
 * The scenario fuzzer's labs as data: nodes with interfaces, routes, policy
 * rules, sysctls, listeners and iptables rules, and the links between them.
 * The generator builds one, the shrinker removes parts of it, and both render
 * it as an ordinary topology file for nflab and the kernel alike.
 */

export type TableName = 'filter' | 'mangle' | 'nat';

export const CHAINS: Record<TableName, readonly string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};

export interface GenIface {
  name: string;
  addrs: string[];
  kind?: 'bridge';
  master?: string;
}

export interface GenRule {
  table: TableName;
  chain: string;
  /** The rule as iptables-save prints it, after `-A CHAIN `. */
  spec: string;
}

/** A native nftables rule in a base chain the renderer declares (`nftTablesText`). */
export interface GenNftRule {
  /** `inet fw`, `ip fw` or `ip lb`: the family and table. */
  table: NftTable;
  /** A base chain: `input`, `forward`, `output` (filter tables), `prerouting`, `postrouting`, `output` (`ip lb`, nat). */
  chain: string;
  /** The rule as nft lists it. */
  rule: string;
}

export type NftTable = 'inet fw' | 'ip fw' | 'ip lb';

/** Each native table's base chains, with their declarations; a chain is declared only when it has rules or a drop policy. */
export const NFT_CHAINS: Record<NftTable, Record<string, string>> = {
  'inet fw': {
    input: 'type filter hook input priority filter;',
    forward: 'type filter hook forward priority filter;',
    output: 'type filter hook output priority filter;',
  },
  'ip fw': {
    input: 'type filter hook input priority filter;',
    forward: 'type filter hook forward priority filter;',
    output: 'type filter hook output priority filter;',
  },
  'ip lb': {
    prerouting: 'type nat hook prerouting priority dstnat;',
    output: 'type nat hook output priority -100;',
    postrouting: 'type nat hook postrouting priority srcnat;',
  },
};

export interface GenNode {
  /** `HOST` or `HOST/NS`. */
  name: string;
  ifaces: GenIface[];
  routes: string[];
  ipRules: string[];
  sysctl: Record<string, string>;
  listen: string[];
  rules: GenRule[];
  /** Native nftables rules (the nft flavour of the fuzzer); absent or empty: no `nftables:` block. */
  nft?: GenNftRule[];
  /** Native base chains whose policy is drop (`inet fw input`); declared even without rules. */
  nftDrop?: string[];
}

export interface GenLab {
  name: string;
  nodes: GenNode[];
  /** `NODE:IF` pairs. */
  links: Array<[string, string]>;
}

const TABLE_ORDER: TableName[] = ['mangle', 'nat', 'filter'];

/** iptables-restore text for a node's rules: only the tables that have rules, as a user would write them. */
export function restoreText(rules: readonly GenRule[]): string {
  const out: string[] = [];
  for (const t of TABLE_ORDER) {
    const mine = rules.filter((r) => r.table === t);
    if (mine.length === 0) continue;
    out.push(`*${t}`, ...CHAINS[t].map((c) => `:${c} ACCEPT [0:0]`), ...mine.map((r) => `-A ${r.chain} ${r.spec}`), 'COMMIT');
  }
  return out.join('\n');
}

/** The node's native tables as an `nft -f` file: each table once, its chains in declaration order. */
export function nftTablesText(n: GenNode): string {
  const out: string[] = [];
  for (const t of Object.keys(NFT_CHAINS) as NftTable[]) {
    const chains = Object.keys(NFT_CHAINS[t]).filter(
      (c) => (n.nft ?? []).some((r) => r.table === t && r.chain === c) || (n.nftDrop ?? []).includes(`${t} ${c}`),
    );
    if (chains.length === 0) continue;
    out.push(`table ${t} {`);
    for (const c of chains) {
      const policy = (n.nftDrop ?? []).includes(`${t} ${c}`) ? 'drop' : 'accept';
      out.push(`  chain ${c} {`, `    ${NFT_CHAINS[t][c]} policy ${policy};`);
      for (const r of n.nft ?? []) if (r.table === t && r.chain === c) out.push(`    ${r.rule}`);
      out.push('  }');
    }
    out.push('}');
  }
  return out.join('\n');
}

function nodeBody(n: GenNode, pad: string): string[] {
  const lines: string[] = [`${pad}interfaces:`];
  for (const i of n.ifaces) {
    const parts: string[] = [];
    if (i.kind) parts.push(`kind: ${i.kind}`);
    if (i.master) parts.push(`master: ${i.master}`);
    if (i.addrs.length) parts.push(`addr: [${i.addrs.join(', ')}]`);
    lines.push(`${pad}  ${i.name}: { ${parts.join(', ')} }`);
  }
  if (n.routes.length) lines.push(`${pad}routes:`, ...n.routes.map((r) => `${pad}  - ${r}`));
  if (n.ipRules.length) lines.push(`${pad}ip_rules:`, ...n.ipRules.map((r) => `${pad}  - ${r}`));
  const sys = Object.entries(n.sysctl);
  if (sys.length) lines.push(`${pad}sysctl:`, ...sys.map(([k, v]) => `${pad}  ${k}: ${v}`));
  if (n.listen.length) lines.push(`${pad}listen: [ ${n.listen.join(', ')} ]`);
  const text = restoreText(n.rules);
  if (text) lines.push(`${pad}iptables: |`, ...text.split('\n').map((l) => `${pad}  ${l}`));
  const nft = nftTablesText(n);
  if (nft) lines.push(`${pad}nftables: |`, ...nft.split('\n').map((l) => `${pad}  ${l}`));
  return lines;
}

/** The lab as topology YAML. A host's namespaces follow it; a host with only namespaces still has its root namespace. */
export function renderTopology(lab: GenLab): string {
  const hosts = [...new Set(lab.nodes.map((n) => n.name.split('/')[0]))];
  const lines = [`name: ${lab.name}`, 'hosts:'];
  for (const h of hosts) {
    const root = lab.nodes.find((n) => n.name === h) ?? { name: h, ifaces: [], routes: [], ipRules: [], sysctl: {}, listen: [], rules: [] };
    lines.push(`  ${h}:`, ...nodeBody(root, '    '));
    const nss = lab.nodes.filter((n) => n.name.startsWith(`${h}/`));
    if (nss.length) {
      lines.push('    namespaces:');
      for (const ns of nss) lines.push(`      ${ns.name.slice(h.length + 1)}:`, ...nodeBody(ns, '        '));
    }
  }
  lines.push('links:', ...lab.links.map(([a, b]) => `  - [${a}, ${b}]`), '');
  return lines.join('\n');
}

export function cloneLab(lab: GenLab): GenLab {
  return structuredClone(lab);
}
