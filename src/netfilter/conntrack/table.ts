/**
 * One namespace's conntrack table (nf_conntrack_core): lookup in both
 * directions, unconfirmed entries for new flows, confirmation at the last hook,
 * expiry on the virtual clock, and the events a viewer subscribes to.
 */
import type { Micros } from '../../core/time.js';
import type { Timers } from '../../core/timers.js';
import type { Ipv4 } from '../../packet/ipv4.js';
import { PROTO_ICMP, PROTO_TCP, PROTO_UDP } from '../../packet/packet.js';
import {
  IPS_ASSURED,
  IPS_CONFIRMED,
  IPS_DYING,
  IPS_FIXED_TIMEOUT,
  IPS_SEEN_REPLY,
  IPS_SRC_NAT_DONE,
  type CtState,
  type CtTuple,
  type Skb,
} from '../types.js';
import { CtEntry } from './entry.js';
import { matchFilter, type CtFilter } from './filter.js';
import { icmpErrorLookupTuple, icmpMayCreate } from './icmp.js';
import { TcpConn, tcpPacket, TcpState, type TcpEnv } from './tcp.js';
import { icmpHasInverse, invertTuple, isIcmpError, tupleEquals, tupleHash, tupleOf } from './tuple.js';
import { DEFAULTS, SYSCTL, Tunables } from './tunables.js';
import { udpPacket } from './udp.js';

export type CtEventType = 'new' | 'update' | 'destroy';

export interface CtEvent {
  type: CtEventType;
  entry: CtEntry;
  at: Micros;
}

export interface ConntrackOptions {
  timers: Timers;
  sysctl: (name: string) => string | undefined;
  onEvent?: (e: CtEvent) => void;
}

/** What a raw-table CT/NOTRACK target attached to the packet before tracking. */
export interface CtTemplate {
  notrack?: boolean;
  zone?: number;
}

interface Node {
  entry: CtEntry;
  /** 0: this node holds the original tuple, 1: the reply tuple. */
  dir: 0 | 1;
}

/** Protocols whose simultaneous identical first packets are merged rather than dropped at confirm. */
const allowClash = (proto: number): boolean => proto === PROTO_UDP || proto === PROTO_ICMP;

export class Conntrack {
  /** Packets __nf_conntrack_confirm dropped on a clash: the kernel's `insert_failed` statistic (`conntrack -S`). */
  insertFailed = 0;
  private readonly buckets = new Map<number, Node[]>();
  /** Confirmed entries in creation order: the stable listing order. */
  private readonly live = new Map<number, CtEntry>();
  private readonly bySrc = new Map<number, CtEntry[]>();
  private nextId = 1;
  readonly tun: Tunables;
  private readonly tcpEnv: TcpEnv;

  constructor(private readonly opts: ConntrackOptions) {
    this.tun = new Tunables(opts.sysctl);
    const tun = this.tun;
    this.tcpEnv = {
      timeout: (i) => tun.tcpTimeout(i),
      get loose() {
        return tun.int(SYSCTL.tcpLoose, 1) !== 0;
      },
      get beLiberal() {
        return tun.int(SYSCTL.tcpBeLiberal, 0) !== 0;
      },
      get ignoreInvalidRst() {
        return tun.int(SYSCTL.tcpIgnoreInvalidRst, 0) !== 0;
      },
      get maxRetrans() {
        return tun.int(SYSCTL.tcpMaxRetrans, DEFAULTS.tcpMaxRetrans);
      },
    };
  }

  get now(): Micros {
    return this.opts.timers.now();
  }

  /**
   * nf_conntrack_in, at PREROUTING and OUTPUT: attaches the packet's entry
   * (creating an unconfirmed one for a new flow) and sets ctState/ctReply.
   * A packet that already carries an entry, or is marked untracked, is left alone.
   */
  inbound(skb: Skb, zone = 0, tmpl?: CtTemplate): void {
    if (skb.ct !== null || skb.ctState === 'UNTRACKED') return;
    skb.ctReply = false;
    if (tmpl?.notrack) {
      skb.ctState = 'UNTRACKED';
      return;
    }
    skb.ctState = 'INVALID';
    const z = tmpl?.zone ?? zone;
    const p = skb.pkt;
    if (p.fragOffset !== 0) return;

    if (p.proto === PROTO_ICMP && p.icmp && isIcmpError(p.icmp.type)) {
      this.related(skb, z);
      return;
    }
    const tuple = tupleOf(p);
    if (!tuple || (p.proto === PROTO_ICMP && (!p.icmp || !icmpHasInverse(p.icmp.type)))) return;

    for (let attempt = 0; attempt < 2; attempt++) {
      const node = this.lookup(tuple, z);
      let entry: CtEntry;
      let dir: 0 | 1;
      let state: CtState;
      if (node) {
        entry = node.entry;
        dir = node.dir;
        state = dir === 1 || entry.status & IPS_SEEN_REPLY ? 'ESTABLISHED' : 'NEW';
      } else {
        entry = new CtEntry(this.nextId++, tuple, invertTuple(tuple)!, z, this.now, this.opts.timers);
        dir = 0;
        state = 'NEW';
      }
      const outcome = this.track(entry, skb, dir);
      if (outcome === 'repeat') {
        this.destroy(entry);
        continue;
      }
      if (outcome === 'invalid') return;
      skb.ct = entry;
      skb.ctState = state;
      skb.ctReply = dir === 1;
      if (dir === 1 && !(entry.status & IPS_SEEN_REPLY)) {
        entry.status |= IPS_SEEN_REPLY;
        this.emit('update', entry);
      }
      if (outcome === 'kill') this.destroy(entry);
      return;
    }
  }

  /** Runs the protocol tracker; applies the timeout and status changes it asks for. */
  private track(e: CtEntry, skb: Skb, dir: 0 | 1): 'ok' | 'invalid' | 'repeat' | 'kill' {
    const p = skb.pkt;
    const seenReply = (e.status & IPS_SEEN_REPLY) !== 0;
    const assured = (e.status & IPS_ASSURED) !== 0;
    const now = this.now;
    switch (e.orig.proto) {
      case PROTO_TCP: {
        if (!p.tcp) return 'invalid';
        if (!e.tcp) e.tcp = new TcpConn();
        const r = tcpPacket(e.tcp, p, dir, e.confirmed, seenReply, assured, this.tcpEnv);
        if (r.kind === 'invalid' || r.kind === 'repeat') return r.kind;
        if (r.kind === 'ignore') return 'ok';
        if (r.kill) return 'kill';
        if (r.timeout !== null) this.refresh(e, r.timeout);
        let changed = r.changed;
        if (r.assure) {
          e.status |= IPS_ASSURED;
          changed = true;
        }
        if (changed && e.confirmed) this.emit('update', e);
        return 'ok';
      }
      case PROTO_UDP: {
        const r = udpPacket(
          now,
          e.createdAt,
          seenReply,
          assured,
          this.tun.seconds(SYSCTL.udpTimeout, DEFAULTS.udpTimeout),
          this.tun.seconds(SYSCTL.udpStream, DEFAULTS.udpStream),
        );
        this.refresh(e, r.timeout);
        if (r.assure) {
          e.status |= IPS_ASSURED;
          if (e.confirmed) this.emit('update', e);
        }
        return 'ok';
      }
      case PROTO_ICMP:
        if (!e.confirmed && !icmpMayCreate(p.icmp!.type)) return 'invalid';
        this.refresh(e, this.tun.seconds(SYSCTL.icmpTimeout, DEFAULTS.icmpTimeout));
        return 'ok';
      default:
        this.refresh(e, this.tun.seconds(SYSCTL.genericTimeout, DEFAULTS.genericTimeout));
        return 'ok';
    }
  }

  /**
   * nf_ct_set_closing, as REJECT --reject-with tcp-reset calls it once its reset
   * is built: a confirmed TCP entry goes to CLOSE with the CLOSE timeout (kept
   * if it was CLOSE already or has a fixed timeout). An unconfirmed entry, a
   * new connection rejected before its first packet left INPUT or FORWARD, is
   * dropped with the packet anyway.
   */
  setClosing(e: CtEntry): void {
    if (!e.confirmed || e.orig.proto !== PROTO_TCP) return;
    if (!e.tcp) e.tcp = new TcpConn();
    const old = e.tcp.state;
    e.tcp.state = TcpState.CLOSE;
    if (old === TcpState.CLOSE) return;
    this.refresh(e, this.tun.tcpTimeout(TcpState.CLOSE));
    this.emit('update', e);
  }

  /** An ICMP error: RELATED to the flow of the packet it quotes, INVALID when there is none. */
  private related(skb: Skb, zone: number): void {
    const inner = icmpErrorLookupTuple(skb.pkt);
    if (!inner) return;
    const node = this.lookup(inner, zone);
    if (!node) return;
    const e = node.entry;
    // The error must travel towards the flow's endpoint in that direction (nf_conntrack_inet_error).
    const t = node.dir === 0 ? e.orig : e.reply;
    if (t.dst !== skb.pkt.dst) return;
    skb.ct = e;
    skb.ctState = 'RELATED';
    skb.ctReply = node.dir === 1;
  }

  private refresh(e: CtEntry, timeout: Micros): void {
    if (e.status & IPS_FIXED_TIMEOUT) return;
    if (!e.confirmed) {
      e.timeout = timeout;
      return;
    }
    e.expiresAt = this.now + timeout;
    this.arm(e);
  }

  private arm(e: CtEntry): void {
    if (e.timer && e.timerAt <= e.expiresAt) return;
    e.timer?.cancel();
    e.timerAt = e.expiresAt;
    e.timer = this.opts.timers.at(e.expiresAt, () => {
      e.timer = null;
      if (!e.inTable) return;
      if (e.expiresAt > this.now) this.arm(e);
      else this.destroy(e);
    });
  }

  /**
   * __nf_conntrack_confirm, at the end of POSTROUTING or INPUT: inserts the
   * packet's unconfirmed entry. False when its tuples clash with an existing
   * entry that cannot absorb it: the packet must be dropped.
   */
  confirm(skb: Skb): boolean {
    const e = skb.ct;
    if (!(e instanceof CtEntry) || e.confirmed || e.status & IPS_DYING) return true;
    const clash = this.lookup(e.orig, e.zone) ?? this.lookup(e.reply, e.zone);
    if (clash) {
      const o = clash.entry;
      // Two first packets of one flow (e.g. parallel UDP sends): the later one joins the existing entry.
      if (allowClash(e.orig.proto) && tupleEquals(o.orig, e.orig) && tupleEquals(o.reply, e.reply)) {
        skb.ct = o;
        return true;
      }
      this.insertFailed++;
      return false;
    }
    e.status |= IPS_CONFIRMED;
    e.expiresAt = this.now + e.timeout;
    this.insert(e);
    this.arm(e);
    this.emit('new', e);
    return true;
  }

  private insert(e: CtEntry): void {
    e.inTable = true;
    this.live.set(e.id, e);
    this.addNode(e.orig, e.zone, { entry: e, dir: 0 });
    this.addNode(e.reply, e.zone, { entry: e, dir: 1 });
    if (e.status & IPS_SRC_NAT_DONE) {
      const k = srcKey(e.orig, e.zone);
      const list = this.bySrc.get(k);
      if (list) list.unshift(e);
      else this.bySrc.set(k, [e]);
    }
  }

  private addNode(t: CtTuple, zone: number, n: Node): void {
    const h = tupleHash(t, zone);
    const b = this.buckets.get(h);
    if (b) b.push(n);
    else this.buckets.set(h, [n]);
  }

  private removeNode(t: CtTuple, zone: number, e: CtEntry): void {
    const h = tupleHash(t, zone);
    const b = this.buckets.get(h);
    if (!b) return;
    const i = b.findIndex((n) => n.entry === e);
    if (i >= 0) b.splice(i, 1);
    if (b.length === 0) this.buckets.delete(h);
  }

  /** Finds the live entry holding `t` in `zone`; expired entries met on the way are removed. */
  private lookup(t: CtTuple, zone: number): Node | null {
    const b = this.buckets.get(tupleHash(t, zone));
    if (!b) return null;
    const now = this.now;
    for (const n of b) {
      const e = n.entry;
      const held = n.dir === 0 ? e.orig : e.reply;
      if (e.zone !== zone || !tupleEquals(held, t)) continue;
      if (e.expiresAt <= now) {
        this.destroy(e);
        return this.lookup(t, zone);
      }
      return n;
    }
    return null;
  }

  /** The entry holding `tuple` (in either direction) in `zone`, and whether it matched as the reply. */
  find(tuple: CtTuple, zone = 0): { entry: CtEntry; reply: boolean } | null {
    const n = this.lookup(tuple, zone);
    return n ? { entry: n.entry, reply: n.dir === 1 } : null;
  }

  /**
   * nf_conntrack_tuple_taken: whether a confirmed entry other than `ignored`
   * holds `t`. An entry with the same original tuple is the same flow, not a clash.
   */
  tupleTaken(t: CtTuple, ignored: CtEntry): boolean {
    const b = this.buckets.get(tupleHash(t, ignored.zone));
    if (!b) return false;
    for (const n of [...b]) {
      const e = n.entry;
      if (e === ignored || e.zone !== ignored.zone || !tupleEquals(n.dir === 0 ? e.orig : e.reply, t)) continue;
      if (e.expiresAt <= this.now) {
        this.destroy(e);
        continue;
      }
      if (tupleEquals(ignored.orig, e.orig)) continue;
      return true;
    }
    return false;
  }

  /** Confirmed SNAT'd (or null-bound) entries from this original source address/port, most recent first. */
  bySource(t: CtTuple, zone: number): readonly CtEntry[] {
    return this.bySrc.get(srcKey(t, zone)) ?? [];
  }

  /** Live entries in creation order. */
  entries(): CtEntry[] {
    const now = this.now;
    const out: CtEntry[] = [];
    for (const e of [...this.live.values()]) {
      if (e.expiresAt <= now) this.destroy(e);
      else out.push(e);
    }
    return out;
  }

  get count(): number {
    return this.entries().length;
  }

  /** Removes an entry now (nf_ct_kill / expiry); emits `destroy`. */
  destroy(e: CtEntry): void {
    e.status |= IPS_DYING;
    if (!e.inTable) return;
    e.inTable = false;
    e.timer?.cancel();
    e.timer = null;
    this.live.delete(e.id);
    this.removeNode(e.orig, e.zone, e);
    this.removeNode(e.reply, e.zone, e);
    const k = srcKey(e.orig, e.zone);
    const list = this.bySrc.get(k);
    if (list) {
      const i = list.indexOf(e);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.bySrc.delete(k);
    }
    this.emit('destroy', e);
  }

  removeWhere(pred: (e: CtEntry) => boolean): CtEntry[] {
    const gone = this.entries().filter(pred);
    for (const e of gone) this.destroy(e);
    return gone;
  }

  /** Removes the entries a `conntrack -D` filter selects. */
  delete(filter: CtFilter): CtEntry[] {
    return this.removeWhere((e) => matchFilter(e, filter));
  }

  flush(): number {
    return this.removeWhere(() => true).length;
  }

  /**
   * SO_ORIGINAL_DST for an accepted TCP socket: the entry whose tuple is
   * local→peer (the reply direction after DNAT/REDIRECT) in the default zone.
   */
  originalDst(
    local: { addr: Ipv4; port: number },
    peer: { addr: Ipv4; port: number },
    proto: number = PROTO_TCP,
  ): { addr: Ipv4; port: number } | null {
    if (proto !== PROTO_TCP) return null;
    const n = this.lookup({ src: local.addr, dst: peer.addr, proto, sport: local.port, dport: peer.port }, 0);
    return n ? { addr: n.entry.orig.dst, port: n.entry.orig.dport } : null;
  }

  /** Drops entries MASQUERADE bound to `ifname` (optionally only those using `addr`), as when that address goes away. */
  removeMasqueradedVia(ifname: string, addr?: Ipv4): CtEntry[] {
    return this.removeWhere((e) => e.masqIf === ifname && (addr === undefined || e.reply.dst === addr));
  }

  private emit(type: CtEventType, entry: CtEntry): void {
    this.opts.onEvent?.({ type, entry, at: this.now });
  }
}

function srcKey(t: CtTuple, zone: number): number {
  return tupleHash({ src: t.src, dst: 0, proto: t.proto, sport: t.sport, dport: 0 }, zone);
}
