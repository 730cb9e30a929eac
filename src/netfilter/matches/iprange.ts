/** xt_iprange: matches source or destination addresses inside an inclusive range. */
import { formatIpv4 } from '../../packet/ipv4.js';
import { parseDotted } from '../addr.js';
import type { MatchDef, OptionUse } from '../ext.js';

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

/** The kernel's xt_iprange says so (iptables passes it on) when a range runs backwards. */
function reversedWarning(args: readonly string[]): string | null {
  const r = parseRange(args[0], false);
  return r && r.lo > r.hi ? `xt_iprange: range ${fmt(r)} is reversed and will never match` : null;
}

const fmt = (r: Range) => `${formatIpv4(r.lo)}-${formatIpv4(r.hi)}`;

/** iptables names the first part of `A-B` it cannot read. */
function checkRange(u: OptionUse): string | null {
  const text = u.args[0];
  const dash = text.indexOf('-');
  const parts = dash < 0 ? [text] : [text.slice(0, dash), text.slice(dash + 1)];
  for (const p of parts) if (parseDotted(p) === null) return `iprange: Bad value for "--${u.name}" option: "${p}"`;
  return null;
}

export const iprangeMatch: MatchDef = {
  name: 'iprange',
  options: {
    'src-range': { args: 1, invert: true, warn: reversedWarning },
    'dst-range': { args: 1, invert: true, warn: reversedWarning },
  },
  check: checkRange,
  build(uses) {
    let src: Range | null = null;
    let dst: Range | null = null;
    for (const u of uses) {
      const r = parseRange(u.args[0], u.invert);
      if (!r) return checkRange(u) ?? `iprange: Bad value for "--${u.name}" option: "${u.args[0]}"`;
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
