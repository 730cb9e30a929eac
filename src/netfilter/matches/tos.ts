/** xt_tos: matches the IP TOS byte under a mask (or a symbolic TOS name). */
import { hex2, parseMarkMask, type MatchDef } from '../ext.js';

export const TOS_NAMES: Record<string, number> = {
  'minimize-delay': 0x10,
  'maximize-throughput': 0x08,
  'maximize-reliability': 0x04,
  'minimize-cost': 0x02,
  'normal-service': 0x00,
};

function tosProblem(text: string): string | null {
  if (TOS_NAMES[text.toLowerCase()] !== undefined) return null;
  const vm = parseMarkMask(text);
  if (!vm || vm.value > 0xff) return `Symbolic name "${text}" is unknown`;
  return vm.mask !== 0xffffffff && vm.mask > 0xff ? `Illegal value: "${text}"` : null;
}

export const tosMatch: MatchDef = {
  name: 'tos',
  options: { tos: { args: 1, invert: true } },
  check: (u) => tosProblem(u.args[0]),
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return "tos: You must specify `--tos'";
    const named = TOS_NAMES[u.args[0].toLowerCase()];
    // A symbolic name compares only the old TOS bits (mask 0x3f), a number the whole byte unless a mask is given.
    const vm = named !== undefined ? { value: named, mask: 0x3f } : parseMarkMask(u.args[0]);
    const bad = tosProblem(u.args[0]);
    if (bad || !vm) return bad ?? `Symbolic name "${u.args[0]}" is unknown`;
    const mask = vm.mask === 0xffffffff ? 0xff : vm.mask & 0xff;
    const value = vm.value;
    const inv = u.invert;
    return {
      name: 'tos',
      save: () => `${inv ? ' !' : ''} --tos ${hex2(value)}/${hex2(mask)}`,
      list: () => `tos match${inv ? '!' : ''}${hex2(value)}/${hex2(mask)}`,
      test: (skb) => ((skb.pkt.tos & mask) === (value & mask)) !== inv,
    };
  },
};
