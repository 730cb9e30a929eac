/**
 * One namespace's conntrack and NAT behind the method set the packet path
 * calls (the node's ConntrackPort, matched structurally so netfilter never
 * imports the node layer): skb-level entry points over Conntrack and nat/.
 */
import type { Rng } from '../../core/rng.js';
import type { Ipv4 } from '../../packet/ipv4.js';
import { natInitialized, natNullBinding, natSetup, type Manip } from '../nat/core.js';
import { natApply } from '../nat/manip.js';
import { netmap } from '../nat/targets.js';
import type { ConnView, Hook, NatKind, NatRange, Skb, Verdict } from '../types.js';
import { runConntrack, type CommandResult } from './command.js';
import { CtEntry } from './entry.js';
import { plainEntry, type PlainEntry } from './format.js';
import { Conntrack, type ConntrackOptions } from './table.js';

/** The skb fields this adapter reads besides Skb's: the CT --zone and NOTRACK templates. */
export interface TrackedSkb extends Skb {
  zone: number;
  notrack: boolean;
}

export class NamespaceConntrack {
  readonly table: Conntrack;

  constructor(opts: ConntrackOptions, private readonly rng: Rng) {
    this.table = new Conntrack(opts);
  }

  inbound(skb: TrackedSkb): void {
    this.table.inbound(skb, skb.zone, skb.notrack ? { notrack: true } : undefined);
  }

  confirm(skb: Skb): boolean {
    return this.table.confirm(skb);
  }

  natInitialized(ct: ConnView, manip: Manip): boolean {
    return ct instanceof CtEntry && natInitialized(ct, manip);
  }

  natNullBinding(skb: Skb, manip: Manip): void {
    if (skb.ct instanceof CtEntry) natNullBinding(this.table, skb.ct, manip, this.rng);
  }

  /**
   * A NAT target's request. MASQUERADE and REDIRECT come with their address
   * already in the range; MASQUERADE remembers `skb.outIf` for cleanup; NETMAP
   * maps the packet's current address into the range's prefix.
   */
  natSetup(skb: Skb, manip: Manip, range: NatRange, kind: NatKind): Verdict {
    const e = skb.ct;
    if (!(e instanceof CtEntry)) return 'DROP';
    if (kind === 'NETMAP') return netmap(this.table, e, manip, range, manip === 'SRC' ? skb.pkt.src : skb.pkt.dst, this.rng);
    const masqIf = kind === 'MASQUERADE' && skb.outIf !== null ? skb.outIf : undefined;
    return natSetup(this.table, e, manip, range, this.rng, masqIf === undefined ? {} : { masqIf });
  }

  /** Rewrites the packet; false (drop) also when a masqueraded flow now leaves by another interface (its entry goes). */
  natApply(skb: Skb, hook: Hook): boolean {
    const e = skb.ct;
    if (e instanceof CtEntry && e.masqIf !== null && hook === 'POSTROUTING' && !skb.ctReply && skb.outIf !== null && skb.outIf !== e.masqIf) {
      this.table.destroy(e);
      return false;
    }
    return natApply(skb, hook);
  }

  originalDestination(proto: number, local: Ipv4, localPort: number, peer: Ipv4, peerPort: number): { addr: Ipv4; port: number } | null {
    return this.table.originalDst({ addr: local, port: localPort }, { addr: peer, port: peerPort }, proto);
  }

  /** `conntrack ARGS` inside this namespace. */
  command(argv: readonly string[]): CommandResult {
    return runConntrack(this.table, argv);
  }

  /** Entries as scenario reports show them, in creation order. */
  plain(): PlainEntry[] {
    return this.table.entries().map(plainEntry);
  }
}
