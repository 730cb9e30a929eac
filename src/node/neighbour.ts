/**
 * ARP, as Linux's neighbour layer does it: a next hop is resolved before the
 * first packet leaves; packets wait meanwhile; three unanswered requests one
 * second apart (mcast_solicit=3, retrans_time=1s) fail the entry, and waiting
 * packets are dropped with "host unreachable".
 */
import type { TimerHandle } from '../core/timers.js';
import { formatIpv4, type Ipv4 } from '../packet/ipv4.js';
import { BROADCAST_MAC, type ArpMessage } from '../link/frame.js';
import type { NetDev } from './netdev.js';
import type { Node } from './node.js';
import { transmitFrame } from './l2.js';

const RETRANS_US = 1_000_000;
const SOLICIT = 3;
/** Packets a pending entry keeps (the kernel bounds by bytes; this is of the same order for small probes). */
const QUEUE_MAX = 101;

interface Waiter {
  sent(mac: string): void;
  failed(): void;
}

interface Entry {
  mac: string | null;
  waiting: Waiter[];
  probes: number;
  timer: TimerHandle | null;
}

export class NeighbourTable {
  private readonly table = new Map<string, Map<Ipv4, Entry>>();

  constructor(private readonly node: Node) {}

  private devTable(dev: string): Map<Ipv4, Entry> {
    let t = this.table.get(dev);
    if (!t) this.table.set(dev, (t = new Map<Ipv4, Entry>()));
    return t;
  }

  /** Calls `w.sent(mac)` once `ip` on `dev` is resolved, or `w.failed()` when it cannot be. */
  resolve(dev: NetDev, ip: Ipv4, srcHint: Ipv4 | null, w: Waiter): void {
    const t = this.devTable(dev.name);
    let e = t.get(ip);
    if (e?.mac) return w.sent(e.mac);
    if (!e) {
      e = { mac: null, waiting: [], probes: 0, timer: null };
      t.set(ip, e);
    }
    if (e.waiting.length >= QUEUE_MAX) return w.failed();
    e.waiting.push(w);
    if (!e.timer) this.probe(dev, ip, e, srcHint);
  }

  private probe(dev: NetDev, ip: Ipv4, e: Entry, srcHint: Ipv4 | null): void {
    if (e.probes >= SOLICIT) {
      const waiting = e.waiting.splice(0);
      this.devTable(dev.name).delete(ip);
      for (const w of waiting) w.failed();
      return;
    }
    e.probes++;
    // A loopback source (route_localnet) is announced too, and no router answers it: the kernel's ARP fails.
    const src = this.node.routing.arpSource(dev.name, ip, srcHint);
    const arp: ArpMessage = { op: 'request', senderMac: dev.mac, senderIp: src, targetMac: '00:00:00:00:00:00', targetIp: ip };
    transmitFrame(this.node, dev, { src: dev.mac, dst: BROADCAST_MAC, type: 'arp', arp, meta: { trace: null } });
    e.timer = this.node.lab.timers.at(this.node.lab.timers.now() + RETRANS_US, () => {
      e.timer = null;
      if (!e.mac) this.probe(dev, ip, e, srcHint);
    });
  }

  /** Whether some next hop is still being resolved (the kernel's INCOMPLETE entries). */
  resolving(): boolean {
    for (const t of this.table.values()) for (const e of t.values()) if (!e.mac && e.timer) return true;
    return false;
  }

  /** An ARP message arrived on `dev`. */
  receive(dev: NetDev, arp: ArpMessage): void {
    const t = this.devTable(dev.name);
    const e = t.get(arp.senderIp);
    // arp_process answers (and learns the asker) only when routing the target from the sender
    // through this device is local delivery: the rp_filter check of that input route applies.
    const answer =
      arp.op === 'request' &&
      this.node.isLocalAddress(arp.targetIp) &&
      (arp.senderIp === 0 ||
        this.node.routing.lookup({ dst: arp.targetIp, src: arp.senderIp, mark: 0, iif: dev.name, oif: null, tos: 0 }).kind === 'local');
    if (e || answer) this.learn(dev, arp.senderIp, arp.senderMac);
    if (answer) {
      const reply: ArpMessage = {
        op: 'reply',
        senderMac: dev.mac,
        senderIp: arp.targetIp,
        targetMac: arp.senderMac,
        targetIp: arp.senderIp,
      };
      transmitFrame(this.node, dev, { src: dev.mac, dst: arp.senderMac, type: 'arp', arp: reply, meta: { trace: null } });
    }
  }

  learn(dev: NetDev, ip: Ipv4, mac: string): void {
    const t = this.devTable(dev.name);
    let e = t.get(ip);
    if (!e) t.set(ip, (e = { mac, waiting: [], probes: 0, timer: null }));
    e.mac = mac;
    e.timer?.cancel();
    e.timer = null;
    for (const w of e.waiting.splice(0)) w.sent(mac);
  }

  /** `ip neigh` style listing. */
  list(): string[] {
    const out: string[] = [];
    for (const [dev, t] of this.table) {
      for (const [ip, e] of t)
        out.push(`${formatIpv4(ip)} dev ${dev} ${e.mac ? `lladdr ${e.mac} REACHABLE` : e.probes >= SOLICIT ? 'FAILED' : 'INCOMPLETE'}`);
    }
    return out;
  }
}
