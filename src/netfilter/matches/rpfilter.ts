/** xt_rpfilter: reverse-path filter: matches when a reply to the packet would leave by the interface it came in on. */
import type { MatchDef } from '../ext.js';

const FLAGS = ['loose', 'validmark', 'accept-local', 'invert'] as const;

export const rpfilterMatch: MatchDef = {
  name: 'rpfilter',
  options: { loose: { args: 0 }, validmark: { args: 0 }, 'accept-local': { args: 0 }, invert: { args: 0 } },
  build(uses) {
    const set = new Set(uses.map((u) => u.name));
    const opts = { loose: set.has('loose'), validMark: set.has('validmark'), acceptLocal: set.has('accept-local') };
    const inv = set.has('invert');
    const on = FLAGS.filter((f) => set.has(f));
    return {
      name: 'rpfilter',
      legal: { tables: ['raw', 'mangle'], hooks: ['PREROUTING'] },
      save: () => on.map((f) => ` --${f}`).join(''),
      list: () => ['rpfilter', ...on].join(' '),
      test: (skb, env) => env.rpfilter(skb, opts) !== inv,
    };
  },
};
