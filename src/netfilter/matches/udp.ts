/** The udp match: UDP source and destination ports. */
import type { MatchDef, MatchFn, MatchInstance } from '../ext.js';
import { exactPort, listPorts, PORT_OPTIONS, portsTest, readPorts, protoCheck, savePorts, checkPortUse, type PortSel } from './ports.js';

const UDP_ANY: MatchFn = (skb) => skb.pkt.udp !== undefined && skb.pkt.fragOffset === 0;

function udpDport(port: number): MatchFn {
  return (skb) => {
    const u = skb.pkt.udp;
    return u !== undefined && skb.pkt.fragOffset === 0 && u.dport === port;
  };
}

function udpPorts(ports: (s: number, d: number) => boolean): MatchFn {
  return (skb) => {
    const u = skb.pkt.udp;
    return u !== undefined && skb.pkt.fragOffset === 0 && ports(u.sport, u.dport);
  };
}

/** The packet test, made by factories outside the class so that each closure's context holds only what it reads. */
function udpTest(sport: PortSel | null, dport: PortSel | null): MatchFn {
  if (sport === null && dport === null) return UDP_ANY;
  const port = exactPort(dport);
  if (sport === null && port !== undefined) return udpDport(port);
  return udpPorts(portsTest(sport, dport)!);
}

/** A class rather than an object of closures: the printers live once on the prototype. */
class UdpMatch implements MatchInstance {
  readonly name = 'udp';
  elided = false;
  readonly lateError: string | undefined;
  readonly kernelError: string | undefined;
  readonly exactDport: number | undefined;
  readonly test: MatchFn;
  constructor(
    readonly sport: PortSel | null,
    readonly dport: PortSel | null,
    check: { lateError?: string; kernelError?: string },
  ) {
    this.lateError = check.lateError;
    this.kernelError = check.kernelError;
    this.exactDport = exactPort(dport);
    this.test = udpTest(sport, dport);
  }
  save(): string {
    return savePorts(this.sport, this.dport);
  }
  list(): string {
    return 'udp' + listPorts(this.sport, this.dport);
  }
}

export const udpMatch: MatchDef = {
  name: 'udp',
  options: PORT_OPTIONS,
  check: (u, _ctx, prior) => checkPortUse(u, 'udp', prior),
  build(uses, ctx) {
    const ports = readPorts(uses, 'udp', true);
    if (typeof ports === 'string') return ports;
    // A full port range stores no compare: with nothing else the match goes to the kernel as an xt match.
    const stored = ports.sport !== null || ports.dport !== null || ports.droppedFull;
    const m = new UdpMatch(ports.sport, ports.dport, protoCheck('udp', 17, ctx.proto, ctx.protoInvert, true, stored));
    if (ports.droppedFull && !ports.sport && !ports.dport) m.elided = true;
    return m;
  },
};
