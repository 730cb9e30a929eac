/** The icmp match: the ICMP type and code of a packet (a type name, a number, or `type/code`). */
import type { MatchDef } from '../ext.js';
import { protoCheck } from './ports.js';

/** iptables' ICMP type names: [name, type, code or -1 for every code]. */
const ICMP_NAMES: ReadonlyArray<readonly [string, number, number]> = [
  ['echo-reply', 0, -1],
  ['pong', 0, -1],
  ['destination-unreachable', 3, -1],
  ['network-unreachable', 3, 0],
  ['host-unreachable', 3, 1],
  ['protocol-unreachable', 3, 2],
  ['port-unreachable', 3, 3],
  ['fragmentation-needed', 3, 4],
  ['source-route-failed', 3, 5],
  ['network-unknown', 3, 6],
  ['host-unknown', 3, 7],
  ['network-prohibited', 3, 9],
  ['host-prohibited', 3, 10],
  ['TOS-network-unreachable', 3, 11],
  ['TOS-host-unreachable', 3, 12],
  ['communication-prohibited', 3, 13],
  ['host-precedence-violation', 3, 14],
  ['precedence-cutoff', 3, 15],
  ['source-quench', 4, -1],
  ['redirect', 5, -1],
  ['network-redirect', 5, 0],
  ['host-redirect', 5, 1],
  ['TOS-network-redirect', 5, 2],
  ['TOS-host-redirect', 5, 3],
  ['echo-request', 8, -1],
  ['ping', 8, -1],
  ['router-advertisement', 9, -1],
  ['router-solicitation', 10, -1],
  ['time-exceeded', 11, -1],
  ['ttl-exceeded', 11, -1],
  ['ttl-zero-during-transit', 11, 0],
  ['ttl-zero-during-reassembly', 11, 1],
  ['parameter-problem', 12, -1],
  ['ip-header-bad', 12, 0],
  ['required-option-missing', 12, 1],
  ['timestamp-request', 13, -1],
  ['timestamp-reply', 14, -1],
  ['address-mask-request', 17, -1],
  ['address-mask-reply', 18, -1],
];

interface IcmpSel {
  type: number;
  codeMin: number;
  codeMax: number;
}

/** `any`, a name, `T` or `T/C`; type 0xff stands for any, as in the kernel. */
export function parseIcmpType(text: string): IcmpSel | null {
  if (text === 'any') return { type: 0xff, codeMin: 0, codeMax: 0xff };
  const m = /^(\d{1,3})(?:\/(\d{1,3}))?$/.exec(text);
  if (m) {
    const type = Number(m[1]);
    if (type > 255) return null;
    if (m[2] === undefined) return { type, codeMin: 0, codeMax: 0xff };
    const code = Number(m[2]);
    return code > 255 ? null : { type, codeMin: code, codeMax: code };
  }
  // iptables accepts any unique prefix of a name.
  const hits = ICMP_NAMES.filter(([n]) => n.startsWith(text));
  const exact = hits.find(([n]) => n === text);
  const hit = exact ?? (hits.length === 1 ? hits[0] : undefined);
  if (!hit) return null;
  return hit[2] < 0 ? { type: hit[1], codeMin: 0, codeMax: 0xff } : { type: hit[1], codeMin: hit[2], codeMax: hit[2] };
}

function saveSel(s: IcmpSel): string {
  if (s.type === 0xff) return 'any';
  if (s.codeMin === 0 && s.codeMax === 0xff) return String(s.type);
  return `${s.type}/${s.codeMin}`;
}

function badIcmpType(text: string): string | null {
  if (parseIcmpType(text)) return null;
  return /^\d+\/\d+$/.test(text) && Number(text.split('/')[0]) <= 255 ? `Unknown ICMP code \`${text}'` : `Unknown ICMP type \`${text}'`;
}

export const icmpMatch: MatchDef = {
  name: 'icmp',
  options: { 'icmp-type': { args: 1, invert: true } },
  // Checked as iptables reads it, before later options' errors and the table's existence.
  check: (u, _ctx, prior) => (prior.length > 0 ? 'icmp: option "--icmp-type" can only be used once.\n' : badIcmpType(u.args[0])),
  build(uses, ctx) {
    let sel: IcmpSel = { type: 0xff, codeMin: 0, codeMax: 0xff };
    let invert = false;
    let given = false;
    for (const u of uses) {
      const s = parseIcmpType(u.args[0]);
      if (!s) return badIcmpType(u.args[0])!;
      sel = s;
      invert = u.invert;
      given = true;
    }
    const { type, codeMin, codeMax } = sel;
    return {
      name: 'icmp',
      ...protoCheck('icmp', 1, ctx.proto, ctx.protoInvert, false, true),
      save: () => (given ? `${invert ? ' !' : ''} --icmp-type ${saveSel(sel)}` : ''),
      list: () => {
        if (type === 0xff) return `icmp${invert ? ' !' : ''}type 255`;
        let s = `icmp${invert ? ' !' : ''}type ${type}`;
        if (codeMin === codeMax) s += ` code ${codeMin}`;
        else if (codeMin !== 0 || codeMax !== 0xff) s += ` codes ${codeMin}-${codeMax}`;
        return s;
      },
      test(skb) {
        const i = skb.pkt.icmp;
        if (!i || skb.pkt.fragOffset !== 0) return false;
        const hit = type === 0xff || (i.type === type && i.code >= codeMin && i.code <= codeMax);
        return hit !== invert;
      },
    };
  },
};
