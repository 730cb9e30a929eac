/** REJECT: drops the packet and answers with an ICMP error or a TCP reset. */
import type { RejectWith } from '../types.js';
import type { TargetDef } from '../ext.js';

const KINDS: ReadonlyArray<readonly [RejectWith, string]> = [
  ['icmp-net-unreachable', 'net-unreach'],
  ['icmp-host-unreachable', 'host-unreach'],
  ['icmp-port-unreachable', 'port-unreach'],
  ['icmp-proto-unreachable', 'proto-unreach'],
  ['icmp-net-prohibited', 'net-prohib'],
  ['icmp-host-prohibited', 'host-prohib'],
  ['icmp-admin-prohibited', 'admin-prohib'],
  ['tcp-reset', 'tcp-rst'],
];

export const rejectTarget: TargetDef = {
  name: 'REJECT',
  options: { 'reject-with': { args: 1 } },
  // The type is checked as iptables reads it, before the matches' final checks.
  check: (u) => (KINDS.some(([full, short]) => full === u.args[0] || short === u.args[0]) ? null : `unknown reject type "${u.args[0]}"`),
  build(uses) {
    let how: RejectWith = 'icmp-port-unreachable';
    for (const u of uses) {
      const hit = KINDS.find(([full, short]) => full === u.args[0] || short === u.args[0]);
      if (!hit) return `unknown reject type "${u.args[0]}"`;
      how = hit[0];
    }
    return {
      name: 'REJECT',
      legal: { tables: ['filter'], hooks: ['INPUT', 'FORWARD', 'OUTPUT'], protos: how === 'tcp-reset' ? [6] : undefined },
      save: () => ` --reject-with ${how}`,
      list: () => `reject-with ${how}`,
      run(skb, env) {
        env.reject(skb, how);
        return 'DROP';
      },
    };
  },
};
