/** xt_length: matches the IP packet length against a value or range. */
import { packetLength } from '../../packet/packet.js';
import type { MatchDef } from '../ext.js';

export const lengthMatch: MatchDef = {
  name: 'length',
  options: { length: { args: 1, invert: true } },
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return "length: You must specify `--length'";
    const m = /^(\d*)(?::(\d*))?$/.exec(u.args[0]);
    if (!m || (m[1] === '' && m[2] === undefined)) return `length: Bad value for "--length" option: "${u.args[0]}"`;
    const lo = m[1] === '' ? 0 : Number(m[1]);
    const hi = m[2] === undefined ? lo : m[2] === '' ? 65535 : Number(m[2]);
    // A reversed range is accepted (and then matches nothing), as iptables does.
    if (lo > 65535 || hi > 65535)
      return `length: bad value for option "--length" near "${u.args[0].slice(u.args[0].indexOf(':') + 1) || u.args[0]}", or out of range (0-65535).\n`;
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
