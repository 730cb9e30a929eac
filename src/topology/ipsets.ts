/**
 * Reading `ipsets:`. Members are kept as written (the set match parses them
 * for itself) but checked here against what `ipset add` accepts for the type,
 * so a typo is reported at its line rather than when a packet meets the set.
 */
import { parseCidr, parseIpv4 } from '../packet/ipv4.js';
import type { IpsetSpec } from './model.js';
import { didYouMean } from '../core/diagnostic.js';
import { describe, entries, type Entry, items, scalar, type YamlNode, type YamlSrc } from './yaml-src.js';

const TYPES: readonly IpsetSpec['type'][] = ['hash:net', 'hash:ip', 'hash:ip,port', 'hash:net,port', 'bitmap:port'];
const SET_KEYS = ['type', 'members'];
const PORT_PROTOS = ['tcp', 'udp', 'sctp', 'udplite'];
/** IPSET_MAXNAMELEN is 32 with the terminating NUL. */
const MAX_NAME = 31;

export function readIpsets(src: YamlSrc, node: YamlNode | null, nodeName: string): IpsetSpec[] {
  const out: IpsetSpec[] = [];
  for (const e of entries(src, node, `ipsets of ${nodeName}`, null) ?? []) {
    if (e.key.length > MAX_NAME || !/^[A-Za-z0-9_.:-]+$/.test(e.key)) {
      src.error(e.keyNode, `ipset name "${e.key}" must be 1 to ${MAX_NAME} letters, digits or "_.:-"`);
      continue;
    }
    const fields = entries(src, e.value, `ipset ${e.key}`, null);
    if (!fields) continue;
    if (!unknownKeys(src, fields, e.key)) continue;
    const typeE = fields.find((f) => f.key === 'type');
    const t = scalar(typeE?.value ?? null);
    if (!typeE) {
      src.error(e.keyNode, `ipset ${e.key} needs a \`type\` (one of ${TYPES.join(', ')})`);
      continue;
    }
    if (typeof t !== 'string' || !(TYPES as readonly string[]).includes(t)) {
      src.error(typeE.value, `ipset type must be one of ${TYPES.join(', ')}, not ${describe(typeE.value)}`);
      continue;
    }
    const type = t as IpsetSpec['type'];
    const members: string[] = [];
    const memE = fields.find((f) => f.key === 'members');
    for (const m of memE && scalar(memE.value) !== null ? (items(src, memE.value, `members of ipset ${e.key}`) ?? []) : []) {
      const v = scalar(m);
      const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : null;
      const why = text === null ? 'a member must be a string' : memberError(type, text);
      if (why) src.error(m, `ipset ${e.key} (${type}): ${why}, not ${describe(m)}`);
      else members.push(text!);
    }
    out.push({ name: e.key, type, members, pos: src.pos(e.keyNode) });
  }
  return out;
}

/** In a flow mapping `{ type: hash:ip,port }` the comma ends the value and `port` becomes a key; say so. */
function unknownKeys(src: YamlSrc, fields: Entry[], set: string): boolean {
  let ok = true;
  for (const f of fields) {
    if (SET_KEYS.includes(f.key)) continue;
    ok = false;
    const flow = f.key === 'port' || f.key === 'net,port' ? '; inside `{ }` a comma ends a value, so quote the type: "hash:ip,port"' : '';
    src.error(f.keyNode, `unknown key "${f.key}" in ipset ${set}${didYouMean(f.key, SET_KEYS)}; expected type, members${flow}`);
  }
  return ok;
}

function memberError(type: IpsetSpec['type'], text: string): string | null {
  switch (type) {
    case 'hash:ip':
      return ip(text, true) ? null : 'expected an IP address (or CIDR, added address by address)';
    case 'hash:net':
      return net(text) ? null : 'expected a CIDR with prefix 1..32, or an address';
    case 'bitmap:port':
      return portRange(text) ? null : 'expected a port or a range such as 8000-8100';
    case 'hash:ip,port':
    case 'hash:net,port': {
      const comma = text.indexOf(',');
      const left = text.slice(0, comma);
      const okLeft = comma > 0 && (type === 'hash:ip,port' ? ip(left, true) : net(left));
      const okRight = comma > 0 && protoPort(text.slice(comma + 1));
      const flow = comma < 0 ? ' (inside [ ] a comma separates items, so quote each member)' : '';
      return okLeft && okRight ? null : `expected ${type === 'hash:ip,port' ? 'IP' : 'CIDR'},[PROTO:]PORT such as "10.0.0.1,tcp:80"${flow}`;
    }
  }
}

function ip(text: string, allowCidr: boolean): boolean {
  return allowCidr ? parseCidr(text) !== null : parseIpv4(text) !== null;
}

/** hash:net refuses /0: ipset stores prefixes 1..32. */
function net(text: string): boolean {
  const c = parseCidr(text);
  return c !== null && c.len >= 1;
}

function port(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) <= 65535;
}

function portRange(text: string): boolean {
  const dash = text.indexOf('-');
  if (dash < 0) return port(text);
  const a = text.slice(0, dash);
  const b = text.slice(dash + 1);
  return port(a) && port(b) && Number(a) <= Number(b);
}

function protoPort(text: string): boolean {
  const colon = text.indexOf(':');
  if (colon < 0) return portRange(text);
  return PORT_PROTOS.includes(text.slice(0, colon)) && portRange(text.slice(colon + 1));
}
