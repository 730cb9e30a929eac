/** xt_hashlimit: a token-bucket rate limit kept per address, port or both, in a named table. */
import { formatIpv4, prefixMask } from '../../packet/ipv4.js';
import { dport, sport } from '../../packet/packet.js';
import type { MatchDef, OptionUse } from '../ext.js';
import { Bucket, formatRate, parseRate } from './rate.js';

const SCALE = 1_000_000;
const MODES = ['srcip', 'srcport', 'dstip', 'dstport'] as const;

/** Per-destination/source token buckets; entries are never expired (a documented simplification). */
export const hashlimitMatch: MatchDef = {
  name: 'hashlimit',
  options: {
    'hashlimit-upto': { args: 1 },
    'hashlimit-above': { args: 1 },
    'hashlimit-burst': { args: 1 },
    'hashlimit-mode': { args: 1 },
    'hashlimit-name': { args: 1 },
    'hashlimit-srcmask': { args: 1 },
    'hashlimit-dstmask': { args: 1 },
    'hashlimit-htable-size': { args: 1 },
    'hashlimit-htable-max': { args: 1 },
    'hashlimit-htable-gcinterval': { args: 1 },
    'hashlimit-htable-expire': { args: 1 },
    'hashlimit-rate-match': { args: 0 },
    'hashlimit-rate-interval': { args: 1 },
  },
  build(uses, ctx) {
    const get = (n: string): OptionUse | undefined => uses.filter((u) => u.name === `hashlimit-${n}`).pop();
    const above = get('above');
    const upto = get('upto');
    const rateUse = above ?? upto;
    if (!rateUse) return 'hashlimit: You have to specify --hashlimit';
    const interval = parseRate(rateUse.args[0], SCALE);
    if (interval === null) return `hashlimit: Bad value for "--hashlimit-${above ? 'above' : 'upto'}" option: "${rateUse.args[0]}"`;
    const nameUse = get('name');
    if (!nameUse) return 'hashlimit: option "--hashlimit-name" must be specified\n';
    const num = (n: string): number | null => {
      const u = get(n);
      return u && /^\d+$/.test(u.args[0]) ? Number(u.args[0]) : null;
    };
    const burst = num('burst') ?? 5;
    if (burst < 1 || burst > 1_000_000) return 'bad value for option "--hashlimit-burst", or out of range (1-1000000).';
    const modeUse = get('mode');
    const modes = modeUse ? modeUse.args[0].split(',') : [];
    for (const m of modes)
      if (!(MODES as readonly string[]).includes(m)) return `hashlimit: Bad value for "--hashlimit-mode" option: "${modeUse!.args[0]}"`;
    const srcmask = num('srcmask') ?? 32;
    const dstmask = num('dstmask') ?? 32;
    const expire = num('htable-expire');
    const size = num('htable-size');
    const max = num('htable-max');
    const gc = num('htable-gcinterval');
    const rateMatch = get('rate-match') !== undefined;
    const rateInterval = num('rate-interval');
    const rate = formatRate(interval, SCALE);
    const modeText = MODES.filter((m) => modes.includes(m)).join(',');
    const name = nameUse.args[0];
    const isAbove = above !== undefined;
    const shared = (ctx.shared.get(`hashlimit:${name}`) as Map<string, Bucket> | undefined) ?? new Map<string, Bucket>();
    ctx.shared.set(`hashlimit:${name}`, shared);
    const sm = prefixMask(srcmask);
    const dm = prefixMask(dstmask);
    const costUs = interval * (1_000_000 / SCALE);
    const opt = (label: string, v: number | null) => (v === null ? '' : ` --hashlimit-${label} ${v}`);
    return {
      name: 'hashlimit',
      save: () =>
        ` --hashlimit-${isAbove ? 'above' : 'upto'} ${rate} --hashlimit-burst ${burst}` +
        (modeText ? ` --hashlimit-mode ${modeText}` : '') +
        ` --hashlimit-name ${name}` +
        opt('htable-size', size) +
        opt('htable-max', max) +
        opt('htable-gcinterval', gc) +
        opt('htable-expire', expire) +
        (srcmask !== 32 ? ` --hashlimit-srcmask ${srcmask}` : '') +
        (dstmask !== 32 ? ` --hashlimit-dstmask ${dstmask}` : '') +
        (rateMatch ? ' --hashlimit-rate-match' : '') +
        (rateInterval !== null && rateInterval !== 1 ? ` --hashlimit-rate-interval ${rateInterval}` : ''),
      list: () =>
        `limit: ${isAbove ? 'above' : 'up to'} ${rate} burst ${burst}` +
        (modeText ? ` mode ${modeText.replace(/,/g, '-')}` : '') +
        (size !== null ? ` htable-size ${size}` : '') +
        (max !== null ? ` htable-max ${max}` : '') +
        (gc !== null ? ` htable-gcinterval ${gc}` : '') +
        (expire !== null ? ` htable-expire ${expire}` : '') +
        (rateMatch ? ' rate-match' : '') +
        (rateInterval !== null ? ` rate-interval ${rateInterval}` : ''),
      test(skb, env) {
        const p = skb.pkt;
        // Key building is string work per packet; acceptable for this rarely used match.
        let key = '';
        if (modes.includes('srcip')) key += formatIpv4((p.src & sm) >>> 0);
        if (modes.includes('dstip')) key += '>' + formatIpv4((p.dst & dm) >>> 0);
        if (modes.includes('srcport')) key += ':' + sport(p);
        if (modes.includes('dstport')) key += ';' + dport(p);
        const now = env.now();
        let b = shared.get(key);
        if (!b) {
          b = new Bucket(costUs, burst, now);
          shared.set(key, b);
        }
        const within = b.take(now);
        return isAbove ? !within : within;
      },
    };
  },
};
