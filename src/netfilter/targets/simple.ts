/** Targets with little or no state: TRACE, CHECKSUM, NOTRACK, NFQUEUE. */
import type { TargetDef } from '../ext.js';

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
  build(uses) {
    let num = 0;
    let balance: string | null = null;
    let bypass = false;
    let fanout = false;
    for (const u of uses) {
      if (u.name === 'queue-num') {
        if (!/^\d+$/.test(u.args[0]) || Number(u.args[0]) > 65535)
          return 'NFQUEUE: bad value for option "--queue-num", or out of range (0-65535).\n';
        num = Number(u.args[0]);
      } else if (u.name === 'queue-balance') {
        if (!/^\d+:\d+$/.test(u.args[0])) return `NFQUEUE: Bad value for "--queue-balance" option: "${u.args[0]}"`;
        const [lo, hi] = u.args[0].split(':').map(Number);
        if (lo >= hi) return `${lo} should be less than ${hi}`;
        balance = u.args[0];
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
