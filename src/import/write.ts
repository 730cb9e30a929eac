/**
 * Writing an imported lab as topology.yaml plus rule files beside it. Every
 * route, rule, listener and set is written on a line of its own, and the
 * writer remembers which, so that a line `nflab check` refuses can be traced
 * back to what it came from and left out with a warning.
 */
import type { ImportLab } from './assemble.js';
import type { ImportNode } from './model.js';

export interface ItemRef {
  kind: 'route' | 'rule' | 'listen' | 'sysctl' | 'ipset' | 'iface';
  node: ImportNode;
  index: number;
}

export interface Written {
  /** Relative path → content. */
  files: Map<string, string>;
  /** Line of topology.yaml → the item written there. */
  items: Map<number, ItemRef>;
  /** Rules file (relative path) → the node whose rules it holds. */
  rulesFiles: Map<string, ImportNode>;
  /** Each node's native nftables file, so that a refusal in it leaves out that node's nftables key. */
  nftFiles: Map<string, ImportNode>;
}

const q = (s: string) => JSON.stringify(s);

export function fileBase(node: string): string {
  return node.replace(/\//g, '__');
}

export function writeLab(lab: ImportLab, header: string[]): Written {
  const out: string[] = [];
  const items = new Map<number, ItemRef>();
  const files = new Map<string, string>();
  const rulesFiles = new Map<string, ImportNode>();
  const nftFiles = new Map<string, ImportNode>();
  const line = (s: string, ref?: ItemRef) => {
    out.push(s);
    if (ref) items.set(out.length, ref);
  };
  // A refusal quoted in the header can span lines (iptables adds its usage hint); each must stay a comment.
  for (const h of header) for (const l of h.split('\n')) line(`# ${l}`);
  line(`name: imported`);
  line('hosts:');
  const hosts = new Map<string, ImportNode[]>();
  for (const n of lab.nodes) hosts.set(n.host, [...(hosts.get(n.host) ?? []), n]);
  for (const [host, nodes] of hosts) {
    line(`  ${q(host)}:`);
    const root = nodes.find((n) => n.isRoot);
    if (root) writeBody(root, '    ', true, nodes);
    const others = nodes.filter((n) => !n.isRoot);
    if (others.length) {
      line('    namespaces:');
      for (const n of others) {
        line(`      ${q(n.name.split('/')[1])}:`);
        writeBody(n, '        ', false, nodes);
      }
    }
  }
  for (const [host, net] of lab.lans) {
    const ports = lab.links.filter((l) => l.a.node === host);
    line(`  ${q(host)}:   # made by nflab import: the LAN ${net} that these hosts share`);
    line('    interfaces:');
    line('      br0: { kind: bridge }');
    for (const p of ports) line(`      ${p.a.iface}: { master: br0 }`);
  }
  if (lab.links.length) {
    line('links:');
    for (const l of lab.links) line(`  - [${q(`${l.a.node}:${l.a.iface}`)}, ${q(`${l.b.node}:${l.b.iface}`)}]`);
  }
  files.set('topology.yaml', out.join('\n') + '\n');
  return { files, items, rulesFiles, nftFiles };

  function writeBody(n: ImportNode, ind: string, isHost: boolean, hostNodes: ImportNode[]): void {
    line(`${ind}# ${n.bundle.file}: ${n.ns.kind === 'root' ? 'the root namespace' : `${n.ns.kind} ${n.ns.arg}`}`);
    for (const note of n.notes) line(`${ind}# ${note}`);
    if (isHost) {
      const backend = hostNodes.find((x) => x.backend)?.backend;
      if (backend) line(`${ind}iptables_backend: ${backend}`);
      for (const [key, ids, names] of [
        ['users', hostNodes.flatMap((x) => [...x.uids]), n.bundle.users],
        ['groups', hostNodes.flatMap((x) => [...x.gids]), n.bundle.groups],
      ] as const) {
        const named = [...new Set(ids)].sort((a, b) => a - b).filter((id) => names.has(id));
        if (named.length) line(`${ind}${key}: { ${named.map((id) => `${q(names.get(id)!)}: ${id}`).join(', ')} }`);
      }
    }
    if (n.sysctl.length) {
      line(`${ind}sysctl:`);
      n.sysctl.forEach(([k, v], index) => line(`${ind}  ${q(k)}: ${v}`, { kind: 'sysctl', node: n, index }));
    }
    const ifaces = n.ifaces.filter((i) => i.name !== 'lo' || i.addrs.length);
    if (ifaces.length) {
      line(`${ind}interfaces:`);
      n.ifaces.forEach((i, index) => {
        if (i.name === 'lo' && !i.addrs.length) return;
        const f: string[] = [];
        if (i.addrs.length) f.push(`addr: [${i.addrs.map(q).join(', ')}]`);
        if (i.name !== 'lo') {
          if (!i.linked) f.push(`kind: ${i.kind === 'bridge' ? 'bridge' : 'dummy'}`);
          if (i.master) f.push(`master: ${q(i.master)}`);
          if (i.mtu !== null) f.push(`mtu: ${i.mtu}`);
          if (i.mac !== null) f.push(`mac: ${q(i.mac)}`);
        }
        line(`${ind}  ${q(i.name)}: { ${f.join(', ')} }${i.comment ? `   # ${i.comment}` : ''}`, { kind: 'iface', node: n, index });
      });
    }
    if (n.routes.length) {
      line(`${ind}routes:`);
      n.routes.forEach((r, index) => line(`${ind}  - ${q(r.text)}`, { kind: 'route', node: n, index }));
    }
    if (n.rules.length) {
      line(`${ind}ip_rules:`);
      n.rules.forEach((r, index) => line(`${ind}  - ${q(r.text)}`, { kind: 'rule', node: n, index }));
    }
    if (n.ipsets.length) {
      line(`${ind}ipsets:`);
      n.ipsets.forEach((s, index) =>
        line(`${ind}  ${q(s.name)}: { type: ${q(s.type)}, members: [${s.members.map(q).join(', ')}] }`, { kind: 'ipset', node: n, index }),
      );
    }
    if (n.iptables) {
      const file = `${fileBase(n.name)}.rules`;
      files.set(file, n.iptables.text);
      rulesFiles.set(file, n);
      line(`${ind}iptables: { file: ${q(file)} }`);
    }
    if (n.legacyRules) files.set(`${fileBase(n.name)}.legacy.rules`, n.legacyRules);
    if (n.nftNative) {
      const file = `${fileBase(n.name)}.nft`;
      files.set(file, n.nftNative);
      if (!n.nftRefused) {
        nftFiles.set(file, n);
        line(`${ind}nftables: { file: ${q(file)} }`);
      }
    }
    if (n.listen.length) {
      line(`${ind}listen:`);
      n.listen.forEach((l, index) => {
        const f = [`socket: ${q(`${l.proto}:${l.port}`)}`];
        if (l.uid !== 0) f.push(`uid: ${l.uid}`);
        if (l.addr !== '0.0.0.0') f.push(`addr: ${q(l.addr)}`);
        if (l.app !== 'echo') f.push(`app: ${l.app}`);
        if (l.source) f.push(`source: ${q(l.source)}`);
        line(`${ind}  - { ${f.join(', ')} }`, { kind: 'listen', node: n, index });
      });
    }
  }
}
