/** Targets with little or no state: TRACE, CHECKSUM, NOTRACK, NFQUEUE. */
import type { OptionUse, TargetDef } from '../ext.js';
import { x6UintRange } from '../matches/x6.js';

/** `--queue-balance LO:HI` as x6 reads it: open ends allowed, a single number or LO >= HI refused. */
function queueBalance(text: string): [number, number] | string {
  const r = x6UintRange(text, 'NFQUEUE', 'queue-balance', 65535);
  if (typeof r === 'string') return r;
  if (!text.includes(':')) return `Bad range "${text}"`;
  return r[0] >= r[1] ? `${r[0]} should be less than ${r[1]}` : r;
}

/** One NFQUEUE option as it is read: once each, a number or a balance but not both. */
function checkQueue(u: OptionUse, prior: readonly OptionUse[]): string | null {
  if (prior.some((p) => p.name === u.name)) return `NFQUEUE: option "--${u.name}" can only be used once.\n`;
  const other = u.name === 'queue-num' ? 'queue-balance' : u.name === 'queue-balance' ? 'queue-num' : null;
  if (other !== null && prior.some((p) => p.name === other))
    return 'NFQUEUE: option "--queue-num" cannot be used together with "--queue-balance".\n';
  if (u.name === 'queue-num' && !(/^\d+$/.test(u.args[0]) && Number(u.args[0]) <= 65535))
    return 'NFQUEUE: bad value for option "--queue-num", or out of range (0-65535).\n';
  if (u.name === 'queue-balance') {
    const b = queueBalance(u.args[0]);
    if (typeof b === 'string') return b;
  }
  return null;
}

export const traceTarget: TargetDef = {
  name: 'TRACE',
  options: {},
  build: () => ({
    name: 'TRACE',
    save: () => '',
    list: () => '',
    run(skb) {
      skb.traced = true;
      return 'CONTINUE';
    },
  }),
};

/** Checksums are not modelled (the packet path works on fields), so filling them changes nothing. */
export const checksumTarget: TargetDef = {
  name: 'CHECKSUM',
  options: { 'checksum-fill': { args: 0 } },
  build(uses) {
    if (uses.length === 0) return 'CHECKSUM: option "--checksum-fill" must be specified\n';
    return {
      name: 'CHECKSUM',
      legal: { tables: ['mangle'] },
      save: () => ' --checksum-fill',
      list: () => 'CHECKSUM fill',
      run: () => 'CONTINUE',
    };
  },
};

export const notrackTarget: TargetDef = {
  name: 'NOTRACK',
  options: {},
  build: () => ({
    name: 'NOTRACK',
    // iptables-nft stores NOTRACK as CT --notrack and lists it under that target.
    listName: 'CT',
    legal: { tables: ['raw'] },
    save: () => '',
    list: () => 'NOTRACK',
    run(skb, env) {
      env.ctTemplate(skb, { notrack: true });
      return 'CONTINUE';
    },
  }),
};

/** Nothing reads the queue in the lab: a packet is dropped, or accepted with --queue-bypass, as with no listener. */
export const nfqueueTarget: TargetDef = {
  name: 'NFQUEUE',
  options: {
    'queue-num': { args: 1 },
    'queue-balance': { args: 1 },
    'queue-bypass': { args: 0 },
    'queue-cpu-fanout': { args: 0 },
  },
  check: (u, _ctx, prior) => checkQueue(u, prior),
  build(uses) {
    let num = 0;
    let balance: string | null = null;
    let bypass = false;
    let fanout = false;
    for (let i = 0; i < uses.length; i++) {
      const u = uses[i];
      const bad = checkQueue(u, uses.slice(0, i));
      if (bad) return bad;
      if (u.name === 'queue-num') num = Number(u.args[0]);
      else if (u.name === 'queue-balance') {
        const [lo, hi] = queueBalance(u.args[0]) as [number, number];
        balance = `${lo}:${hi}`;
      } else if (u.name === 'queue-bypass') bypass = true;
      else fanout = true;
    }
    return {
      name: 'NFQUEUE',
      save: () =>
        (balance ? ` --queue-balance ${balance}` : ` --queue-num ${num}`) +
        (bypass ? ' --queue-bypass' : '') +
        (fanout ? ' --queue-cpu-fanout' : ''),
      list: () =>
        (balance ? `NFQUEUE balance ${balance}` : `NFQUEUE num ${num}`) + (bypass ? ' bypass' : '') + (fanout ? ' cpu-fanout' : ''),
      run: () => (bypass ? 'ACCEPT' : 'DROP'),
    };
  },
};
