/** xt_MARK: sets, ands, ors or xors the packet mark. */
import { hex, parseMarkMask, parseUint, type OptionUse, type TargetDef } from '../ext.js';

/** The kernel's MARK/CONNMARK v2 form: new = (old & ~mask) ^ value. */
export interface XMark {
  value: number;
  mask: number;
}

/** Turns --set-xmark/--set-mark/--and-mark/--or-mark/--xor-mark into the one stored form. */
export function readXMark(u: OptionUse): XMark | string {
  if (u.name === 'set-xmark' || u.name === 'set-mark') {
    const vm = parseMarkMask(u.args[0]);
    if (!vm) return `bad integer value for option "--${u.name}", or out of range.\n`;
    return u.name === 'set-xmark' ? vm : { value: vm.value, mask: (vm.mask | vm.value) >>> 0 };
  }
  const v = parseUint(u.args[0]);
  if (v === null) return `bad integer value for option "--${u.name}", or out of range.\n`;
  if (u.name === 'and-mark') return { value: 0, mask: ~v >>> 0 };
  if (u.name === 'or-mark') return { value: v, mask: v };
  return { value: v, mask: 0 };
}

export function applyXMark(old: number, x: XMark): number {
  return ((old & ~x.mask) ^ x.value) >>> 0;
}

/** In the kernel's order of preference: and, or, xor, set, xset. */
export function listXMark(prefix: string, x: XMark): string {
  if (x.value === 0) return `${prefix} and ${hex(~x.mask)}`;
  if (x.value === x.mask) return `${prefix} or ${hex(x.value)}`;
  if (x.mask === 0) return `${prefix} xor ${hex(x.value)}`;
  if (x.mask === 0xffffffff) return `${prefix} set ${hex(x.value)}`;
  return `${prefix} xset ${hex(x.value)}/${hex(x.mask)}`;
}

export const XMARK_OPTIONS = {
  'set-xmark': { args: 1 },
  'set-mark': { args: 1 },
  'and-mark': { args: 1 },
  'or-mark': { args: 1 },
  'xor-mark': { args: 1 },
} as const;

export const markTarget: TargetDef = {
  name: 'MARK',
  options: XMARK_OPTIONS,
  check: (u) => {
    const x = readXMark(u);
    return typeof x === 'string' ? `MARK: ${x}` : null;
  },
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return 'MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required';
    if (uses.length > 1) return 'MARK target: Only one of --set-xmark, --set-mark, --and-mark, --or-mark or --xor-mark allowed';
    const x = readXMark(u);
    if (typeof x === 'string') return `MARK: ${x}`;
    return {
      name: 'MARK',
      save: () => ` --set-xmark ${hex(x.value)}/${hex(x.mask)}`,
      list: () => listXMark('MARK', x),
      run(skb) {
        skb.mark = applyXMark(skb.mark, x);
        return 'CONTINUE';
      },
    };
  },
};
