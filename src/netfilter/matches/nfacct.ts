import { packetLength } from '../../packet/packet.js';
import type { MatchDef } from '../ext.js';

export const nfacctMatch: MatchDef = {
  name: 'nfacct',
  options: { 'nfacct-name': { args: 1 } },
  build(uses, ctx) {
    const u = uses[uses.length - 1];
    if (!u) return "nfacct: You must specify `--nfacct-name'";
    const name = u.args[0];
    if (!ctx.nfacctExists(name)) return `nfacct: object ${name} does not exist`;
    return {
      name: 'nfacct',
      // iptables-nft prints two spaces here; iptables-save users see exactly that.
      save: () => ` --nfacct-name  ${name}`,
      list: () => `nfacct-name  ${name}`,
      test(skb, env) {
        env.nfacct(name, packetLength(skb.pkt));
        return true;
      },
    };
  },
};
