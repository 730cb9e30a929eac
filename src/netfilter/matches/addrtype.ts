/** xt_addrtype: matches the routing type (LOCAL, UNICAST, BROADCAST, ...) of the source or destination address. */
import { ADDRTYPE } from '../types.js';
import type { MatchDef } from '../ext.js';

const NAMES = Object.keys(ADDRTYPE) as (keyof typeof ADDRTYPE)[];

function parseTypes(text: string): number | null {
  let bits = 0;
  for (const n of text.split(',')) {
    const b = ADDRTYPE[n.toUpperCase() as keyof typeof ADDRTYPE];
    if (b === undefined) return null;
    bits |= b;
  }
  return bits;
}

const fmt = (bits: number) => NAMES.filter((n) => bits & ADDRTYPE[n]).join(',');

export const addrtypeMatch: MatchDef = {
  name: 'addrtype',
  options: {
    'src-type': { args: 1, invert: true },
    'dst-type': { args: 1, invert: true },
    'limit-iface-in': { args: 0 },
    'limit-iface-out': { args: 0 },
  },
  check: (u) =>
    (u.name === 'src-type' || u.name === 'dst-type') && parseTypes(u.args[0]) === null ? `addrtype: bad type "${u.args[0]}"` : null,
  build(uses) {
    let src: { bits: number; inv: boolean } | null = null;
    let dst: { bits: number; inv: boolean } | null = null;
    let limitIn = false;
    let limitOut = false;
    for (const u of uses) {
      if (u.name === 'limit-iface-in') limitIn = true;
      else if (u.name === 'limit-iface-out') limitOut = true;
      else {
        const bits = parseTypes(u.args[0]);
        if (bits === null) return `addrtype: bad type "${u.args[0]}"`;
        if (u.name === 'src-type') src = { bits, inv: u.invert };
        else dst = { bits, inv: u.invert };
      }
    }
    if (limitIn && limitOut) return "addrtype: you can't specify both --limit-iface-in and --limit-iface-out";
    const s = src;
    const d = dst;
    const hooks = limitIn
      ? (['PREROUTING', 'INPUT', 'FORWARD'] as const)
      : limitOut
        ? (['POSTROUTING', 'OUTPUT', 'FORWARD'] as const)
        : undefined;
    return {
      name: 'addrtype',
      legal: hooks ? { hooks } : undefined,
      save: () =>
        (s ? `${s.inv ? ' !' : ''} --src-type ${fmt(s.bits)}` : '') +
        (d ? `${d.inv ? ' !' : ''} --dst-type ${fmt(d.bits)}` : '') +
        (limitIn ? ' --limit-iface-in' : '') +
        (limitOut ? ' --limit-iface-out' : ''),
      list: () =>
        'ADDRTYPE match' +
        (s ? ` src-type ${s.inv ? '!' : ''}${fmt(s.bits)}` : '') +
        (d ? ` dst-type ${d.inv ? '!' : ''}${fmt(d.bits)}` : '') +
        (limitIn ? ' limit-in' : '') +
        (limitOut ? ' limit-out' : ''),
      test(skb, env) {
        const dev = limitIn ? skb.inIf : limitOut ? skb.outIf : null;
        if (s && ((env.addrType(skb.pkt.src, dev) & s.bits) !== 0) === s.inv) return false;
        if (d && ((env.addrType(skb.pkt.dst, dev) & d.bits) !== 0) === d.inv) return false;
        return true;
      },
    };
  },
};
