/** xt_TPROXY: hands the packet to a local socket for a transparent proxy, without changing its destination. */
import { formatIpv4 } from '../../packet/ipv4.js';
import { parseDotted } from '../addr.js';
import { hex, parseMarkMask, resolverError, type TargetDef } from '../ext.js';

export const tproxyTarget: TargetDef = {
  name: 'TPROXY',
  options: { 'on-port': { args: 1 }, 'on-ip': { args: 1 }, 'tproxy-mark': { args: 1 } },
  check: (u) => (u.name === 'on-ip' && parseDotted(u.args[0]) === null ? resolverError(u.args[0]) : null),
  build(uses) {
    let port = -1;
    let ip = 0;
    let mark = 0;
    let mask = 0;
    for (const u of uses) {
      if (u.name === 'on-port') {
        if (!/^\d+$/.test(u.args[0]) || Number(u.args[0]) > 0xffffffff) return `TPROXY: Bad value for "--on-port" option: "${u.args[0]}"`;
        // iptables reads a 32-bit number and keeps its low 16 bits.
        port = Number(u.args[0]) % 65536;
      } else if (u.name === 'on-ip') {
        const a = parseDotted(u.args[0]);
        if (a === null) return resolverError(u.args[0]);
        ip = a;
      } else {
        const vm = parseMarkMask(u.args[0]);
        if (!vm) return `TPROXY: Bad value for "--tproxy-mark" option: "${u.args[0]}"`;
        mark = vm.value;
        mask = vm.mask;
      }
    }
    if (port < 0) return 'TPROXY: option "--on-port" must be specified\n';
    return {
      name: 'TPROXY',
      legal: { tables: ['mangle'], hooks: ['PREROUTING'], protos: [6, 17] },
      save: () => ` --on-port ${port} --on-ip ${formatIpv4(ip)} --tproxy-mark ${hex(mark)}/${hex(mask)}`,
      list: () => `TPROXY redirect ${formatIpv4(ip)}:${port} mark ${hex(mark)}/${hex(mask)}`,
      run: (skb, env) => env.tproxy(skb, { ip, port, mark, mask }),
    };
  },
};
