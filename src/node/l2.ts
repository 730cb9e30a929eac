/**
 * Ethernet: devices send and receive frames; bridges learn and forward. An IPv4
 * frame addressed to this device goes up to ip-input; with
 * bridge-nf-call-iptables, frames the bridge forwards between its ports go
 * through the iptables hooks first (br_netfilter).
 */
import { ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, packetLength } from '../packet/packet.js';
import { formatIpv4 } from '../packet/ipv4.js';
import { BROADCAST_MAC, type Frame, frameLength, isMulticastMac } from '../link/frame.js';
import type { PacketTrace } from '../trace/steps.js';
import type { NetDev } from './netdev.js';
import type { NodeSkb } from './skb.js';
import type { Node } from './node.js';
import { ipReceive, bridgedIpv4 } from './ip-input.js';
import type { RouteDecision } from './ports.js';
import { runHook } from './hooks.js';
import { icmpSend } from './icmp.js';

/** Puts a frame on `dev`'s wire (or, for a bridge, out of the right ports). */
export function transmitFrame(node: Node, dev: NetDev, frame: Frame): void {
  if (!dev.up) return;
  switch (dev.kind) {
    case 'loopback':
      // Loopback goes through the receive path asynchronously, as the kernel's backlog does.
      node.lab.tap?.(node.name, dev.name, 'out', frame);
      node.lab.inFlight++;
      node.softirqPending++;
      node.lab.timers.at(node.lab.timers.now(), () => {
        node.lab.inFlight--;
        node.softirqPending--;
        receiveFrame(node, dev, frame);
      });
      return;
    case 'dummy':
      return;
    case 'bridge':
      node.lab.tap?.(node.name, dev.name, 'out', frame);
      forwardFromBridge(node, dev, null, frame);
      return;
    case 'veth':
      sendOnWire(node, dev, frame);
      return;
  }
}

function sendOnWire(node: Node, dev: NetDev, frame: Frame): void {
  node.lab.tap?.(node.name, dev.name, 'out', frame);
  const trace = frame.meta.trace as PacketTrace | null;
  if (!dev.tx) {
    if (trace)
      node.record(trace, {
        node: node.name,
        link: { from: `${node.name}:${dev.name}`, to: '', at_us: node.lab.timers.now(), drop: 'no-carrier' },
      });
    return;
  }
  const bytes = frameLength(frame, frame.type === 'ipv4' ? packetLength(frame.ip) : 0);
  const r = dev.tx.send(frame, bytes);
  if ('arrives' in r) node.lab.inFlight++;
  if (trace) {
    const from = `${node.name}:${dev.name}`;
    const to = dev.peerLabel ?? '';
    node.record(trace, {
      node: node.name,
      link: 'arrives' in r ? { from, to, at_us: r.arrives } : { from, to, at_us: node.lab.timers.now(), drop: r.drop },
    });
    if ('drop' in r) node.lab.tracer.end(trace, 'dropped', node.name);
  }
}

/** A frame arrived on `dev` from its wire. */
export function receiveFrame(node: Node, dev: NetDev, frame: Frame): void {
  if (!dev.up) return;
  node.lab.tap?.(node.name, dev.name, 'in', frame);
  if (dev.master) return bridgeInput(node, dev.master, dev, frame);
  localInput(node, dev, frame);
}

function localInput(node: Node, dev: NetDev, frame: Frame, bridgePort: NetDev | null = null): void {
  const toUs = frame.dst === dev.mac || frame.dst === BROADCAST_MAC || isMulticastMac(frame.dst) || dev.kind === 'loopback';
  if (!toUs) return;
  if (frame.type === 'arp') {
    if (dev.kind !== 'loopback') node.neighbours.receive(dev, frame.arp);
    return;
  }
  const pktType = frame.dst === dev.mac || dev.kind === 'loopback' ? 'unicast' : frame.dst === BROADCAST_MAC ? 'broadcast' : 'multicast';
  ipReceive(node, dev, frame.ip, {
    srcMac: dev.kind === 'loopback' ? null : frame.src,
    dstMac: frame.dst,
    pktType,
    trace: frame.meta.trace as PacketTrace | null,
    carried: (frame.meta.skb as NodeSkb | undefined) ?? null,
    bridgePort,
  });
}

function bridgeInput(node: Node, br: NetDev, port: NetDev, frame: Frame): void {
  br.fdb!.learn(frame.src, port.name);
  forwardFromBridge(node, br, port, frame);
}

/**
 * Forwards a frame inside bridge `br`, from `inPort` (null: the bridge device
 * itself sent it). The bridge device is one of the destinations.
 */
function forwardFromBridge(node: Node, br: NetDev, inPort: NetDev | null, frame: Frame): void {
  const names = br.ports.filter((p) => p.up).map((p) => p.name);
  if (inPort) names.push(br.name);
  const out = br.fdb!.egress(inPort ? inPort.name : br.name, frame.dst, names, inPort?.hairpin ?? false);
  const trace = frame.meta.trace as PacketTrace | null;
  if (trace && inPort) node.record(trace, { node: node.name, bridge: { bridge: br.name, in: inPort.name, out } });
  for (const name of out) {
    if (name === br.name) {
      node.lab.tap?.(node.name, br.name, 'in', frame);
      localInput(node, br, frame, inPort);
      continue;
    }
    const port = node.dev(name)!;
    if (inPort && frame.type === 'ipv4' && node.sysctlInt('net.bridge.bridge-nf-call-iptables', 1) === 1) {
      // br_netfilter: each copy walks the hooks on its own.
      const copy = out.length > 1 ? { ...frame, ip: structuredCloneIp(frame.ip) } : frame;
      bridgedIpv4(node, br, inPort, port, copy);
      continue;
    }
    sendOnWire(node, port, frame);
  }
}

function structuredCloneIp<T>(p: T): T {
  return structuredClone(p);
}

/** Sends an IPv4 frame out of a bridge port after br_netfilter accepted it. */
export function bridgePortTransmit(node: Node, port: NetDev, frame: Frame): void {
  sendOnWire(node, port, frame);
}

/**
 * br_netfilter's bridged DNAT: PREROUTING on a frame that came in on `inPort`
 * rewrote its destination to a host that route `r` reaches through `br`
 * itself. The kernel does not route it (no ip_forward needed, no TTL
 * decrement): it gives the frame the new host's MAC and bridges it again from
 * `inPort`, so the bridge's own rule applies, never back out of the port it
 * came in on unless that port is in hairpin mode. FORWARD and POSTROUTING run
 * per egress port, as the bridge's forward hooks do; a frame the bridge will
 * not send walks neither, so its conntrack entry is never confirmed.
 */
export function bridgedDnatForward(node: Node, br: NetDev, inPort: NetDev, skb: NodeSkb, r: RouteDecision): void {
  const pkt = skb.pkt;
  skb.bridged = true;
  skb.physIn = inPort.name;
  skb.outIf = br.name;
  skb.routeDev = br.name;
  skb.nextHop = r.via;
  const srcMac = skb.srcMac ?? br.mac;
  const nextHop = r.via ?? pkt.dst;
  node.neighbours.resolve(br, nextHop, pkt.src, {
    sent: (mac) => {
      const names = br.ports.filter((p) => p.up).map((p) => p.name);
      const out = br.fdb!.egress(inPort.name, mac, names, inPort.hairpin);
      if (skb.trace) node.record(skb.trace, { node: node.name, bridge: { bridge: br.name, in: inPort.name, out } });
      if (out.length === 0) {
        if (skb.trace) {
          const reason = `${br.name} does not send a frame back out of ${inPort.name}, the port it came in on (hairpin off)`;
          node.record(skb.trace, { node: node.name, drop: { reason } });
          node.lab.tracer.end(skb.trace, 'dropped', node.name);
        }
        return;
      }
      for (const [i, name] of out.entries()) {
        const s: NodeSkb = i === 0 ? skb : { ...skb, pkt: structuredCloneIp(skb.pkt) };
        s.physOut = name;
        if (!runHook(node, 'FORWARD', s)) continue;
        if (!runHook(node, 'POSTROUTING', s)) continue;
        sendOnWire(node, node.dev(name)!, { src: srcMac, dst: mac, type: 'ipv4', ip: s.pkt, meta: { trace: s.trace } });
      }
    },
    failed: () => {
      if (skb.trace) {
        node.record(skb.trace, { node: node.name, drop: { reason: `no ARP reply from ${formatIpv4(nextHop)}` } });
        node.lab.tracer.end(skb.trace, 'dropped', node.name);
      }
      icmpSend(node, skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH);
    },
  });
}
