import { isMulticastMac } from './frame.js';

/**
 * A learning bridge's forwarding database: which port a MAC was last seen on.
 * The bridge device itself is a port too (named by the bridge), so frames for
 * the host's own address on the bridge go up the stack.
 */
export class ForwardingDatabase {
  private readonly fdb = new Map<string, string>();

  constructor(readonly bridgeName: string) {}

  learn(mac: string, port: string): void {
    if (!isMulticastMac(mac)) this.fdb.set(mac, port);
  }

  /**
   * The ports a frame from `inPort` to `dstMac` leaves by: the learned port, or
   * every other port (flooding) when unknown or multicast. Never back out
   * `inPort` unless that port is in hairpin mode (the kernel's should_deliver).
   */
  egress(inPort: string, dstMac: string, ports: readonly string[], hairpin = false): string[] {
    if (!isMulticastMac(dstMac)) {
      const known = this.fdb.get(dstMac);
      if (known !== undefined) return known === inPort && !hairpin ? [] : [known];
    }
    return hairpin ? [...ports] : ports.filter((p) => p !== inPort);
  }

  entries(): Array<[string, string]> {
    return [...this.fdb.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }
}
