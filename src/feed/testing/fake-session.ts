/**
 * A stand-in session for the feed's tests: it speaks the FeedSession
 * interface with a tiny command language of its own, so protocol behaviour
 * (ordering, filters, backpressure) can be tested without the engine.
 *   run | pause | step     as the real session
 *   hop FROM TO [N]        N packets hopping FROM:eth0 → TO:eth0 (queued, run by advance)
 *   flood BYTES            endless events of about BYTES each, until pause
 *   rules NODE             a rules.changed event at once
 *   boom                   throws, as an engine bug would
 *   crash                  runs, and the next advance throws
 *   big N                  answers with N characters of numbered lines (a long iptables-save)
 */
import type { SessionState } from '../../session/lifecycle.js';
import type { CommandResult, SessionEvent, SessionListener } from '../../session/session.js';
import { emptyNodeSpec, type Topology } from '../../topology/model.js';
import type { PacketTrace } from '../../trace/steps.js';
import type { FeedSession } from '../port.js';
import type { MatrixAnswer, MatrixTraceAnswer } from '../../session/port.js';

const POS = { file: '<fake>', line: 1, col: 1 };

export function fakeTopology(names: string[]): Topology {
  return {
    name: 'fake',
    description: '',
    file: '<inline>',
    nodes: names.map((name) => ({
      ...emptyNodeSpec(name, name.split('/')[0], POS),
      interfaces: [{ name: 'eth0', kind: 'veth' as const, addrs: [], master: null, mtu: 1500, mac: '02:00:00:00:00:01', pos: POS }],
    })),
    links: names.slice(1).map((n) => ({
      a: { node: names[0], iface: 'eth0' },
      b: { node: n, iface: 'eth0' },
      latency: 100,
      bandwidth: 0,
      loss: 0,
      mtu: 1500,
      pos: POS,
    })),
  };
}

export class FakeSession implements FeedSession {
  state: SessionState = 'loaded';
  t = 0;
  /** Events run by advance/step so far. */
  ran = 0;
  private readonly queue: SessionEvent[] = [];
  private flood = 0;
  private crash = false;
  private nextPacket = 1;
  private readonly listeners = new Set<SessionListener>();
  readonly traces = new Map<number, PacketTrace>();

  constructor(readonly topology: Topology = fakeTopology(['a', 'b', 'c'])) {}

  now(): number {
    return this.t;
  }

  topologyJson(): unknown {
    return { name: this.topology.name, nodes: this.topology.nodes.map((n) => n.name) };
  }

  subscribe(l: SessionListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private emit(e: SessionEvent): void {
    for (const l of this.listeners) l(e);
  }

  private setState(s: SessionState): void {
    if (s === this.state) return;
    this.state = s;
    this.emit({ t_us: this.t, kind: 'sim.state', data: { state: s } });
  }

  private runOne(): boolean {
    if (this.flood > 0) {
      this.t += 1;
      this.emit({ t_us: this.t, kind: 'log', node: 'a', data: 'x'.repeat(this.flood) });
    } else {
      const e = this.queue.shift();
      if (!e) return false;
      this.t = e.t_us;
      this.emit(e);
    }
    this.ran++;
    return true;
  }

  private more(): boolean {
    return this.flood > 0 || this.queue.length > 0;
  }

  advance(maxEvents = 2000): { ran: number; more: boolean } {
    if (this.state !== 'running') return { ran: 0, more: false };
    if (this.crash) {
      this.crash = false;
      throw new Error('scheduler invariant broken');
    }
    let ran = 0;
    while (ran < maxEvents && this.runOne()) ran++;
    if (!this.more()) this.setState('finished');
    return { ran, more: this.more() };
  }

  trace(id: number): PacketTrace | undefined {
    return this.traces.get(id);
  }

  /** The matrix protocol is tested on the real session (src/feed/matrix.test.ts). */
  matrix(): MatrixAnswer {
    return { ok: false, error: 'the feed stand-in has no matrix' };
  }

  matrixTrace(): MatrixTraceAnswer {
    return { ok: false, error: 'the feed stand-in has no matrix' };
  }

  command(line: string): CommandResult {
    const [verb, ...args] = line.trim().split(/\s+/);
    switch (verb) {
      case 'run':
        this.setState('running');
        return { ok: true, output: 'running' };
      case 'pause':
        this.flood = 0;
        this.setState('paused');
        return { ok: true, output: 'paused' };
      case 'step': {
        this.setState('stepping');
        const ran = this.runOne();
        this.setState(this.more() ? 'paused' : 'finished');
        return { ok: true, output: ran ? 'ran 1 event' : 'ran 0 events' };
      }
      case 'hop':
        return this.hop(args[0], args[1], Number(args[2] ?? 1));
      case 'flood':
        this.flood = Number(args[0]);
        this.setState('running');
        return { ok: true, output: 'flooding' };
      case 'rules':
        this.emit({ t_us: this.t, kind: 'rules.changed', node: args[0], data: 'iptables -A INPUT -j DROP' });
        return { ok: true, output: '' };
      case 'big':
        return { ok: true, output: bigOutput(Number(args[0])) };
      case 'boom':
        throw new Error('engine exploded');
      case 'crash':
        this.crash = true;
        this.setState('running');
        return { ok: true, output: 'running' };
      default:
        return { ok: false, output: `unknown command "${verb}"` };
    }
  }

  private hop(from: string, to: string, n: number): CommandResult {
    const known = new Set(this.topology.nodes.map((x) => x.name));
    if (!known.has(from) || !known.has(to)) return { ok: false, output: `no such node` };
    for (let i = 0; i < n; i++) {
      const id = this.nextPacket++;
      const packet = { proto: 'icmp', src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, len: 84, mark: '0x0' };
      const step = { node: from, link: { from: `${from}:eth0`, to: `${to}:eth0`, at_us: this.t + 100 } };
      const deliver = { node: to, deliver: { socket: 'icmp' } };
      this.traces.set(id, { id, packet, steps: [step, deliver], outcome: 'delivered' });
      this.queue.push(
        { t_us: this.t + 10 * i, kind: 'packet.new', packet: id, node: from, data: packet },
        { t_us: this.t + 10 * i, kind: 'packet.hop', packet: id, node: from, step },
        { t_us: this.t + 10 * i + 100, kind: 'packet.deliver', packet: id, node: to, step: deliver },
        { t_us: this.t + 10 * i + 100, kind: 'packet.end', packet: id, node: to, outcome: 'delivered' },
      );
    }
    if (this.state === 'finished' || this.state === 'loaded') this.setState('paused');
    return { ok: true, output: `${n} packet(s) queued` };
  }
}

/** `n` characters of numbered lines, so a test can tell that every part arrived, in order. */
export function bigOutput(n: number): string {
  let out = '';
  for (let i = 0; out.length < n; i++) out += `-A KUBE-SVC-${String(i).padStart(8, '0')} -j ACCEPT\n`;
  return out.slice(0, n);
}
