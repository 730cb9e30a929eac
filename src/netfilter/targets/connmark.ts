/** xt_CONNMARK: sets the connection mark, or copies it to or from the packet mark under masks. */
import { hex, parseUint, type TargetDef } from '../ext.js';
import { applyXMark, listXMark, readXMark, XMARK_OPTIONS, type XMark } from './mark.js';

type Op = { kind: 'set'; x: XMark } | { kind: 'save' | 'restore'; nfmask: number; ctmask: number };

export const connmarkTarget: TargetDef = {
  name: 'CONNMARK',
  options: {
    ...XMARK_OPTIONS,
    'save-mark': { args: 0 },
    'restore-mark': { args: 0 },
    mask: { args: 1 },
    nfmask: { args: 1 },
    ctmask: { args: 1 },
  },
  // Values are checked as iptables reads them (x6), before later options and the matches' final checks.
  check(u) {
    if (u.name === 'save-mark' || u.name === 'restore-mark') return null;
    if (u.name === 'mask' || u.name === 'nfmask' || u.name === 'ctmask')
      return parseUint(u.args[0]) === null ? `CONNMARK: bad value for option "--${u.name}", or out of range (0-4294967295).\n` : null;
    const x = readXMark(u);
    return typeof x === 'string' ? `CONNMARK: ${x}` : null;
  },
  build(uses) {
    let op: Op | null = null;
    let nfmask = 0xffffffff;
    let ctmask = 0xffffffff;
    for (const u of uses) {
      if (u.name === 'save-mark' || u.name === 'restore-mark')
        op = { kind: u.name === 'save-mark' ? 'save' : 'restore', nfmask: 0, ctmask: 0 };
      else if (u.name === 'mask' || u.name === 'nfmask' || u.name === 'ctmask') {
        const v = parseUint(u.args[0]);
        if (v === null) return `CONNMARK: bad value for option "--${u.name}", or out of range (0-4294967295).\n`;
        if (u.name !== 'ctmask') nfmask = v;
        if (u.name !== 'nfmask') ctmask = v;
      } else {
        const x = readXMark(u);
        if (typeof x === 'string') return `CONNMARK: ${x}`;
        op = { kind: 'set', x };
      }
    }
    if (!op) return 'CONNMARK target: No operation specified';
    const o: Op = op.kind === 'set' ? op : { kind: op.kind, nfmask, ctmask };
    return {
      name: 'CONNMARK',
      save: () =>
        o.kind === 'set'
          ? ` --set-xmark ${hex(o.x.value)}/${hex(o.x.mask)}`
          : ` --${o.kind}-mark --nfmask ${hex(o.nfmask)} --ctmask ${hex(o.ctmask)}`,
      list: () => {
        if (o.kind === 'set') return listXMark('CONNMARK', o.x);
        const dflt = o.nfmask === 0xffffffff && o.ctmask === 0xffffffff;
        // As the kernel's printer: the mask applied to the source, then the one inverted for the destination.
        // One mask for both prints as `mask`.
        const same = o.nfmask === o.ctmask ? ` mask ${hex(o.nfmask)}` : null;
        if (o.kind === 'save') return `CONNMARK save` + (dflt ? '' : (same ?? ` nfmask ${hex(o.nfmask)} ctmask ~${hex(o.ctmask)}`));
        return `CONNMARK restore` + (dflt ? '' : (same ?? ` ctmask ${hex(o.ctmask)} nfmask ~${hex(o.nfmask)}`));
      },
      run(skb) {
        const ct = skb.ct;
        if (!ct) return 'CONTINUE';
        if (o.kind === 'set') ct.mark = applyXMark(ct.mark, o.x);
        else if (o.kind === 'save') ct.mark = ((ct.mark & ~o.ctmask) ^ (skb.mark & o.nfmask)) >>> 0;
        else skb.mark = ((skb.mark & ~o.nfmask) ^ (ct.mark & o.ctmask)) >>> 0;
        return 'CONTINUE';
      },
    };
  },
};
