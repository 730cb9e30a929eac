/**
 * One network namespace: its devices, addresses, routing, Netfilter, conntrack
 * and sockets. The packet path itself lives in ip-input.ts, ip-output.ts and
 * hooks.ts; this file holds the state they share.
 */
import type { Rng } from '../core/rng.js';
import type { Timers } from '../core/timers.js';
import type { Ipv4 } from '../packet/ipv4.js';
import type { Tracer } from '../trace/tracer.js';
import type { PacketTrace, TraceStep } from '../trace/steps.js';
import type { Frame } from '../link/frame.js';
import type { NetDev } from './netdev.js';
import type { ConntrackPort, NetfilterPort, NodeViews, RoutingPort } from './ports.js';
import { SocketTable } from './sockets.js';
import { NeighbourTable } from './neighbour.js';
import { NodeNfEnv } from './hooks.js';
import type { NftNode } from '../nftables/node-state.js';

export interface LabContext {
  timers: Timers;
  rng: Rng;
  tracer: Tracer;
  /** Kernel-style log lines (LOG target, NFLOG), with the node they came from. */
  log(node: string, line: string): void;
  /** Frames on wires or in loopback queues right now; zero means the network is quiet. */
  inFlight: number;
  /** Packet capture: sees every frame as it leaves (`out`) or reaches (`in`) a device; null when nobody captures. */
  tap: FrameTap | null;
}

const ROUTE_ERROR_COST_US = 1_000_000;
const ROUTE_ERROR_BURST_US = 5_000_000;

export type FrameTap = (node: string, dev: string, dir: 'in' | 'out', frame: Frame) => void;

export class Node {
  readonly devs = new Map<string, NetDev>();
  readonly sysctl = new Map<string, string>();
  readonly sockets: SocketTable;
  readonly neighbours: NeighbourTable;
  routing!: RoutingPort;
  netfilter!: NetfilterPort;
  /** The node's native nftables; null until the lab attaches it (the packet path then skips nft). */
  nft: NftNode | null = null;
  conntrack!: ConntrackPort;
  views!: NodeViews;
  users = new Map<string, number>();
  groups = new Map<string, number>();
  readonly nfEnv: NodeNfEnv;
  private ipId: number;
  /**
   * Stack work this node has queued for the current instant (loopback frames, a REJECT's reset or
   * ICMP): the kernel does it in the softirq, before a woken process runs.
   */
  softirqPending = 0;
  /** ip_error's token buckets (µs of credit) by the source of the unroutable packet; see `routeErrorAllowed`. */
  private readonly errorPeers = new Map<Ipv4, { tokens: number; last: number }>();

  constructor(
    readonly name: string,
    readonly lab: LabContext,
  ) {
    this.sockets = new SocketTable(this);
    this.neighbours = new NeighbourTable(this);
    this.nfEnv = new NodeNfEnv(this);
    this.ipId = lab.rng.nextU32() & 0xffff;
  }

  dev(name: string): NetDev | undefined {
    return this.devs.get(name);
  }

  /** An integer sysctl the node layer reads itself (routing keeps its own: ip_forward, conf.*). */
  sysctlInt(name: string, fallback = 0): number {
    const v = this.sysctl.get(name);
    return v === undefined ? fallback : Number(v);
  }

  isLocalAddress(a: Ipv4): boolean {
    for (const d of this.devs.values()) if (d.hasAddress(a)) return true;
    return false;
  }

  /**
   * ip_error's rate limit, per source address (the inetpeer's rate_tokens): each ICMP error for a
   * packet that cannot be routed costs route.error_cost (1 s) of credit, which refills with time up
   * to route.error_burst (5 s); a source not seen before starts full. icmp_send's own limit is not
   * modelled: the differential suite turns it off on the kernel side (icmp_ratemask=0), which leaves
   * this one in place.
   */
  routeErrorAllowed(src: Ipv4): boolean {
    const now = this.lab.timers.now();
    let p = this.errorPeers.get(src);
    if (!p) this.errorPeers.set(src, (p = { tokens: ROUTE_ERROR_BURST_US, last: now }));
    p.tokens = Math.min(ROUTE_ERROR_BURST_US, p.tokens + (now - p.last));
    p.last = now;
    if (p.tokens < ROUTE_ERROR_COST_US) return false;
    p.tokens -= ROUTE_ERROR_COST_US;
    return true;
  }

  nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  record(trace: PacketTrace | null, step: TraceStep): void {
    if (trace) this.lab.tracer.step(trace, step);
  }
}
