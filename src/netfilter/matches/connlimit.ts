/** xt_connlimit: matches when the number of tracked connections from (or to) an address block is above or up to a limit. */
import type { MatchDef } from '../ext.js';

/**
 * Parsed and saved. Counting connections per address would need the conntrack
 * table, which NfEnv does not expose: `--connlimit-above` never matches and
 * `--connlimit-upto` always does (as if every client had one connection).
 */
const BAD_MASK = 'connlimit: bad value for option "--connlimit-mask", neither a valid network mask nor valid CIDR (0-32).\n';

export const connlimitMatch: MatchDef = {
  name: 'connlimit',
  options: {
    'connlimit-upto': { args: 1, invert: true },
    'connlimit-above': { args: 1, invert: true },
    'connlimit-mask': { args: 1 },
    'connlimit-saddr': { args: 0 },
    'connlimit-daddr': { args: 0 },
  },
  // Values are read (and refused) as they come.
  check(u) {
    if ((u.name === 'connlimit-upto' || u.name === 'connlimit-above') && !(/^\d+$/.test(u.args[0]) && Number(u.args[0]) <= 0xffffffff))
      return `connlimit: bad value for option "--${u.name}", or out of range (0-4294967295).\n`;
    return u.name === 'connlimit-mask' && !/^\d+$/.test(u.args[0]) ? BAD_MASK : null;
  },
  build(uses) {
    let limit = -1;
    let above = false;
    let mask = 32;
    let daddr = false;
    for (const u of uses) {
      if (u.name === 'connlimit-upto' || u.name === 'connlimit-above') {
        if (!/^\d+$/.test(u.args[0]) || Number(u.args[0]) > 0xffffffff)
          return `connlimit: bad value for option "--${u.name}", or out of range (0-4294967295).\n`;
        limit = Number(u.args[0]);
        // `! --connlimit-above` is `--connlimit-upto`, and the other way round.
        above = (u.name === 'connlimit-above') !== u.invert;
      } else if (u.name === 'connlimit-mask') {
        if (!/^\d+$/.test(u.args[0])) return BAD_MASK;
        // Masks are read for IPv6 too; an IPv4 rule keeps at most 32 bits.
        mask = Math.min(Number(u.args[0]), 32);
      } else daddr = u.name === 'connlimit-daddr';
    }
    if (limit < 0) return 'connlimit: You must specify "--connlimit-above" or "--connlimit-upto"';
    const side = daddr ? 'daddr' : 'saddr';
    return {
      name: 'connlimit',
      save: () => ` --connlimit-${above ? 'above' : 'upto'} ${limit} --connlimit-mask ${mask} --connlimit-${side}`,
      list: () => `#conn ${daddr ? 'dst' : 'src'}/${mask} ${above ? '>' : '<='} ${limit}`,
      test: () => !above,
    };
  },
};
