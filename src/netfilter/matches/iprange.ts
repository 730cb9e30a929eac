import { formatIpv4 } from '../../packet/ipv4.js';
import { parseDotted } from '../addr.js';
import type { MatchDef } from '../ext.js';

interface Range {
  lo: number;
  hi: number;
  inv: boolean;
}

function parseRange(text: string, inv: boolean): Range | null {
  const dash = text.indexOf('-');
  const lo = parseDotted(dash < 0 ? text : text.slice(0, dash));
  const hi = dash < 0 ? lo : parseDotted(text.slice(dash + 1));
  return lo === null || hi === null ? null : { lo, hi, inv };
}

const fmt = (r: Range) => `${formatIpv4(r.lo)}-${formatIpv4(r.hi)}`;

export const iprangeMatch: MatchDef = {
  name: 'iprange',
  options: { 'src-range': { args: 1, invert: true }, 'dst-range': { args: 1, invert: true } },
  build(uses) {
    let src: Range | null = null;
    let dst: Range | null = null;
    for (const u of uses) {
      const r = parseRange(u.args[0], u.invert);
      if (!r) return `iprange match: Bad IP address "${u.args[0]}"`;
      if (u.name === 'src-range') src = r;
      else dst = r;
    }
    if (!src && !dst) return "iprange match: You must specify `--src-range' or `--dst-range'";
    const s = src;
    const d = dst;
    const inR = (r: Range, a: number) => (a >= r.lo && a <= r.hi) !== r.inv;
    return {
      name: 'iprange',
      save: () => (s ? `${s.inv ? ' !' : ''} --src-range ${fmt(s)}` : '') + (d ? `${d.inv ? ' !' : ''} --dst-range ${fmt(d)}` : ''),
      list: () =>
        [s ? `source IP range ${s.inv ? '! ' : ''}${fmt(s)}` : '', d ? `destination IP range ${d.inv ? '! ' : ''}${fmt(d)}` : '']
          .filter(Boolean)
          .join(' '),
      test: (skb) => (!s || inR(s, skb.pkt.src)) && (!d || inR(d, skb.pkt.dst)),
    };
  },
};
