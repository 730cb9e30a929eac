/** xt_multiport: matches up to 15 source or destination ports and port ranges at once. */
import { SERVICES } from '../services.js';
import type { MatchDef } from '../ext.js';

const PORT_PROTOS = new Set([6, 17, 33, 132, 136]);

/** iptables' words: an inverted or unsupported protocol "only works with", no protocol at all "needs". */
function protoProblem(proto: number, inverted: boolean): string | null {
  if (PORT_PROTOS.has(proto) && !inverted) return null;
  return proto === 0 && !inverted
    ? "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'"
    : 'multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP';
}

const PROTO_NAMES: Readonly<Record<number, string>> = { 6: 'tcp', 17: 'udp', 33: 'dccp', 132: 'sctp', 136: 'udplite' };
const SERVICE = new Map(SERVICES.map(([name, port, proto]) => [`${name}/${proto}`, port] as const));

/** A port by number or by service name for the rule's protocol only (getservbyname with it). */
function port(text: string, proto: number): number | null {
  if (/^\d+$/.test(text)) return Number(text) <= 65535 ? Number(text) : null;
  return SERVICE.get(`${text}/${PROTO_NAMES[proto] ?? ''}`) ?? null;
}

/** The comma list of ports and ranges, at most 15 ports (a range counts two), or iptables' complaint. */
function readRanges(text: string, proto: number): [number, number][] | string {
  const ranges: [number, number][] = [];
  let count = 0;
  for (const part of text.split(',')) {
    // A 16th port is refused before it is read.
    if (count >= 15) return 'too many ports specified';
    const colon = part.indexOf(':');
    const first = colon < 0 ? part : part.slice(0, colon);
    const lo = port(first, proto);
    if (lo === null) return `invalid port/service \`${first}' specified`;
    const hi = colon < 0 ? lo : port(part.slice(colon + 1), proto);
    if (hi === null) return `invalid port/service \`${part.slice(colon + 1)}' specified`;
    if (colon >= 0 && lo >= hi) return 'invalid portrange specified';
    if (colon >= 0 && count === 14) return 'too many ports specified';
    ranges.push([lo, hi]);
    count += colon < 0 ? 1 : 2;
  }
  return ranges;
}

/** The option names iptables' messages use, in the order of its option table. */
const CANONICAL = ['source-ports', 'destination-ports', 'ports'];
const canonical = (name: string) => (name === 'sports' ? 'source-ports' : name === 'dports' ? 'destination-ports' : name);

export const multiportMatch: MatchDef = {
  name: 'multiport',
  options: {
    sports: { args: 1, invert: true },
    'source-ports': { args: 1, invert: true },
    dports: { args: 1, invert: true },
    'destination-ports': { args: 1, invert: true },
    ports: { args: 1, invert: true },
  },
  // As iptables reads each option: once only, its protocol, then its ports. Two different ones are
  // refused only by the final check, after later options' errors.
  check: (u, ctx, prior) => {
    const mine = canonical(u.name);
    if (prior.some((p) => canonical(p.name) === mine)) return `multiport: option "--${mine}" can only be used once.\n`;
    const bad = protoProblem(ctx.proto, ctx.protoInvert);
    if (bad) return bad;
    const r = readRanges(u.args[0], ctx.proto);
    return typeof r === 'string' ? r : null;
  },
  build(uses, ctx) {
    // The final check goes through the options in their order of definition: the first two given are named.
    const given = CANONICAL.filter((c) => uses.some((u) => canonical(u.name) === c));
    if (given.length > 1) return `multiport: option "--${given[0]}" cannot be used together with "--${given[1]}".\n`;
    const bad = protoProblem(ctx.proto, ctx.protoInvert);
    if (bad) return bad;
    const u = uses[uses.length - 1];
    if (!u) return 'multiport expects an option';
    const which = u.name.startsWith('s') ? 'sports' : u.name.startsWith('d') ? 'dports' : 'ports';
    const ranges = readRanges(u.args[0], ctx.proto);
    if (typeof ranges === 'string') return ranges;
    const inv = u.invert;
    const text = ranges.map(([a, b]) => (a === b ? String(a) : `${a}:${b}`)).join(',');
    const inAny = (p: number) => {
      for (const [a, b] of ranges) if (p >= a && p <= b) return true;
      return false;
    };
    return {
      name: 'multiport',
      save: () => `${inv ? ' !' : ''} --${which} ${text}`,
      list: () => `multiport ${which} ${inv ? ' !' : ''}${text}`,
      test(skb) {
        const p = skb.pkt;
        const l4 = p.tcp ?? p.udp;
        if (!l4 || p.fragOffset !== 0) return false;
        const hit = which === 'sports' ? inAny(l4.sport) : which === 'dports' ? inAny(l4.dport) : inAny(l4.sport) || inAny(l4.dport);
        return hit !== inv;
      },
    };
  },
};
