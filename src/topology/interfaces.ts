/** Reading a node's `interfaces:` mapping. Kinds of unlisted/unkinded interfaces are settled later, by links. */
import { isSeq } from 'yaml';
import { makeCidr, parseCidr } from '../packet/ipv4.js';
import type { InterfaceKind } from './model.js';
import type { AddrDraft, IfaceDraft } from './draft.js';
import { checkIfaceName, parseMac, parseMtu } from './values.js';
import { describe, entries, oneOrMany, scalar, type YamlNode, type YamlSrc } from './yaml-src.js';

const IFACE_KEYS = ['addr', 'kind', 'master', 'mtu', 'mac', 'hairpin'] as const;
const KINDS: readonly InterfaceKind[] = ['veth', 'bridge', 'dummy'];

export function readInterfaces(src: YamlSrc, node: YamlNode | null, nodeName: string): Map<string, IfaceDraft> {
  const out = new Map<string, IfaceDraft>();
  for (const e of entries(src, node, `the interfaces of ${nodeName}`, null) ?? []) {
    const bad = checkIfaceName(e.key);
    if (bad) {
      src.error(e.keyNode, bad);
      continue;
    }
    const d: IfaceDraft = {
      name: e.key,
      kind: null,
      addrs: [],
      master: null,
      mtu: null,
      mac: null,
      pos: src.pos(e.keyNode),
      listed: true,
      linkedAt: null,
    };
    out.set(e.key, d);
    const what = `interface ${nodeName}:${e.key}`;
    for (const f of entries(src, e.value, what, IFACE_KEYS, true) ?? []) {
      if (e.key === 'lo' && f.key !== 'addr') {
        src.error(f.keyNode, `lo is the loopback device nflab creates in every node; only \`addr\` may be given for it`);
        continue;
      }
      const v = scalar(f.value);
      if (f.key === 'addr') d.addrs = readAddrs(src, f.value, what);
      else if (f.key === 'kind') {
        if (typeof v === 'string' && (KINDS as readonly string[]).includes(v)) d.kind = v as InterfaceKind;
        else src.error(f.value, `kind of ${what} must be one of ${KINDS.join(', ')}, not ${describe(f.value)}`);
      } else if (f.key === 'master') {
        if (typeof v === 'string' && v.length > 0) d.master = { name: v, node: f.value! };
        else src.error(f.value, `master of ${what} must name a bridge interface, not ${describe(f.value)}`);
      } else if (f.key === 'hairpin') {
        if (typeof v === 'boolean') d.hairpin = { on: v, node: f.value! };
        else src.error(f.value, `hairpin of ${what} must be true or false, not ${describe(f.value)}`);
      } else if (f.key === 'mtu') {
        const r = parseMtu(v);
        if (r.ok) d.mtu = r.value;
        else src.error(f.value, `${what}: ${r.message}`);
      } else {
        const r = parseMac(v);
        if (r.ok) d.mac = r.value;
        else src.error(f.value, `${what}: ${r.message}`);
      }
    }
  }
  return out;
}

/**
 * `addr: CIDR` or a list. A bare address is a /32, as `ip addr add` makes it.
 * 0.0.0.0 is refused: the kernel ignores it without a word, which would leave
 * the interface without the address the user thinks it has.
 */
function readAddrs(src: YamlSrc, node: YamlNode | null, what: string): AddrDraft[] {
  const out: AddrDraft[] = [];
  if (isSeq(node) && oneOrMany(node).length === 0) return out;
  for (const n of oneOrMany(node)) {
    const v = scalar(n);
    const c = typeof v === 'string' ? parseCidr(v.trim()) : null;
    if (c === null) {
      src.error(n, `address of ${what} must be an IPv4 address with its prefix length, such as 10.0.0.1/24, not ${describe(n)}`);
      continue;
    }
    if (c.addr === 0) {
      src.error(n, `0.0.0.0 cannot be an interface address (${what})`);
      continue;
    }
    out.push({ addr: c.addr, cidr: makeCidr(c.addr, c.len), node: n });
  }
  return out;
}
