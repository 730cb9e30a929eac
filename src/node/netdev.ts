import type { Cidr, Ipv4 } from '../packet/ipv4.js';
import { ForwardingDatabase } from '../link/bridge.js';
import type { Frame } from '../link/frame.js';
import type { LinkDirection } from '../link/link.js';

export type DevKind = 'veth' | 'bridge' | 'dummy' | 'loopback';

export interface DevAddress {
  addr: Ipv4;
  cidr: Cidr;
}

/** One network device inside a namespace. */
export class NetDev {
  up = true;
  readonly addrs: DevAddress[] = [];
  /** The bridge this device is a port of. */
  master: NetDev | null = null;
  /** For a bridge: its ports, in the order they were enslaved. */
  readonly ports: NetDev[] = [];
  /**
   * For a bridge port: hairpin_mode, whether the bridge may send a frame back
   * out of the port it came in on (off by default, as in the kernel).
   */
  hairpin = false;
  readonly fdb: ForwardingDatabase | null;
  /** The cable out of this device (veth peer direction); null for lo, bridges and dummies. */
  tx: LinkDirection<Frame> | null = null;
  /** `node:iface` of the far end, for traces. */
  peerLabel: string | null = null;

  constructor(
    readonly name: string,
    readonly kind: DevKind,
    readonly mac: string,
    public mtu: number,
  ) {
    this.fdb = kind === 'bridge' ? new ForwardingDatabase(name) : null;
    // The bridge's own address is a permanent local entry: frames to it go up the stack, never across ports.
    this.fdb?.learn(mac, name);
  }

  primaryAddress(): Ipv4 | null {
    return this.addrs.length ? this.addrs[0].addr : null;
  }

  hasAddress(a: Ipv4): boolean {
    for (const x of this.addrs) if (x.addr === a) return true;
    return false;
  }
}
