/** xt_mark and xt_connmark: match the packet mark, or the connection mark, under a mask. */
import { hex, parseMarkMask, type MatchDef } from '../ext.js';

export function markText(value: number, mask: number): string {
  return mask >>> 0 === 0xffffffff ? hex(value) : `${hex(value)}/${hex(mask)}`;
}

export const markMatch: MatchDef = {
  name: 'mark',
  options: { mark: { args: 1, invert: true } },
  check: (u) => (parseMarkMask(u.args[0]) ? null : 'mark: bad integer value for option "--mark", or out of range.\n'),
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return "mark match: You must specify `--mark'";
    const mm = parseMarkMask(u.args[0]);
    if (!mm) return 'mark: bad integer value for option "--mark", or out of range.\n';
    const { value, mask } = mm;
    const inv = u.invert;
    return {
      name: 'mark',
      save: () => `${inv ? ' !' : ''} --mark ${markText(value, mask)}`,
      list: () => `mark match ${inv ? '! ' : ''}${markText(value, mask)}`,
      test: (skb) => ((skb.mark & mask) >>> 0 === (value & mask) >>> 0) !== inv,
    };
  },
};

export const connmarkMatch: MatchDef = {
  name: 'connmark',
  options: { mark: { args: 1, invert: true } },
  check: (u) => (parseMarkMask(u.args[0]) ? null : 'connmark: bad integer value for option "--mark", or out of range.\n'),
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return "connmark match: You must specify `--mark'";
    const mm = parseMarkMask(u.args[0]);
    if (!mm) return 'connmark: bad integer value for option "--mark", or out of range.\n';
    const { value, mask } = mm;
    const inv = u.invert;
    return {
      name: 'connmark',
      save: () => `${inv ? ' !' : ''} --mark ${markText(value, mask)}`,
      list: () => `connmark match ${inv ? '!' : ''} ${markText(value, mask)}`,
      test: (skb) => skb.ct !== null && ((skb.ct.mark & mask) >>> 0 === (value & mask) >>> 0) !== inv,
    };
  },
};
