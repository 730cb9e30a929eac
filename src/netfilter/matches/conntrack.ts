/** xt_conntrack and xt_state: match a packet by its connection: state, status, original and reply tuples, direction, expiry. */
import { formatIpv4 } from '../../packet/ipv4.js';
import { IPS_ASSURED, IPS_CONFIRMED, IPS_DST_NAT, IPS_EXPECTED, IPS_SEEN_REPLY, IPS_SRC_NAT, type CtTuple, type Skb } from '../types.js';
import { parseProto } from '../addr.js';
import { x6HostMask, x6PortRange, x6UintRange } from './x6.js';
import type { MatchDef, MatchFn, OptionUse } from '../ext.js';

/** State bits in the order iptables prints them. */
export const CT_STATES = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED', 'SNAT', 'DNAT'] as const;
const STATE_BIT: Record<string, number> = Object.fromEntries(CT_STATES.map((s, i) => [s, 1 << i]));
const STATUS_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['EXPECTED', IPS_EXPECTED],
  ['SEEN_REPLY', IPS_SEEN_REPLY],
  ['ASSURED', IPS_ASSURED],
  ['CONFIRMED', IPS_CONFIRMED],
];

export function parseStates(text: string, allowNat: boolean): number | null {
  let bits = 0;
  for (const s of text.split(',')) {
    const b = STATE_BIT[s.toUpperCase()];
    if (b === undefined || (!allowNat && b >= STATE_BIT.SNAT)) return null;
    bits |= b;
  }
  return bits;
}

export function formatStates(bits: number): string {
  return CT_STATES.filter((s) => bits & STATE_BIT[s]).join(',');
}

/** The packet's state bits as the conntrack match sees them (NAT pseudo-states included). */
export function skbStateBits(skb: Skb): number {
  let bits = STATE_BIT[skb.ctState];
  const ct = skb.ct;
  if (ct) {
    if (ct.status & IPS_SRC_NAT) bits |= STATE_BIT.SNAT;
    if (ct.status & IPS_DST_NAT) bits |= STATE_BIT.DNAT;
  }
  return bits;
}

type Field = 'ctorigsrc' | 'ctorigdst' | 'ctreplsrc' | 'ctrepldst';
type PortField = 'ctorigsrcport' | 'ctorigdstport' | 'ctreplsrcport' | 'ctrepldstport';
const ADDR_FIELDS: readonly Field[] = ['ctorigsrc', 'ctorigdst', 'ctreplsrc', 'ctrepldst'];
const PORT_FIELDS: readonly PortField[] = ['ctorigsrcport', 'ctorigdstport', 'ctreplsrcport', 'ctrepldstport'];

function tupleOf(field: string, skb: Skb): CtTuple {
  return field.startsWith('ctorig') ? skb.ct!.orig : skb.ct!.reply;
}

export const conntrackMatch: MatchDef = {
  name: 'conntrack',
  options: {
    ctstate: { args: 1, invert: true },
    ctproto: { args: 1, invert: true },
    ctorigsrc: { args: 1, invert: true },
    ctorigdst: { args: 1, invert: true },
    ctreplsrc: { args: 1, invert: true },
    ctrepldst: { args: 1, invert: true },
    ctorigsrcport: { args: 1, invert: true },
    ctorigdstport: { args: 1, invert: true },
    ctreplsrcport: { args: 1, invert: true },
    ctrepldstport: { args: 1, invert: true },
    ctstatus: { args: 1, invert: true },
    ctexpire: { args: 1, invert: true },
    ctdir: { args: 1 },
  },
  // Every option is read (and refused) as it comes, once per match.
  check(u, _ctx, prior) {
    if (prior.some((p) => p.name === u.name)) return `conntrack: option "--${u.name}" can only be used once.\n`;
    const one = conntrackMatch.build([u], _ctx);
    return typeof one === 'string' ? one : null;
  },
  build(uses) {
    if (uses.length === 0) return 'conntrack: At least one option is required';
    const saved: string[] = [];
    const listed: string[] = [];
    const tests: MatchFn[] = [];
    let stateTest: MatchFn | null = null;
    const by = new Map<string, OptionUse>();
    for (const u of uses) by.set(u.name, u);
    const neg = (u: OptionUse) => (u.invert ? ' !' : '');
    const lneg = (u: OptionUse) => (u.invert ? '! ' : '');
    const st = by.get('ctstate');
    if (st) {
      const bits = parseStates(st.args[0], true);
      if (bits === null) return `Bad ctstate "${st.args[0]}"`;
      const inv = st.invert;
      stateTest = (skb) => ((skbStateBits(skb) & bits) !== 0) !== inv;
      saved.push(`${neg(st)} --ctstate ${formatStates(bits)}`);
      listed.push(`${lneg(st)}ctstate ${formatStates(bits)}`);
    }
    const pr = by.get('ctproto');
    if (pr) {
      const proto = parseProto(pr.args[0]);
      if (proto === null) return `unknown protocol "${pr.args[0]}" specified`;
      const inv = pr.invert;
      tests.push((skb) => (skb.ct!.orig.proto === proto) !== inv);
      saved.push(`${neg(pr)} --ctproto ${proto}`);
      listed.push(`${lneg(pr)}ctproto ${proto}`);
    }
    for (const f of ADDR_FIELDS) {
      const u = by.get(f);
      if (!u) continue;
      const am = x6HostMask(u.args[0], 'conntrack', f);
      if (typeof am === 'string') return am;
      const inv = u.invert;
      const isSrc = f.endsWith('src');
      tests.push((skb) => {
        const t = tupleOf(f, skb);
        return (((isSrc ? t.src : t.dst) & am.mask) >>> 0 === am.addr) !== inv;
      });
      // The kernel keeps the address as given and masks both sides when it compares; iptables prints it so.
      const text = am.mask === 0xffffffff ? formatIpv4(am.given) : `${formatIpv4(am.given)}/${maskText(am.mask)}`;
      saved.push(`${neg(u)} --${f} ${text}`);
      listed.push(`${lneg(u)}${f} ${text}`);
    }
    for (const f of PORT_FIELDS) {
      const u = by.get(f);
      if (!u) continue;
      const r = x6PortRange(u.args[0], 'conntrack', f);
      if (typeof r === 'string') return r;
      const [lo, hi] = r;
      const inv = u.invert;
      const isSrc = f.includes('src');
      tests.push((skb) => {
        const t = tupleOf(f, skb);
        const p = isSrc ? t.sport : t.dport;
        return (p >= lo && p <= hi) !== inv;
      });
      const text = lo === hi ? String(lo) : `${lo}:${hi}`;
      saved.push(`${neg(u)} --${f} ${text}`);
      listed.push(`${lneg(u)}${f} ${text}`);
    }
    const su = by.get('ctstatus');
    if (su) {
      let bits = 0;
      for (const n of su.args[0].split(',')) {
        const up = n.toUpperCase();
        if (up === 'NONE') continue;
        const hit = STATUS_NAMES.find(([name]) => name === up);
        if (!hit) return `Bad ctstatus "${n}"`;
        bits |= hit[1];
      }
      const inv = su.invert;
      tests.push((skb) => ((skb.ct!.status & bits) !== 0) !== inv);
      const text =
        bits === 0
          ? 'NONE'
          : STATUS_NAMES.filter(([, b]) => bits & b)
              .map(([n]) => n)
              .join(',');
      saved.push(`${neg(su)} --ctstatus ${text}`);
      listed.push(`${lneg(su)}ctstatus ${text}`);
    }
    const ex = by.get('ctexpire');
    if (ex) {
      const r = x6UintRange(ex.args[0], 'conntrack', 'ctexpire', 0xffffffff);
      if (typeof r === 'string') return r;
      const [lo, hi] = r;
      const inv = ex.invert;
      tests.push((skb) => {
        const left = skb.ct!.expiresInSeconds();
        return (left >= lo && left <= hi) !== inv;
      });
      const text = lo === hi ? String(lo) : `${lo}:${hi}`;
      saved.push(`${neg(ex)} --ctexpire ${text}`);
      listed.push(`${lneg(ex)}ctexpire ${text}`);
    }
    const dir = by.get('ctdir');
    if (dir) {
      const d = dir.args[0].toUpperCase();
      if (d !== 'ORIGINAL' && d !== 'REPLY') return `conntrack: Bad value for "--ctdir" option: "${dir.args[0]}"`;
      const wantReply = d === 'REPLY';
      tests.push((skb) => skb.ctReply === wantReply);
      saved.push(` --ctdir ${d}`);
      listed.push(`ctdir ${d}`);
    }
    const onlyState = tests.length === 0;
    const state = stateTest;
    return {
      name: 'conntrack',
      save: () => saved.join(''),
      list: () => listed.join(' '),
      test(skb, env) {
        if (state && !state(skb, env)) return false;
        // Without a connection only a pure state test can match, as in the kernel.
        if (skb.ct === null) return onlyState;
        for (const t of tests) if (!t(skb, env)) return false;
        return true;
      },
    };
  },
};

function maskText(mask: number): string {
  let len = 0;
  while (len < 32 && mask & (0x80000000 >>> len)) len++;
  return (len === 32 ? 0xffffffff : ~(0xffffffff >>> len)) >>> 0 === mask >>> 0 ? String(len) : formatIpv4(mask);
}

export const stateMatch: MatchDef = {
  name: 'state',
  options: { state: { args: 1, invert: true } },
  check: (u, _ctx, prior) =>
    prior.length > 0
      ? 'state: option "--state" can only be used once.\n'
      : parseStates(u.args[0], false) === null
        ? `Bad state "${u.args[0]}"`
        : null,
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return 'state: option "--state" must be specified\n';
    const bits = parseStates(u.args[0], false);
    if (bits === null) return `Bad state "${u.args[0]}"`;
    const inv = u.invert;
    return {
      name: 'state',
      save: () => `${inv ? ' !' : ''} --state ${formatStates(bits)}`,
      list: () => `${inv ? '! ' : ''}state ${formatStates(bits)}`,
      test: (skb) => ((skbStateBits(skb) & bits & 0x1f) !== 0) !== inv,
    };
  },
};
