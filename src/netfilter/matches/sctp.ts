/** The sctp match: SCTP source and destination ports. */
import type { MatchDef } from '../ext.js';
import { listPorts, PORT_OPTIONS, readPorts, protoCheck, savePorts, checkPortUse } from './ports.js';

/** Parsed and saved; the packet model has no SCTP header, so it never matches a packet. */
export const sctpMatch: MatchDef = {
  name: 'sctp',
  options: PORT_OPTIONS,
  check: (u, _ctx, prior) => checkPortUse(u, 'sctp', prior),
  build(uses, ctx) {
    const ports = readPorts(uses, 'sctp');
    if (typeof ports === 'string') return ports;
    const { sport, dport } = ports;
    return {
      name: 'sctp',
      ...protoCheck('sctp', 132, ctx.proto, ctx.protoInvert, false, true),
      save: () => savePorts(sport, dport),
      list: () => 'sctp' + listPorts(sport, dport, true),
      test: () => false,
    };
  },
};
