/** xt_ttl: matches the IP time-to-live: equal to, less than or greater than a value. */
import type { MatchDef } from '../ext.js';

export const ttlMatch: MatchDef = {
  name: 'ttl',
  options: { 'ttl-eq': { args: 1, invert: true }, 'ttl-lt': { args: 1 }, 'ttl-gt': { args: 1 } },
  check: (u) =>
    /^\d+$/.test(u.args[0]) && Number(u.args[0]) <= 255 ? null : `ttl: bad value for option "--${u.name}", or out of range (0-255).\n`,
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return "TTL match: You must specify one of `--ttl-eq', `--ttl-lt', `--ttl-gt'";
    if (!/^\d+$/.test(u.args[0]) || Number(u.args[0]) > 255) return `ttl: bad value for option "--${u.name}", or out of range (0-255).\n`;
    const v = Number(u.args[0]);
    const op = u.name === 'ttl-eq' ? (u.invert ? 'ne' : 'eq') : u.name === 'ttl-lt' ? 'lt' : 'gt';
    const sym = { eq: '==', ne: '!=', lt: '<', gt: '>' }[op];
    return {
      name: 'ttl',
      save: () => (op === 'ne' ? ` ! --ttl-eq ${v}` : ` --ttl-${op} ${v}`),
      list: () => `TTL match TTL ${sym} ${v}`,
      test(skb) {
        const t = skb.pkt.ttl;
        return op === 'eq' ? t === v : op === 'ne' ? t !== v : op === 'lt' ? t < v : t > v;
      },
    };
  },
};
