/** xt_hashlimit: a token-bucket rate limit kept per address, port or both, in a named table. */
import { formatIpv4, prefixMask } from '../../packet/ipv4.js';
import { dport, sport } from '../../packet/packet.js';
import { parseUint, type MatchDef, type OptionUse } from '../ext.js';
import { Bucket, formatRate, parseRate } from './rate.js';

const SCALE = 1_000_000;
const MODES = ['srcip', 'srcport', 'dstip', 'dstport'] as const;

/** Per-destination/source token buckets; entries are never expired (a documented simplification). */
export const hashlimitMatch: MatchDef = {
  name: 'hashlimit',
  options: {
    'hashlimit-upto': { args: 1, invert: true },
    'hashlimit-above': { args: 1, invert: true },
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
  // Values are read (and refused) as they come, once each.
  check(u, _ctx, prior) {
    if (prior.some((p) => p.name === u.name)) return `hashlimit: option "--${u.name}" can only be used once.\n`;
    return checkValue(u);
  },
  build(uses, ctx) {
    const get = (n: string): OptionUse | undefined => uses.filter((u) => u.name === `hashlimit-${n}`).pop();
    const above = get('above');
    const upto = get('upto');
    for (const u of uses) {
      const bad = checkValue(u);
      if (bad) return bad;
    }
    if (above && upto) return 'hashlimit: option "--hashlimit-upto" cannot be used together with "--hashlimit-above".\n';
    const rateUse = above ?? upto;
    if (!rateUse) return 'hashlimit: You have to specify --hashlimit';
    const given = parseRate(rateUse.args[0], SCALE)!;
    const nameUse = get('name');
    if (!nameUse) return 'hashlimit: option "--hashlimit-name" must be specified\n';
    const num = (n: string): number | null => {
      const u = get(n);
      return u ? parseUint(u.args[0]) : null;
    };
    const burst = num('burst') ?? 5;
    const modeUse = get('mode');
    const modes = modeUse ? modeUse.args[0].split(',') : [];
    const srcmask = num('srcmask') ?? 32;
    const dstmask = num('dstmask') ?? 32;
    const size = num('htable-size');
    const max = num('htable-max');
    const gc = num('htable-gcinterval');
    const rateMatch = get('rate-match') !== undefined;
    const unitGiven = num('rate-interval');
    // With --hashlimit-rate-match iptables keeps the count per second and sets the entries' expiry to the unit given.
    const count = Number(/^\d+/.exec(rateUse.args[0])![0]);
    const unitSecs = Math.round((given * count) / SCALE);
    const interval = rateMatch ? Math.floor(SCALE / count) : given;
    // Rate-match measures over the unit given unless told otherwise.
    const rateInterval = unitGiven ?? (rateMatch ? unitSecs : 1);
    let expire = num('htable-expire');
    if (rateMatch && expire === null) expire = unitSecs * 1000;
    const kernelError =
      srcmask > 32 || dstmask > 32 || gc === 0
        ? 'Invalid argument'
        : !rateMatch && creditsOverflow(interval, burst)
          ? 'Numerical result out of range'
          : undefined;
    const listRate = formatRate(interval * rateInterval, SCALE);
    // iptables leaves out the default garbage-collection interval (1000 ms)...
    const shownGc = gc === 1000 ? null : gc;
    // ...and an expiry equal to the unit of the rate it prints.
    const shownExpire = (printed: string): number | null =>
      expire === null || expire === UNIT_MS[printed.slice(printed.indexOf('/') + 1)] ? null : expire;
    const rate = rateMatch ? `${count}/sec` : formatRate(interval, SCALE);
    const modeText = MODES.filter((m) => modes.includes(m)).join(',');
    const name = nameUse.args[0];
    // `! --hashlimit-upto` is `--hashlimit-above`, and the other way round.
    const isAbove = (above !== undefined) !== rateUse.invert;
    const shared = (ctx.shared.get(`hashlimit:${name}`) as Map<string, Bucket> | undefined) ?? new Map<string, Bucket>();
    ctx.shared.set(`hashlimit:${name}`, shared);
    const sm = prefixMask(srcmask);
    const dm = prefixMask(dstmask);
    const costUs = interval * (1_000_000 / SCALE);
    const opt = (label: string, v: number | null) => (v === null ? '' : ` --hashlimit-${label} ${v}`);
    return {
      name: 'hashlimit',
      kernelError,
      // The kernel's table of that name keeps the mode of the rule that made it.
      sharedObject: { key: `hashlimit:${name}`, kind: rateMatch ? 'rate-match' : 'plain' },
      save: () =>
        ` --hashlimit-${isAbove ? 'above' : 'upto'} ${rate} --hashlimit-burst ${burst}` +
        (modeText ? ` --hashlimit-mode ${modeText}` : '') +
        ` --hashlimit-name ${name}` +
        opt('htable-size', size) +
        opt('htable-max', max) +
        opt('htable-gcinterval', shownGc) +
        opt('htable-expire', shownExpire(rate)) +
        (srcmask !== 32 ? ` --hashlimit-srcmask ${srcmask}` : '') +
        (dstmask !== 32 ? ` --hashlimit-dstmask ${dstmask}` : '') +
        (rateMatch ? ' --hashlimit-rate-match' : '') +
        (rateMatch && rateInterval !== 1 ? ` --hashlimit-rate-interval ${rateInterval}` : ''),
      list: () =>
        `limit: ${isAbove ? 'above' : 'up to'} ${listRate} burst ${burst}` +
        (modeText ? ` mode ${modeText.replace(/,/g, '-')}` : '') +
        (size !== null ? ` htable-size ${size}` : '') +
        (max !== null ? ` htable-max ${max}` : '') +
        (shownGc !== null ? ` htable-gcinterval ${shownGc}` : '') +
        opt('htable-expire', shownExpire(listRate)).replace('--hashlimit-', '') +
        (srcmask !== 32 ? ` srcmask ${srcmask}` : '') +
        (dstmask !== 32 ? ` dstmask ${dstmask}` : '') +
        (rateMatch ? ' rate-match' : '') +
        (rateMatch && rateInterval !== 1 ? ` rate-interval ${rateInterval}` : ''),
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

const UNIT_MS: Readonly<Record<string, number>> = { sec: 1000, min: 60_000, hour: 3_600_000, day: 86_400_000 };

const U32_OPTIONS = new Set(['hashlimit-htable-size', 'hashlimit-htable-max', 'hashlimit-htable-gcinterval', 'hashlimit-htable-expire']);

/** One option's value, as iptables reads it: the error text, or null. */
function checkValue(u: OptionUse): string | null {
  const v = u.args[0];
  switch (u.name) {
    case 'hashlimit-upto':
    case 'hashlimit-above':
      return parseRate(v, SCALE) === null ? `hashlimit: Bad value for "--${u.name}" option: "${v}"` : null;
    case 'hashlimit-burst': {
      const n = parseUint(v);
      return n === null || n < 1 || n > 1_000_000 ? 'bad value for option "--hashlimit-burst", or out of range (1-1000000).' : null;
    }
    case 'hashlimit-mode':
      return v.split(',').every((m) => (MODES as readonly string[]).includes(m))
        ? null
        : `hashlimit: Bad value for "--hashlimit-mode" option: "${v}"`;
    case 'hashlimit-rate-interval': {
      const n = parseUint(v);
      return n === null || n === 0 ? `hashlimit: Bad value for "--hashlimit-rate-interval" option: "${v}"` : null;
    }
    default:
      if (U32_OPTIONS.has(u.name) && parseUint(v) === null)
        return `hashlimit: bad value for option "--${u.name}", or out of range (0-4294967295).\n`;
      return null;
  }
}

const U64 = (1n << 64n) - 1n;
/** The kernel's credits per scale unit: HZ (250 here) times its credits per jiffy, over the 10^6 scale. */
const CREDITS = 137438953n;

/**
 * The kernel refuses (ERANGE) a rate whose credits for a full burst overflow, computed as it does
 * in 64 bits: credits(avg * burst) < credits(avg). Measured on this kernel (HZ=250).
 */
function creditsOverflow(avg: number, burst: number): boolean {
  const a = BigInt(avg);
  return ((((a * BigInt(burst)) & U64) * CREDITS) & U64) < ((a * CREDITS) & U64);
}
