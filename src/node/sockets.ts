/**
 * The socket layer of a namespace: listeners, TCP connections, UDP sockets and
 * ping sockets, and demultiplexing of what INPUT delivered. Lookups are keyed by
 * numbers (ports), never by formatted strings.
 */
import { formatIpv4, type Ipv4 } from '../packet/ipv4.js';
import {
  ICMP_DEST_UNREACH,
  ICMP_PORT_UNREACH,
  type Packet,
  PROTO_ICMP,
  PROTO_TCP,
  PROTO_UDP,
  TCP_ACK,
  TCP_RST,
  TCP_SYN,
} from '../packet/packet.js';
import type { SocketOwner } from '../netfilter/types.js';
import type { Node } from './node.js';
import type { NodeSkb } from './skb.js';
import { TcpEndpoint, type Segment, type SocketError, type TcpIo } from './tcp.js';
import { ipLocalOut, routeError } from './ip-output.js';
import { icmpSend, tcpReset } from './icmp.js';

/** 65535 less the IP and UDP headers. */
const MAX_UDP_PAYLOAD = 65535 - 20 - 8;

export type Proto = 'tcp' | 'udp';

export interface Listener {
  proto: Proto;
  addr: Ipv4;
  port: number;
  owner: SocketOwner;
  app: string;
  /** TCP: a connection was accepted (handshake complete). */
  onAccept?(ep: TcpEndpoint): void;
  /** UDP: a datagram arrived; `reply` sends one back from the address it was sent to. */
  onDatagram?(
    from: { addr: Ipv4; port: number },
    to: { addr: Ipv4; port: number },
    data: Uint8Array,
    reply: (data: Uint8Array) => void,
  ): void;
}

export interface UdpSocket {
  local: { addr: Ipv4; port: number };
  remote: { addr: Ipv4; port: number };
  owner: SocketOwner;
  onData(data: Uint8Array, from: { addr: Ipv4; port: number }): void;
  onError(err: SocketError): void;
}

export interface SocketInfo {
  proto: Proto;
  state: string;
  local: string;
  peer: string;
  uid: number;
  app: string;
}

export interface PingSocket {
  id: number;
  onReply(seq: number, from: Ipv4): void;
  onError(err: SocketError): void;
}

const EPHEMERAL_LO = 32768;
const EPHEMERAL_HI = 60999;

const portKey = (a: number, b: number): number => a * 65536 + b;

export class SocketTable {
  private readonly listeners = new Map<number, Listener[]>();
  private readonly tcp = new Map<number, TcpEndpoint[]>();
  private readonly endpointOwner = new WeakMap<TcpEndpoint, SocketOwner>();
  private readonly endpointApp = new WeakMap<TcpEndpoint, string>();
  /** Connections a TPROXY listener accepted: like IP_TRANSPARENT sockets, they send from the non-local address they answer for. */
  private readonly transparent = new WeakSet<TcpEndpoint>();
  private readonly udp = new Map<number, UdpSocket[]>();
  private readonly pings = new Map<number, PingSocket>();

  private readonly tcpIo: TcpIo;

  constructor(private readonly node: Node) {
    this.tcpIo = {
      timers: node.lab.timers,
      isn: () => node.lab.rng.nextU32(),
      send: (ep, seg) => this.sendSegment(ep, seg),
    };
  }

  listen(l: Listener): void {
    const key = portKey(l.proto === 'tcp' ? PROTO_TCP : PROTO_UDP, l.port);
    const list = this.listeners.get(key) ?? [];
    list.push(l);
    this.listeners.set(key, list);
  }

  allListeners(): Listener[] {
    return [...this.listeners.values()].flat();
  }

  hasListener(proto: Proto, addr: Ipv4, port: number): boolean {
    return this.findListener(proto === 'tcp' ? PROTO_TCP : PROTO_UDP, addr, port) !== null;
  }

  /** A specific bind beats the wildcard, as the kernel's lookup scores them. */
  private findListener(proto: number, addr: Ipv4, port: number): Listener | null {
    const list = this.listeners.get(portKey(proto, port));
    if (!list) return null;
    let wildcard: Listener | null = null;
    for (const l of list) {
      if (l.addr === addr) return l;
      if (l.addr === 0 && !wildcard) wildcard = l;
    }
    return wildcard;
  }

  endpoints(): TcpEndpoint[] {
    return [...this.tcp.values()].flat();
  }

  private findTcp(local: Ipv4, lport: number, remote: Ipv4, rport: number): TcpEndpoint | null {
    const list = this.tcp.get(portKey(lport, rport));
    if (!list) return null;
    for (const ep of list) if (ep.localAddr === local && ep.remoteAddr === remote) return ep;
    return null;
  }

  private addTcp(ep: TcpEndpoint, owner: SocketOwner, app: string): void {
    const key = portKey(ep.localPort, ep.remotePort);
    const list = this.tcp.get(key) ?? [];
    list.push(ep);
    this.tcp.set(key, list);
    this.endpointOwner.set(ep, owner);
    this.endpointApp.set(ep, app);
    ep.onRemove = () => {
      const l = this.tcp.get(key);
      if (!l) return;
      const i = l.indexOf(ep);
      if (i >= 0) l.splice(i, 1);
      if (!l.length) this.tcp.delete(key);
    };
  }

  /** A packet a local socket sends: TTL 64, DF set (path MTU discovery on, as Linux sockets default to). */
  private packet(src: Ipv4, dst: Ipv4, l4: Pick<Packet, 'proto' | 'tcp' | 'udp' | 'icmp' | 'payload'>): Packet {
    return { src, dst, ttl: 64, tos: 0, id: this.node.nextIpId(), df: true, fragOffset: 0, moreFragments: false, ipOptionsLen: 0, ...l4 };
  }

  private sendSegment(ep: TcpEndpoint, seg: Segment): boolean {
    const pkt = this.packet(ep.localAddr, ep.remoteAddr, { proto: PROTO_TCP, tcp: seg.tcp, payload: seg.payload });
    const owner = this.endpointOwner.get(ep) ?? null;
    const trace = this.node.lab.tracer.begin(this.node.name, pkt, 0);
    const err = ipLocalOut(this.node, pkt, { socket: owner, trace, anySource: this.transparent.has(ep) });
    // A route that vanished mid-connection, or OUTPUT dropping it: the kernel keeps the segment and tries again.
    return err === null;
  }

  /** Picks an unused ephemeral port for a connection to remote:rport from `local`. */
  private ephemeral(proto: number, local: Ipv4, remote: Ipv4, rport: number): number {
    for (let tries = 0; tries < 64; tries++) {
      const p = this.node.lab.rng.int(EPHEMERAL_LO, EPHEMERAL_HI);
      if (proto === PROTO_TCP ? !this.findTcp(local, p, remote, rport) : !this.udp.has(p)) return p;
    }
    for (let p = EPHEMERAL_LO; p <= EPHEMERAL_HI; p++)
      if (proto === PROTO_TCP ? !this.findTcp(local, p, remote, rport) : !this.udp.has(p)) return p;
    return 0;
  }

  /** The source address connect() would pick: the bound one, else the route's preferred source. */
  sourceFor(dst: Ipv4, bind: Ipv4 | null, mark: number): { src: Ipv4 } | { error: SocketError } {
    const r = this.node.routing.lookup({ dst, src: bind, mark, iif: null, oif: null, tos: 0 });
    const err = routeError(r);
    if (err) return { error: err };
    if (bind !== null && bind !== 0) return { src: bind };
    if (r.src !== null && r.src !== 0) return { src: r.src };
    const dev = r.dev ? this.node.dev(r.dev) : undefined;
    const a = dev?.primaryAddress();
    if (a !== undefined && a !== null) return { src: a };
    return { error: 'EHOSTUNREACH' };
  }

  connectTcp(o: {
    dst: Ipv4;
    dport: number;
    src: Ipv4 | null;
    sport: number | null;
    owner: SocketOwner;
    app: string;
  }): TcpEndpoint | SocketError {
    const s = this.sourceFor(o.dst, o.src, 0);
    if ('error' in s) return s.error;
    const sport = o.sport ?? this.ephemeral(PROTO_TCP, s.src, o.dst, o.dport);
    const r = this.node.routing.lookup({ dst: o.dst, src: s.src, mark: 0, iif: null, oif: null, tos: 0 });
    const dev = r.dev ? this.node.dev(r.dev) : undefined;
    const mss = (r.mtu ?? dev?.mtu ?? 1500) - 40;
    const ep = new TcpEndpoint(this.tcpIo, s.src, sport, o.dst, o.dport, mss);
    this.addTcp(ep, o.owner, o.app);
    return ep;
  }

  openUdp(o: {
    dst: Ipv4;
    dport: number;
    src: Ipv4 | null;
    sport: number | null;
    owner: SocketOwner;
    onData: UdpSocket['onData'];
    onError: UdpSocket['onError'];
  }): UdpSocket | SocketError {
    const s = this.sourceFor(o.dst, o.src, 0);
    if ('error' in s) return s.error;
    const sport = o.sport ?? this.ephemeral(PROTO_UDP, s.src, o.dst, o.dport);
    const sock: UdpSocket = {
      local: { addr: s.src, port: sport },
      remote: { addr: o.dst, port: o.dport },
      owner: o.owner,
      onData: o.onData,
      onError: o.onError,
    };
    const list = this.udp.get(sport) ?? [];
    list.push(sock);
    this.udp.set(sport, list);
    return sock;
  }

  closeUdp(sock: UdpSocket): void {
    const list = this.udp.get(sock.local.port);
    if (!list) return;
    const i = list.indexOf(sock);
    if (i >= 0) list.splice(i, 1);
    if (!list.length) this.udp.delete(sock.local.port);
  }

  /** Sends one datagram; returns the error sendmsg() would return. */
  sendUdp(
    from: { addr: Ipv4; port: number },
    to: { addr: Ipv4; port: number },
    data: Uint8Array,
    owner: SocketOwner | null,
  ): SocketError | null {
    // An IPv4 datagram is at most 65535 bytes: udp_sendmsg refuses more (an echo loop ends here).
    if (data.length > MAX_UDP_PAYLOAD) return 'EMSGSIZE';
    const pkt = this.packet(from.addr, to.addr, { proto: PROTO_UDP, udp: { sport: from.port, dport: to.port }, payload: data });
    const trace = this.node.lab.tracer.begin(this.node.name, pkt, 0);
    return ipLocalOut(this.node, pkt, { socket: owner, trace });
  }

  openPing(sock: PingSocket): void {
    this.pings.set(sock.id, sock);
  }

  closePing(id: number): void {
    this.pings.delete(id);
  }

  sendPing(src: Ipv4, dst: Ipv4, id: number, seq: number, owner: SocketOwner, payload = new Uint8Array(56)): SocketError | null {
    const pkt = this.packet(src, dst, { proto: PROTO_ICMP, icmp: { type: 8, code: 0, id, seq }, payload });
    const trace = this.node.lab.tracer.begin(this.node.name, pkt, 0);
    return ipLocalOut(this.node, pkt, { socket: owner, trace });
  }

  private delivered(skb: NodeSkb, socket: string, app?: string): void {
    if (!skb.trace) return;
    this.node.record(skb.trace, { node: this.node.name, deliver: { socket, ...(app ? { app } : {}) } });
    this.node.lab.tracer.end(skb.trace, 'delivered', this.node.name);
  }

  private refused(skb: NodeSkb, why: string): void {
    if (!skb.trace) return;
    this.node.record(skb.trace, { node: this.node.name, drop: { reason: why } });
    this.node.lab.tracer.end(skb.trace, 'rejected', this.node.name);
  }

  tcpReceive(skb: NodeSkb): void {
    const p = skb.pkt;
    const t = p.tcp;
    if (!t) return;
    const ep = this.findTcp(p.dst, t.dport, p.src, t.sport);
    if (ep) {
      this.delivered(skb, `tcp:${ep.localPort}`, this.endpointApp.get(ep));
      ep.receive({ tcp: t, payload: p.payload });
      return;
    }
    const target = skb.tproxySocket ?? { addr: p.dst, port: t.dport };
    const l = (t.flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN ? this.findListener(PROTO_TCP, target.addr, target.port) : null;
    if (!l) {
      this.refused(skb, `no socket for tcp ${formatIpv4(p.dst)}:${t.dport}`);
      tcpReset(this.node, skb);
      return;
    }
    this.delivered(skb, `tcp:${l.port}`, l.app);
    const child = new TcpEndpoint(this.tcpIo, p.dst, t.dport, p.src, t.sport, 1460);
    child.synackRetries = this.node.sysctlInt('net.ipv4.tcp_synack_retries', child.synackRetries);
    this.addTcp(child, l.owner, l.app);
    if (skb.tproxySocket) this.transparent.add(child);
    child.handlers = { onConnected: (e) => l.onAccept?.(e) };
    child.acceptSyn(t);
  }

  udpReceive(skb: NodeSkb): void {
    const p = skb.pkt;
    const u = p.udp;
    if (!u) return;
    const socks = this.udp.get(u.dport);
    if (socks) {
      for (const s of socks) {
        if (s.local.addr === p.dst && s.remote.addr === p.src && s.remote.port === u.sport) {
          this.delivered(skb, `udp:${u.dport}`);
          s.onData(p.payload, { addr: p.src, port: u.sport });
          return;
        }
      }
    }
    const target = skb.tproxySocket ?? { addr: p.dst, port: u.dport };
    const l = this.findListener(PROTO_UDP, target.addr, target.port);
    if (!l) {
      this.refused(skb, `no socket for udp ${formatIpv4(p.dst)}:${u.dport}`);
      icmpSend(this.node, skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
      return;
    }
    this.delivered(skb, `udp:${l.port}`, l.app);
    const from = { addr: p.src, port: u.sport };
    const to = { addr: p.dst, port: u.dport };
    // A socket bound to the wildcard answers with sendto() and no IP_PKTINFO: the kernel picks the
    // source by routing back to the peer, which on a multihomed node need not be the address asked.
    l.onDatagram?.(from, to, p.payload, (data) => {
      if (l.addr !== 0) return this.sendUdp(to, from, data, l.owner);
      const s = this.sourceFor(from.addr, null, 0);
      return 'error' in s ? s.error : this.sendUdp({ addr: s.src, port: to.port }, from, data, l.owner);
    });
  }

  echoReply(skb: NodeSkb): void {
    const icmp = skb.pkt.icmp!;
    const s = this.pings.get(icmp.id);
    if (!s) return;
    this.delivered(skb, 'icmp:ping');
    s.onReply(icmp.seq, skb.pkt.src);
  }

  /** An ICMP error quoting `quoted` (a packet this namespace sent) arrived. */
  icmpError(quoted: Packet, err: SocketError): void {
    if (quoted.tcp) {
      const ep = this.findTcp(quoted.src, quoted.tcp.sport, quoted.dst, quoted.tcp.dport);
      ep?.icmpError(err);
      return;
    }
    if (quoted.udp) {
      for (const s of this.udp.get(quoted.udp.sport) ?? []) {
        if (s.remote.addr === quoted.dst && s.remote.port === quoted.udp.dport) s.onError(err);
      }
      return;
    }
    if (quoted.icmp && quoted.icmp.type === 8) this.pings.get(quoted.icmp.id)?.onError(err);
  }

  /** Every socket, as `ss -tuan` would list them: listeners first, then connections. */
  list(): SocketInfo[] {
    const out: SocketInfo[] = [];
    for (const l of this.allListeners()) {
      out.push({
        proto: l.proto,
        state: l.proto === 'tcp' ? 'LISTEN' : 'UNCONN',
        local: `${formatIpv4(l.addr)}:${l.port}`,
        peer: '*',
        uid: l.owner.uid,
        app: l.app,
      });
    }
    for (const ep of this.endpoints()) {
      out.push({
        proto: 'tcp',
        state: ep.state,
        local: `${formatIpv4(ep.localAddr)}:${ep.localPort}`,
        peer: `${formatIpv4(ep.remoteAddr)}:${ep.remotePort}`,
        uid: this.endpointOwner.get(ep)?.uid ?? 0,
        app: this.endpointApp.get(ep) ?? '',
      });
    }
    for (const list of this.udp.values()) {
      for (const u of list)
        out.push({
          proto: 'udp',
          state: 'ESTAB',
          local: `${formatIpv4(u.local.addr)}:${u.local.port}`,
          peer: `${formatIpv4(u.remote.addr)}:${u.remote.port}`,
          uid: u.owner.uid,
          app: 'client',
        });
    }
    return out;
  }
}
