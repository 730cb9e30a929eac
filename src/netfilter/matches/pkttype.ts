/** xt_pkttype: matches the link-layer packet type (unicast, broadcast, multicast, otherhost). */
import type { MatchDef } from '../ext.js';

const TYPES = ['unicast', 'broadcast', 'multicast', 'otherhost'] as const;
/** The other names iptables reads for them. */
const ALIASES: Readonly<Record<string, (typeof TYPES)[number]>> = { host: 'unicast', bcast: 'broadcast', mcast: 'multicast' };

export const pkttypeMatch: MatchDef = {
  name: 'pkttype',
  options: { 'pkt-type': { args: 1, invert: true } },
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return "pkttype: You must specify `--pkt-type'";
    const lower = u.args[0].toLowerCase();
    const t = TYPES.find((x) => x === lower) ?? ALIASES[lower];
    if (!t) return `Bad packet type '${u.args[0]}'`;
    const inv = u.invert;
    return {
      name: 'pkttype',
      save: () => `${inv ? ' !' : ''} --pkt-type ${t}`,
      list: () => `PKTTYPE ${inv ? '!' : ''}= ${t}`,
      test: (skb) => (skb.pktType === t) !== inv,
    };
  },
};
