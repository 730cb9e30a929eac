/** xt_length: matches the IP packet length against a value or range. */
import { packetLength } from '../../packet/packet.js';
import type { MatchDef } from '../ext.js';
import { x6UintRange } from './x6.js';

export const lengthMatch: MatchDef = {
  name: 'length',
  options: { length: { args: 1, invert: true } },
  check(u, _ctx, prior) {
    if (prior.length > 0) return 'length: option "--length" can only be used once.\n';
    const r = x6UintRange(u.args[0], 'length', 'length', 65535);
    return typeof r === 'string' ? r : null;
  },
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return "length: You must specify `--length'";
    // A reversed range is accepted (and then matches nothing), as iptables does.
    const r = x6UintRange(u.args[0], 'length', 'length', 65535);
    if (typeof r === 'string') return r;
    const [lo, hi] = r;
    const inv = u.invert;
    const text = lo === hi ? String(lo) : `${lo}:${hi}`;
    return {
      name: 'length',
      save: () => `${inv ? ' !' : ''} --length ${text}`,
      list: () => `length ${inv ? '!' : ''}${text}`,
      test(skb) {
        const len = packetLength(skb.pkt);
        return (len >= lo && len <= hi) !== inv;
      },
    };
  },
};
