/** xt_nfacct: counts the packet in a named extended accounting object; it matches every packet. */
import { packetLength } from '../../packet/packet.js';
import type { MatchDef } from '../ext.js';

export const nfacctMatch: MatchDef = {
  name: 'nfacct',
  options: { 'nfacct-name': { args: 1 } },
  build(uses, ctx) {
    const u = uses[uses.length - 1];
    if (!u) return "nfacct: You must specify `--nfacct-name'";
    const name = u.args[0];
    if (name.length > 31) return 'nfacct: name too long, max 31 characters';
    return {
      name: 'nfacct',
      // iptables does not look the object up; the kernel does, when the rule is inserted.
      kernelError: ctx.nfacctExists(name) ? undefined : 'No such file or directory',
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
