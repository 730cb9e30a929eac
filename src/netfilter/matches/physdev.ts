/** xt_physdev: matches the bridge ports a bridged frame came in on or goes out of. */
import { ifaceMatcher } from '../addr.js';
import type { MatchDef } from '../ext.js';

type Flag = 'physdev-is-in' | 'physdev-is-out' | 'physdev-is-bridged';

export const physdevMatch: MatchDef = {
  name: 'physdev',
  options: {
    'physdev-in': { args: 1, invert: true },
    'physdev-out': { args: 1, invert: true },
    'physdev-is-in': { args: 0, invert: true },
    'physdev-is-out': { args: 0, invert: true },
    'physdev-is-bridged': { args: 0, invert: true },
  },
  build(uses) {
    let inDev: { name: string; inv: boolean } | null = null;
    let outDev: { name: string; inv: boolean } | null = null;
    const flags = new Map<Flag, boolean>();
    for (const u of uses) {
      if (u.name === 'physdev-in') inDev = { name: u.args[0], inv: u.invert };
      else if (u.name === 'physdev-out') outDev = { name: u.args[0], inv: u.invert };
      else flags.set(u.name as Flag, u.invert);
    }
    if (!inDev && !outDev && flags.size === 0) return 'PHYSDEV: no physdev option specified';
    const I = inDev;
    const O = outDev;
    const inM = I ? ifaceMatcher(I.name) : null;
    const outM = O ? ifaceMatcher(O.name) : null;
    const flagText = (prefix: string, sep: string) =>
      (['physdev-is-in', 'physdev-is-out', 'physdev-is-bridged'] as const)
        .filter((f) => flags.has(f))
        .map((f) => `${flags.get(f) ? `${sep}!` : ''}${sep}${prefix}${f}`)
        .join('');
    // Every test negated means the rule also matches packets that are not being bridged.
    const allNegated = (!I || I.inv) && (!O || O.inv) && [...flags.values()].every((v) => v);
    // The kernel refuses an output-port test in OUTPUT unless the rule also asks for bridged traffic.
    const outTest = O !== null || flags.has('physdev-is-out');
    const bridgedOnly = flags.get('physdev-is-bridged') === false;
    const legal = outTest && !bridgedOnly ? { hooks: ['PREROUTING', 'INPUT', 'FORWARD', 'POSTROUTING'] as const } : undefined;
    return {
      name: 'physdev',
      legal,
      save: () =>
        (I ? `${I.inv ? ' !' : ''} --physdev-in ${I.name}` : '') +
        (O ? `${O.inv ? ' !' : ''} --physdev-out ${O.name}` : '') +
        flagText('--', ' '),
      list: () =>
        'PHYSDEV match' +
        (I ? `${I.inv ? ' !' : ''} --physdev-in ${I.name}` : '') +
        (O ? `${O.inv ? ' !' : ''} --physdev-out ${O.name}` : '') +
        flagText('--', ' '),
      test(skb) {
        if (!skb.bridged) return allNegated;
        if (flags.has('physdev-is-bridged') && (skb.physOut !== null) === flags.get('physdev-is-bridged')) return false;
        if (flags.has('physdev-is-in') && (skb.physIn !== null) === flags.get('physdev-is-in')) return false;
        if (flags.has('physdev-is-out') && (skb.physOut !== null) === flags.get('physdev-is-out')) return false;
        if (I && inM!(skb.physIn) === I.inv) return false;
        if (O && outM!(skb.physOut) === O.inv) return false;
        return true;
      },
    };
  },
};
