/**
 * Checks that need the whole node (after links have created and typed their
 * ends): interface kinds, bridge ports, duplicate addresses, sysctl interface
 * names, listen sockets. Route gateways are in route-check.ts.
 */
import { didYouMean } from '../core/diagnostic.js';
import { formatIpv4, isLoopback } from '../packet/ipv4.js';
import type { IfaceDraft, NodeDraft } from './draft.js';
import { checkRoutes } from './route-check.js';
import type { YamlSrc } from './yaml-src.js';

export function checkNode(src: YamlSrc, d: NodeDraft): void {
  settleKinds(src, d);
  checkMasters(src, d);
  checkAddresses(src, d);
  checkRoutes(src, d);
  for (const s of d.sysctls) {
    if (s.name.iface !== null && s.name.iface !== 'lo' && !d.ifaces.has(s.name.iface)) {
      src.error(
        s.keyNode,
        `sysctl ${s.name.name}: ${d.spec.name} has no interface "${s.name.iface}"${didYouMean(s.name.iface, d.ifaces.keys())}`,
      );
    }
  }
  checkListen(src, d);
}

/**
 * A listed interface without a kind that no link uses becomes a dummy: an
 * address holder, the only unconnected device type that needs nothing else.
 * An explicit veth needs its peer, so it must be a link end.
 */
function settleKinds(src: YamlSrc, d: NodeDraft): void {
  for (const i of d.ifaces.values()) {
    if (i.name === 'lo') continue;
    if (i.kind === null) i.kind = 'dummy';
    else if (i.kind === 'veth' && !i.linkedAt)
      src.errorAt(
        i.pos,
        `interface ${d.spec.name}:${i.name} is a veth but no link uses it; a veth is one end of a pair (add it to \`links\`, or drop \`kind\` to make it a dummy)`,
      );
  }
}

function checkMasters(src: YamlSrc, d: NodeDraft): void {
  for (const i of d.ifaces.values()) {
    if (i.hairpin && !i.master)
      src.error(i.hairpin.node, `hairpin of ${d.spec.name}:${i.name} is a bridge port option; give ${i.name} a \`master\` bridge`);
    if (!i.master) continue;
    const m = i.master;
    const br = d.ifaces.get(m.name);
    if (i.kind === 'bridge')
      src.error(m.node, `${i.name} is a bridge and cannot have a master (the kernel: "Can not enslave a bridge to a bridge")`);
    else if (m.name === i.name) src.error(m.node, `${i.name} cannot be its own master`);
    else if (!br)
      src.error(
        m.node,
        `master "${m.name}" of ${i.name}: ${d.spec.name} has no interface "${m.name}"${didYouMean(m.name, bridgeNames(d))}`,
      );
    else if (br.kind !== 'bridge')
      src.error(
        m.node,
        `master "${m.name}" of ${i.name} is ${br.name === 'lo' ? 'the loopback device' : `a ${br.kind}`}, not a bridge (give it \`kind: bridge\`)`,
      );
  }
}

function bridgeNames(d: NodeDraft): string[] {
  return [...d.ifaces.values()].filter((i) => i.kind === 'bridge').map((i) => i.name);
}

/**
 * The kernel refuses the same address and prefix twice on one device, and
 * accepts the same address on two devices; nflab refuses both, since an
 * address held twice makes the lab's answers depend on device order — see
 * docs/topology.md. 127.0.0.1/8 on lo is implicit; repeating it is dropped.
 */
function checkAddresses(src: YamlSrc, d: NodeDraft): void {
  const seen = new Map<number, { iface: IfaceDraft; line: number }>();
  for (const i of d.ifaces.values()) {
    if (i.name === 'lo') i.addrs = i.addrs.filter((a) => !(a.addr === 0x7f000001 && a.cidr.len === 8));
    for (const a of i.addrs) {
      const prev = seen.get(a.addr);
      const p = src.pos(a.node);
      if (prev)
        src.error(
          a.node,
          `address ${formatIpv4(a.addr)} is already on ${prev.iface.name} (line ${prev.line}) in ${d.spec.name}; an address may be held once per node`,
        );
      else if (i.name !== 'lo' && a.addr === 0x7f000001) src.error(a.node, `127.0.0.1 already belongs to lo in ${d.spec.name}`);
      else seen.set(a.addr, { iface: i, line: p.line });
    }
  }
}

function checkListen(src: YamlSrc, d: NodeDraft): void {
  const local = new Set<number>();
  for (const i of d.ifaces.values()) for (const a of i.addrs) local.add(a.addr);
  const bound: Array<{ proto: string; port: number; addr: number; line: number }> = [];
  for (const l of d.listens) {
    const s = l.spec;
    if (l.uidName) {
      const uid = d.spec.users.get(l.uidName.name);
      if (uid === undefined) {
        const names = [...d.spec.users.keys()];
        src.error(
          l.uidName.node,
          `unknown user "${l.uidName.name}"${didYouMean(l.uidName.name, names)}: add it to \`users:\` of host ${d.spec.host}, or give a number`,
        );
        continue;
      }
      s.uid = uid;
    }
    // bind() needs a local address: one the node holds, or anything in 127/8 (lo's local route).
    for (const [n, a] of [
      [l.addrNode, s.addr],
      [l.sourceNode, s.source],
    ] as const) {
      if (n && a !== null && a !== 0 && !isLoopback(a) && !local.has(a)) {
        src.error(n, `${formatIpv4(a)} is not an address of ${d.spec.name}, so a socket cannot bind it (EADDRNOTAVAIL)`);
      }
    }
    const clash = bound.find((b) => b.proto === s.proto && b.port === s.port && (b.addr === s.addr || b.addr === 0 || s.addr === 0));
    if (clash) {
      src.errorAt(s.pos, `${s.proto}:${s.port} is already listened on at line ${clash.line} in ${d.spec.name} (EADDRINUSE)`);
      continue;
    }
    bound.push({ proto: s.proto, port: s.port, addr: s.addr, line: s.pos.line });
    d.spec.listen.push(s);
  }
}
