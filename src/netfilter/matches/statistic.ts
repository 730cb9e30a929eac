/** xt_statistic: matches a random share of packets, or every nth packet. */
import type { MatchDef, MatchFn, MatchInstance, OptionUse } from '../ext.js';

function randomTest(prob: number, inv: boolean): MatchFn {
  return (_skb, env) => (env.rng.nextU32() & 0x7fffffff) < prob !== inv;
}

/** `--mode random`, a class so that the printers live on the prototype (kube-proxy load-balances every Service with it). */
class RandomStatistic implements MatchInstance {
  readonly name = 'statistic';
  readonly test: MatchFn;
  constructor(
    readonly prob: number,
    readonly inv: boolean,
  ) {
    this.test = randomTest(prob, inv);
  }
  private text(): string {
    return (this.prob / 0x80000000).toFixed(11);
  }
  save(): string {
    return ` --mode random${this.inv ? ' !' : ''} --probability ${this.text()}`;
  }
  list(): string {
    return `statistic mode random${this.inv ? ' !' : ''} probability ${this.text()}`;
  }
}

function checkStatistic(u: OptionUse): string | null {
  const a = u.args[0];
  if (u.name === 'mode') return a === 'random' || a === 'nth' ? null : `Bad mode "${a}"`;
  if (u.name === 'probability') {
    const p = Number(a);
    return /^[\d.]+$/.test(a) && p >= 0 && p <= 1 ? null : 'statistic: bad value for option "--probability", or out of range (0-1).\n';
  }
  if (u.name === 'every')
    return /^\d+$/.test(a) && Number(a) >= 1 && Number(a) <= 0xffffffff
      ? null
      : 'statistic: bad value for option "--every", or out of range (1-4294967295).\n';
  if (u.name === 'packet')
    return /^\d+$/.test(a) && Number(a) <= 0xffffffff
      ? null
      : 'statistic: bad value for option "--packet", or out of range (0-4294967295).\n';
  return null;
}

export const statisticMatch: MatchDef = {
  name: 'statistic',
  options: { mode: { args: 1 }, probability: { args: 1, invert: true }, every: { args: 1, invert: true }, packet: { args: 1 } },
  check: (u, _ctx, prior) =>
    prior.some((p) => p.name === u.name) ? `statistic: option "--${u.name}" can only be used once.\n` : checkStatistic(u),
  build(uses) {
    // Without any option the mode is random, and its probability is missing.
    if (uses.length === 0) return '--probability must be specified when using random mode';
    let mode = '';
    let prob = -1;
    let every = 0;
    let packet = 0;
    let inv = false;
    let packetGiven = false;
    for (const u of uses) {
      const bad = checkStatistic(u);
      if (bad) return bad;
      if (u.name === 'mode') mode = u.args[0];
      else if (u.name === 'probability') {
        const p = Number(u.args[0]);
        // Stored as a 31-bit fraction, which is why 0.3333333333 saves as 0.33333333349.
        prob = Math.round(0x80000000 * p);
        inv ||= u.invert;
      } else if (u.name === 'every') {
        every = Number(u.args[0]);
        inv ||= u.invert;
      } else if (u.name === 'packet') {
        packet = Number(u.args[0]);
        packetGiven = true;
      }
    }
    if (mode === 'nth' && every !== 0 && !packetGiven) return 'statistic: option "--every" also requires "--packet".\n';
    if (mode === 'random') {
      if (prob < 0) return '--probability must be specified when using random mode';
      return new RandomStatistic(prob, inv);
    }
    if (mode === 'nth') {
      if (every === 0) return '--every and --packet must be specified when using nth mode';
      if (packet >= every) return 'the --packet p must be 0 <= p <= n-1';
      let count = 0;
      return {
        name: 'statistic',
        save: () => ` --mode nth${inv ? ' !' : ''} --every ${every} --packet ${packet}`,
        // -L leaves out a packet of 0.
        list: () => `statistic mode nth${inv ? ' !' : ''} every ${every}${packet !== 0 ? ` packet ${packet}` : ''}`,
        test() {
          // Packets are numbered from 0 since the rule was inserted; `--packet P` takes every P-th of each `--every`.
          const n = count;
          count = count === every - 1 ? 0 : count + 1;
          return (n === packet) !== inv;
        },
      };
    }
    return mode === '' ? 'statistic: option "--mode" must be specified\n' : `Bad mode "${mode}"`;
  },
};
