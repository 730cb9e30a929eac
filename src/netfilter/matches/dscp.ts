/** xt_dscp: matches the DiffServ code point (the upper six bits of the TOS byte). */
import { hex2, parseUint, type MatchDef, type OptionUse } from '../ext.js';

/** DiffServ class names and their code points. */
export const DSCP_CLASSES: Record<string, number> = {
  CS0: 0,
  CS1: 8,
  CS2: 16,
  CS3: 24,
  CS4: 32,
  CS5: 40,
  CS6: 48,
  CS7: 56,
  AF11: 10,
  AF12: 12,
  AF13: 14,
  AF21: 18,
  AF22: 20,
  AF23: 22,
  AF31: 26,
  AF32: 28,
  AF33: 30,
  AF41: 34,
  AF42: 36,
  AF43: 38,
  EF: 46,
  BE: 0,
};

const dscpValue = (u: OptionUse) => (u.name === 'dscp' ? parseUint(u.args[0], 63) : (DSCP_CLASSES[u.args[0].toUpperCase()] ?? null));
const dscpError = (u: OptionUse) =>
  u.name === 'dscp' ? 'dscp: bad value for option "--dscp", or out of range (0-63).\n' : `Invalid DSCP value \`${u.args[0]}'`;

export const dscpMatch: MatchDef = {
  name: 'dscp',
  options: { dscp: { args: 1, invert: true }, 'dscp-class': { args: 1, invert: true } },
  check: (u) => (dscpValue(u) === null ? dscpError(u) : null),
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return 'DSCP match: Parameter --dscp is required';
    const v = dscpValue(u);
    if (v === null) return dscpError(u);
    const inv = u.invert;
    return {
      name: 'dscp',
      save: () => `${inv ? ' !' : ''} --dscp ${hex2(v)}`,
      list: () => `DSCP match ${inv ? '!' : ''}${hex2(v)}`,
      test: (skb) => (skb.pkt.tos >> 2 === v) !== inv,
    };
  },
};
