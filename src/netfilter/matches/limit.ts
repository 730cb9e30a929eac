/** xt_limit: a token-bucket rate limit shared by every packet that reaches the rule. */
import type { MatchDef } from '../ext.js';
import { Bucket, formatRate, parseRate } from './rate.js';

const SCALE = 10000;

export const limitMatch: MatchDef = {
  name: 'limit',
  options: { limit: { args: 1 }, 'limit-burst': { args: 1 } },
  check(u, _ctx, prior) {
    if (prior.some((p) => p.name === u.name)) return `limit: option "--${u.name}" can only be used once.\n`;
    if (u.name === 'limit') return parseRate(u.args[0], SCALE) === null ? `bad rate "${u.args[0]}"'` : null;
    return /^\d+$/.test(u.args[0]) && Number(u.args[0]) <= 10000
      ? null
      : 'limit: bad value for option "--limit-burst", or out of range (0-10000).\n';
  },
  build(uses) {
    let interval = Math.floor((SCALE * 3600) / 3);
    let burst = 5;
    let burstZero = false;
    for (const u of uses) {
      if (u.name === 'limit') {
        const r = parseRate(u.args[0], SCALE);
        if (r === null) return `bad rate "${u.args[0]}"'`;
        interval = r;
      } else {
        if (!/^\d+$/.test(u.args[0]) || Number(u.args[0]) > 10000)
          return 'limit: bad value for option "--limit-burst", or out of range (0-10000).\n';
        // A burst of 0 means the default, as the kernel reads it.
        burst = Number(u.args[0]) || 5;
        burstZero = Number(u.args[0]) === 0;
      }
    }
    const rate = formatRate(interval, SCALE);
    // The bucket starts full on the first packet, as a freshly inserted kernel rule does.
    let bucket: Bucket | null = null;
    const costUs = interval * (1_000_000 / SCALE);
    return {
      name: 'limit',
      // iptables-nft sends burst 0 in its native limit expression; the kernel stores 5.
      asBuilt: burstZero ? ' --limit-burst 0' : undefined,
      save: () => ` --limit ${rate}` + (burst !== 5 ? ` --limit-burst ${burst}` : ''),
      list: () => `limit: avg ${rate} burst ${burst}`,
      test(_skb, env) {
        const now = env.now();
        bucket ??= new Bucket(costUs, burst, now);
        return bucket.take(now);
      },
    };
  },
};
