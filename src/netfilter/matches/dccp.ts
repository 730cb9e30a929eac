/** The dccp match: DCCP ports, packet types and an option. */
import type { MatchDef, OptionUse } from '../ext.js';
import { listPorts, PORT_OPTIONS, readPorts, protoCheck, savePorts, checkPortUse } from './ports.js';

/** Packet types by number; INVALID stands for the six numbers from 10 up. */
const TYPES = ['REQUEST', 'RESPONSE', 'DATA', 'ACK', 'DATAACK', 'CLOSEREQ', 'CLOSE', 'RESET', 'SYNC', 'SYNCACK'];
const INVALID_BITS = 0xfc00;

/** `--dccp-types` as libxt_dccp reads it: names in any case, commas, empty parts skipped; the type mask or an error. */
function readTypes(text: string): number | string {
  let mask = 0;
  for (const part of text.split(',')) {
    if (part === '') continue;
    const up = part.toUpperCase();
    if (up === 'INVALID') mask |= INVALID_BITS;
    else if (TYPES.includes(up)) mask |= 1 << TYPES.indexOf(up);
    else return `Unknown DCCP type \`${part}'`;
  }
  return mask;
}

const badOption = 'dccp: bad value for option "--dccp-option", or out of range (1-255).\n';

function checkDccp(u: OptionUse, prior: readonly OptionUse[]): string | null {
  if (u.name !== 'dccp-types' && u.name !== 'dccp-option') return checkPortUse(u, 'dccp', prior);
  if (prior.some((p) => p.name === u.name)) return `dccp: option "--${u.name}" can only be used once.\n`;
  if (u.name === 'dccp-types') {
    const t = readTypes(u.args[0]);
    return typeof t === 'string' ? t : null;
  }
  return /^\d+$/.test(u.args[0]) && Number(u.args[0]) >= 1 && Number(u.args[0]) <= 255 ? null : badOption;
}

/** Parsed, saved and listed as iptables does; the packet model has no DCCP header, so it never matches a packet. */
export const dccpMatch: MatchDef = {
  name: 'dccp',
  options: { ...PORT_OPTIONS, 'dccp-types': { args: 1, invert: true }, 'dccp-option': { args: 1, invert: true } },
  check: (u, _ctx, prior) => checkDccp(u, prior),
  build(uses, ctx) {
    const ports = readPorts(uses, 'dccp');
    if (typeof ports === 'string') return ports;
    const { sport, dport } = ports;
    let types: { mask: number; invert: boolean } | null = null;
    let option: { kind: number; invert: boolean } | null = null;
    for (const u of uses) {
      const bad = checkDccp(u, []);
      if (bad) return bad;
      if (u.name === 'dccp-types') types = { mask: readTypes(u.args[0]) as number, invert: u.invert };
      else if (u.name === 'dccp-option') option = { kind: Number(u.args[0]), invert: u.invert };
    }
    const typeNames = (mask: number) => [...TYPES.filter((_, i) => mask & (1 << i)), ...(mask & INVALID_BITS ? ['INVALID'] : [])].join(',');
    const typeNumbers = (mask: number) => [...Array(16).keys()].filter((i) => mask & (1 << i)).join(',');
    return {
      name: 'dccp',
      ...protoCheck('dccp', 33, ctx.proto, ctx.protoInvert, false, true),
      save: () =>
        savePorts(sport, dport) +
        (types ? `${types.invert ? ' !' : ''} --dccp-types ${typeNames(types.mask)}` : '') +
        (option ? `${option.invert ? ' !' : ''} --dccp-option ${option.kind}` : ''),
      list: () =>
        'dccp' +
        listPorts(sport, dport, true) +
        (types ? ` ${types.invert ? '! ' : ''}${typeNumbers(types.mask)}` : '') +
        (option ? ` option=${option.invert ? '!' : ''}${option.kind}` : ''),
      test: () => false,
    };
  },
};
