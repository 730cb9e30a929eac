/**
 * Packet capture of a running lab into one pcapng file: an interface per
 * `NODE:IFACE`, every frame as it crossed that interface (bytes encoded at that
 * moment, so what NAT rewrites later does not leak backwards), timestamps from
 * the virtual clock, and a one-line comment telling what the node did with it.
 *
 * A frame's story at a node is only complete once the node has handled it, so
 * a received frame waits (with its bytes and time already taken) until the
 * node's synchronous handling of it ends, which the next tap call marks.
 */
import { editDistance } from '../core/diagnostic.js';
import { formatIpv4 } from '../packet/ipv4.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, encodeArp, encodeEthernet, encodeIpv4, type Mac } from '../packet/wire.js';
import type { Frame } from '../link/frame.js';
import type { FrameTap } from '../node/node.js';
import type { Lab } from '../lab/lab.js';
import type { PacketTrace, TraceStep } from '../trace/steps.js';
import { LINKTYPE_ETHERNET, PcapngWriter } from './pcapng.js';
import { storyOf } from './story.js';

export interface Capture {
  readonly file: string;
  /** The captured interfaces, `NODE:IFACE`, in interface-id order. */
  readonly interfaces: readonly string[];
  /** Frames written (or waiting for their story) so far. */
  readonly frames: number;
  /** Writes what is pending and closes the file; further calls do nothing. */
  stop(): void;
}

/** A capture that cannot start: unknown interface in the filter, or a file that cannot be written. */
export class CaptureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureError';
  }
}

export interface CaptureOptions {
  /** Bytes buffered before each write to disk (64 KiB by default). */
  chunkBytes?: number;
}

interface Pending {
  iface: number;
  t_us: number;
  data: Uint8Array;
  frame: Frame;
  node: string;
  comment: string | null;
  trace: PacketTrace | null;
  /** Where this node's steps for the frame begin in its trace. */
  from: number;
  direction: 'in' | 'out';
}

/** Received frames waiting for their node's story are few (one per device a frame crosses at once); this is a safety bound. */
const MAX_PENDING = 256;

type Selection = Map<string, Map<string, number>>;

/** Several captures may run on one lab (CLI flag and a UI command at once): one tap fans out to all. */
const taps = new WeakMap<Lab, Set<FrameTap>>();

function addTap(lab: Lab, t: FrameTap): void {
  let set = taps.get(lab);
  if (!set) {
    const fresh = new Set<FrameTap>();
    taps.set(lab, (set = fresh));
    lab.setTap((node, dev, dir, frame) => {
      for (const f of fresh) f(node, dev, dir, frame);
    });
  }
  set.add(t);
}

function removeTap(lab: Lab, t: FrameTap): void {
  const set = taps.get(lab);
  if (!set?.delete(t) || set.size) return;
  taps.delete(lab);
  lab.setTap(null);
}

/** Every `NODE:IFACE` of the lab, nodes in topology order. */
export function labInterfaces(lab: Lab): string[] {
  const out: string[] = [];
  for (const [name, node] of lab.nodes) for (const dev of node.devs.keys()) out.push(`${name}:${dev}`);
  return out;
}

/** Which interfaces a filter selects: `NODE:IFACE`, or `NODE` for all of a node's. Null: capture everything. */
function select(lab: Lab, filter: readonly string[] | undefined): Set<string> | null {
  if (!filter || filter.length === 0) return null;
  const all = labInterfaces(lab);
  const chosen = new Set<string>();
  for (const raw of filter) {
    const item = raw.trim();
    if (!item) continue;
    if (lab.nodes.has(item)) {
      for (const dev of lab.nodes.get(item)!.devs.keys()) chosen.add(`${item}:${dev}`);
      continue;
    }
    if (!all.includes(item)) {
      const near = all.filter((n) => editDistance(n, item) <= 2);
      throw new CaptureError(
        `--capture: no interface "${item}"${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; interfaces are NODE:IFACE, e.g. ${all[0] ?? 'client:eth0'}`,
      );
    }
    chosen.add(item);
  }
  return chosen;
}

const macCache = new Map<string, Mac>();

/** MAC text to bytes, cached: a lab has a handful of MACs, and parsing per frame would be waste. */
function macBytes(text: string): Mac {
  let m = macCache.get(text);
  if (!m) {
    m = new Uint8Array(6);
    const parts = text.split(':');
    for (let i = 0; i < 6; i++) m[i] = parseInt(parts[i] ?? '0', 16) || 0;
    macCache.set(text, m);
  }
  return m;
}

/** The frame's bytes now: the Packet object may still be rewritten by NAT further on. */
export function frameBytes(f: Frame): Uint8Array {
  if (f.type === 'arp') {
    const a = f.arp;
    const arp = encodeArp({
      op: a.op === 'request' ? 1 : 2,
      senderMac: macBytes(a.senderMac),
      senderIp: a.senderIp,
      targetMac: macBytes(a.targetMac),
      targetIp: a.targetIp,
    });
    return encodeEthernet(macBytes(f.dst), macBytes(f.src), ETHERTYPE_ARP, arp);
  }
  return encodeEthernet(macBytes(f.dst), macBytes(f.src), ETHERTYPE_IPV4, encodeIpv4(f.ip));
}

function arpStory(node: string, f: Extract<Frame, { type: 'arp' }>): string {
  const a = f.arp;
  return a.op === 'request'
    ? `${node}: ARP who-has ${formatIpv4(a.targetIp)} tell ${formatIpv4(a.senderIp)}`
    : `${node}: ARP ${formatIpv4(a.senderIp)} is-at ${a.senderMac}`;
}

/** The steps this node has recorded for the packet since index `from`, stopping where another node's begin. */
function nodeStepsFrom(trace: PacketTrace, node: string, from: number): TraceStep[] {
  const out: TraceStep[] = [];
  for (let i = from; i < trace.steps.length && trace.steps[i].node === node; i++) out.push(trace.steps[i]);
  return out;
}

/** The node's steps at the end of the trace: its handling so far on this visit. */
function trailingSteps(trace: PacketTrace, node: string): TraceStep[] {
  let i = trace.steps.length;
  while (i > 0 && trace.steps[i - 1].node === node) i--;
  return trace.steps.slice(i);
}

/**
 * Starts capturing `lab` into `file` (created or truncated). `filter` limits it
 * to some interfaces (`NODE:IFACE` or `NODE`); the default is every interface.
 * Throws CaptureError when the filter names an unknown interface or the file
 * cannot be opened.
 */
export function startCapture(lab: Lab, file: string, filter?: readonly string[], opts: CaptureOptions = {}): Capture {
  const chosen = select(lab, filter);
  let writer: PcapngWriter;
  try {
    writer = new PcapngWriter(file, { chunkBytes: opts.chunkBytes });
  } catch (e) {
    throw new CaptureError(`cannot write capture ${file}: ${(e as Error).message}`);
  }
  const ids: Selection = new Map();
  const names: string[] = [];
  const loopback: boolean[] = [];
  const declare = (node: string, dev: string): number => {
    const name = `${node}:${dev}`;
    const id = writer.addInterface({ name, linkType: LINKTYPE_ETHERNET });
    names.push(name);
    loopback[id] = lab.nodes.get(node)?.devs.get(dev)?.kind === 'loopback';
    let m = ids.get(node);
    if (!m) ids.set(node, (m = new Map<string, number>()));
    m.set(dev, id);
    return id;
  };
  for (const [name, node] of lab.nodes) for (const dev of node.devs.keys()) if (!chosen || chosen.has(`${name}:${dev}`)) declare(name, dev);

  const pending: Pending[] = [];
  let frames = 0;
  let stopped = false;

  const write = (p: Pending): void => {
    let comment = p.comment;
    if (comment === null) comment = p.trace ? storyOf(p.node, nodeStepsFrom(p.trace, p.node, p.from), 'received') : `${p.node}: received`;
    writer.writePacket({ iface: p.iface, t_us: p.t_us, data: p.data, comment, direction: p.direction });
  };
  const flush = (): void => {
    for (const p of pending) write(p);
    pending.length = 0;
  };

  const idOf = (node: string, dev: string): number | undefined => {
    const id = ids.get(node)?.get(dev);
    if (id !== undefined || chosen) return id;
    // A device made after the capture started: with no filter, it is captured too.
    return lab.nodes.get(node)?.devs.has(dev) ? declare(node, dev) : undefined;
  };

  const tap: FrameTap = (node, dev, dir, frame) => {
    // Any tap ends the synchronous handling of earlier received frames, except
    // the same frame moving on inside one node (a bridge port, then the bridge).
    if (pending.length && (dir === 'out' || pending[0].frame !== frame || pending.length >= MAX_PENDING)) flush();
    const iface = idOf(node, dev);
    if (iface === undefined) return;
    // Linux shows a loopback packet once, as sent; it is kept until it has been
    // received so its story covers both halves (loopback changes no bytes).
    const loop = loopback[iface];
    if (loop && dir === 'out') return;
    const data = frameBytes(frame);
    const t_us = lab.now();
    frames++;
    const trace = frame.type === 'ipv4' ? (frame.meta.trace as PacketTrace | null) : null;
    if (dir === 'out') {
      const comment =
        frame.type === 'arp' ? arpStory(node, frame) : trace ? storyOf(node, trailingSteps(trace, node), 'sent') : `${node}: sent`;
      writer.writePacket({ iface, t_us, data, comment, direction: 'out' });
      return;
    }
    const from = !trace ? 0 : loop ? trace.steps.length - trailingSteps(trace, node).length : trace.steps.length;
    const comment = frame.type === 'arp' ? arpStory(node, frame) : null;
    pending.push({ iface, t_us, data, frame, node, trace, from, comment, direction: loop ? 'out' : 'in' });
  };
  addTap(lab, tap);

  return {
    file,
    interfaces: names,
    get frames() {
      return frames;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      removeTap(lab, tap);
      flush();
      writer.close();
    },
  };
}
