/** Header rewrites of the mangle table: TTL, DSCP, TOS, TCPMSS. */
import { hex2, parseMarkMask, parseUint, type OptionUse, type TargetDef } from '../ext.js';
import { DSCP_CLASSES } from '../matches/dscp.js';
import { TOS_NAMES } from '../matches/tos.js';
import { TCP_SYN } from '../../packet/packet.js';

/** --ttl-set takes 0..255; changing by 0 is refused, as iptables does. */
function checkTtl(u: OptionUse): string | null {
  const v = parseUint(u.args[0], 255);
  const min = u.name === 'ttl-set' ? 0 : 1;
  return v === null || v < min ? `TTL: bad value for option "--${u.name}", or out of range (${min}-255).\n` : null;
}

export const ttlTarget: TargetDef = {
  name: 'TTL',
  options: { 'ttl-set': { args: 1 }, 'ttl-dec': { args: 1 }, 'ttl-inc': { args: 1 } },
  check: checkTtl,
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return 'TTL: You must specify an action';
    const bad = checkTtl(u);
    if (bad) return bad;
    const v = parseUint(u.args[0], 255)!;
    const op = u.name.slice(4);
    const word = op === 'set' ? 'set to' : op === 'dec' ? 'decrement by' : 'increment by';
    return {
      name: 'TTL',
      legal: { tables: ['mangle'] },
      save: () => ` --${u.name} ${v}`,
      list: () => `TTL ${word} ${v}`,
      run(skb) {
        const t = skb.pkt.ttl;
        skb.pkt.ttl = op === 'set' ? v : op === 'dec' ? Math.max(0, t - v) : Math.min(255, t + v);
        return 'CONTINUE';
      },
    };
  },
};

const dscpValue = (u: OptionUse): number | null =>
  u.name === 'set-dscp' ? parseUint(u.args[0], 63) : (DSCP_CLASSES[u.args[0].toUpperCase()] ?? null);

const badDscp = (u: OptionUse): string =>
  u.name === 'set-dscp' ? 'DSCP: bad value for option "--set-dscp", or out of range (0-63).\n' : `Invalid DSCP value \`${u.args[0]}'`;

export const dscpTarget: TargetDef = {
  name: 'DSCP',
  options: { 'set-dscp': { args: 1 }, 'set-dscp-class': { args: 1 } },
  // Each option once, its value checked as it is read; the two together only at the final check.
  check(u, _ctx, prior) {
    if (prior.some((p) => p.name === u.name)) return `DSCP: option "--${u.name}" can only be used once.\n`;
    return dscpValue(u) === null ? badDscp(u) : null;
  },
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return 'DSCP target: Parameter --set-dscp is required';
    if (uses.some((x) => x.name !== u.name)) return 'DSCP: option "--set-dscp" cannot be used together with "--set-dscp-class".\n';
    const v = dscpValue(u);
    if (v === null) return badDscp(u);
    return {
      name: 'DSCP',
      legal: { tables: ['mangle'] },
      save: () => ` --set-dscp ${hex2(v)}`,
      list: () => `DSCP set ${hex2(v)}`,
      run(skb) {
        skb.pkt.tos = ((skb.pkt.tos & 0x03) | (v << 2)) & 0xff;
        return 'CONTINUE';
      },
    };
  },
};

export const tosTarget: TargetDef = {
  name: 'TOS',
  options: { 'set-tos': { args: 1 }, 'and-tos': { args: 1 }, 'or-tos': { args: 1 }, 'xor-tos': { args: 1 } },
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return 'TOS: An action is required';
    let value: number;
    let mask: number;
    if (u.name === 'set-tos') {
      const named = TOS_NAMES[u.args[0].toLowerCase()];
      const vm = named !== undefined ? { value: named, mask: 0x3f } : parseMarkMask(u.args[0]);
      if (!vm) return `Symbolic name "${u.args[0]}" is unknown`;
      value = vm.value & 0xff;
      mask = vm.mask === 0xffffffff ? 0xff : vm.mask & 0xff;
    } else {
      const v = parseUint(u.args[0], 255);
      if (v === null) return `TOS: Bad value for "--${u.name}" option: "${u.args[0]}"`;
      [value, mask] = u.name === 'and-tos' ? [0, ~v & 0xff] : u.name === 'or-tos' ? [v, v] : [v, 0];
    }
    return {
      name: 'TOS',
      legal: { tables: ['mangle'] },
      save: () => ` --set-tos ${hex2(value)}/${hex2(mask)}`,
      list: () => `TOS set ${hex2(value)}/${hex2(mask)}`,
      run(skb) {
        skb.pkt.tos = ((skb.pkt.tos & ~mask) ^ value) & 0xff;
        return 'CONTINUE';
      },
    };
  },
};

export const tcpmssTarget: TargetDef = {
  name: 'TCPMSS',
  options: { 'set-mss': { args: 1 }, 'clamp-mss-to-pmtu': { args: 0 } },
  check: (u) =>
    u.name === 'set-mss' && parseUint(u.args[0], 65535) === null
      ? 'TCPMSS: bad value for option "--set-mss", or out of range (0-65515).\n'
      : null,
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return 'TCPMSS target: At least one parameter is required';
    const clamp = u.name === 'clamp-mss-to-pmtu';
    const mss = clamp ? 0 : parseUint(u.args[0], 65535);
    if (mss === null) return 'TCPMSS: bad value for option "--set-mss", or out of range (0-65515).\n';
    return {
      name: 'TCPMSS',
      legal: { protos: [6], hooks: clamp ? ['FORWARD', 'OUTPUT', 'POSTROUTING'] : undefined },
      save: () => (clamp ? ' --clamp-mss-to-pmtu' : ` --set-mss ${mss}`),
      list: () => (clamp ? 'TCPMSS clamp to PMTU' : `TCPMSS set ${mss}`),
      run(skb, env) {
        const t = skb.pkt.tcp;
        if (!t || !(t.flags & TCP_SYN) || t.options.mss === undefined) return 'CONTINUE';
        const want = clamp ? env.pathMtu(skb) - 40 : mss;
        // The kernel only ever lowers the MSS option.
        if (t.options.mss > want) t.options.mss = want;
        return 'CONTINUE';
      },
    };
  },
};
