/** xt_multiport: matches up to 15 source or destination ports and port ranges at once. */
import { parsePortRange } from '../addr.js';
import type { MatchDef } from '../ext.js';
import { protoName } from '../../packet/packet.js';

const PORT_PROTOS = new Set([6, 17, 33, 132, 136]);

/** iptables' words: an inverted or unsupported protocol "only works with", no protocol at all "needs". */
function protoProblem(proto: number, inverted: boolean): string | null {
  if (PORT_PROTOS.has(proto) && !inverted) return null;
  return proto === 0 && !inverted
    ? "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'"
    : 'multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP';
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
  // Each option is read once and alone, then its protocol checked, as the ports are read.
  check: (u, ctx, prior) => {
    const mine = canonical(u.name);
    for (const p of prior) {
      const other = canonical(p.name);
      if (other === mine) return `multiport: option "--${mine}" can only be used once.\n`;
      const [first, second] = CANONICAL.indexOf(other) < CANONICAL.indexOf(mine) ? [other, mine] : [mine, other];
      return `multiport: option "--${first}" cannot be used together with "--${second}".\n`;
    }
    return protoProblem(ctx.proto, ctx.protoInvert);
  },
  build(uses, ctx) {
    const bad = protoProblem(ctx.proto, ctx.protoInvert);
    if (bad) return bad;
    const u = uses[uses.length - 1];
    if (!u) return 'multiport expects an option';
    const which = u.name.startsWith('s') ? 'sports' : u.name.startsWith('d') ? 'dports' : 'ports';
    const ranges: [number, number][] = [];
    let count = 0;
    for (const part of u.args[0].split(',')) {
      const r = parsePortRange(part, protoName(ctx.proto));
      if (r === null) return `invalid port/service \`${part}' specified`;
      ranges.push(r);
      count += r[0] === r[1] ? 1 : 2;
    }
    if (count > 15) return 'too many ports specified';
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
