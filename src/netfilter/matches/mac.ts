/** xt_mac: matches the Ethernet source address of an incoming frame. */
import type { MatchDef } from '../ext.js';

const MAC = /^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/;

export const macMatch: MatchDef = {
  name: 'mac',
  options: { 'mac-source': { args: 1, invert: true } },
  check: (u) => (MAC.test(u.args[0]) ? null : 'Invalid MAC address specified.'),
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return "You must specify `--mac-source'";
    if (!MAC.test(u.args[0])) return 'Invalid MAC address specified.';
    const mac = u.args[0]
      .split(':')
      .map((b) => b.toLowerCase().padStart(2, '0'))
      .join(':');
    const inv = u.invert;
    return {
      name: 'mac',
      legal: { hooks: ['PREROUTING', 'INPUT', 'FORWARD'] },
      save: () => `${inv ? ' !' : ''} --mac-source ${mac}`,
      list: () => `MAC${inv ? ' !' : ''} ${mac}`,
      test: (skb) => skb.srcMac !== null && (skb.srcMac.toLowerCase() === mac) !== inv,
    };
  },
};
