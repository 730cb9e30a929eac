import type { MatchDef } from '../ext.js';
import { exactPort, listPorts, PORT_OPTIONS, portTest, readPorts, requiresProto, savePorts } from './ports.js';

export const udpMatch: MatchDef = {
  name: 'udp',
  options: PORT_OPTIONS,
  build(uses, ctx) {
    const need = requiresProto('udp', 17, ctx.proto, ctx.protoInvert);
    if (need) return need;
    const ports = readPorts(uses, 'udp');
    if (typeof ports === 'string') return ports;
    const { sport, dport } = ports;
    const sp = portTest(sport);
    const dp = portTest(dport);
    return {
      name: 'udp',
      exactDport: exactPort(dport),
      save: () => savePorts(sport, dport),
      list: () => 'udp' + listPorts(sport, dport),
      test(skb) {
        const u = skb.pkt.udp;
        return u !== undefined && skb.pkt.fragOffset === 0 && sp(u.sport) && dp(u.dport);
      },
    };
  },
};
