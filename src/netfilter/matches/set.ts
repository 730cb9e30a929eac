/** xt_set: matches when the packet's addresses or ports are members of a named ipset. */
import type { MatchDef } from '../ext.js';

export const setMatch: MatchDef = {
  name: 'set',
  options: {
    'match-set': { args: 2, invert: true },
    'return-nomatch': { args: 0 },
    'update-counters': { args: 0, invert: true },
    'update-subcounters': { args: 0, invert: true },
  },
  check: (u, ctx) => (u.name === 'match-set' && !ctx.ipsetExists(u.args[0]) ? `Set ${u.args[0]} doesn't exist.\n` : null),
  build(uses, ctx) {
    const u = uses.filter((x) => x.name === 'match-set').pop();
    if (!u) return "You must specify `--match-set' with proper arguments";
    const [name, dirText] = u.args;
    if (!ctx.ipsetExists(name)) return `Set ${name} doesn't exist.\n`;
    const parts = dirText.split(',');
    if (parts.some((p) => p !== 'src' && p !== 'dst') || parts.length > 6)
      return `You must specify (the comma separated list of) 'src' or 'dst'`;
    const dims = parts.map((p) => p === 'src');
    const inv = u.invert;
    return {
      name: 'set',
      save: () => `${inv ? ' !' : ''} --match-set ${name} ${dirText}`,
      list: () => `match-set ${inv ? '! ' : ''}${name} ${dirText}`,
      test(skb, env) {
        const set = env.ipset(name);
        return (set !== undefined && set.test(skb, dims)) !== inv;
      },
    };
  },
};
