import type { MatchDef } from '../ext.js';

const TYPES = ['unicast', 'broadcast', 'multicast'] as const;

export const pkttypeMatch: MatchDef = {
  name: 'pkttype',
  options: { 'pkt-type': { args: 1, invert: true } },
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return "pkttype: You must specify `--pkt-type'";
    const t = TYPES.find((x) => x === u.args[0].toLowerCase());
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
