/**
 * The feed's stand-in: the shared session double
 * (src/session/testing/fake-session.ts: the session's lifecycle machine,
 * command parser and event queue) plus a few verbs that drive the protocol
 * where the engine cannot be made to on demand:
 *   hop FROM TO [N]        N packets hopping FROM:eth0 → TO:eth0 (queued, run by advance)
 *   flood BYTES            endless events of about BYTES each, until pause
 *   rules NODE             a rules.changed event at once
 *   boom                   throws, as an engine bug would
 *   crash                  runs, and the next advance throws
 *   big N                  answers with N characters of numbered lines (a long iptables-save)
 * The session's own commands (run, pause, step, reset, nodes, help) are the shared double's.
 */
import type { CommandResult } from '../../session/port.js';
import { FakeSession as SharedFakeSession } from '../../session/testing/fake-session.js';
import { emptyNodeSpec, type Topology } from '../../topology/model.js';
import type { FeedSession } from '../port.js';

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

const FEED_VERBS = new Set(['hop', 'flood', 'rules', 'big', 'boom', 'crash']);

export class FakeSession extends SharedFakeSession implements FeedSession {
  /** Events run by advance/step so far. */
  ran = 0;
  private flood = 0;
  private crash = false;
  private nextPacket = 1;

  constructor(topology: Topology = fakeTopology(['a', 'b', 'c'])) {
    super(topology);
    // Every packet event a run delivers counts; sim.state is the lifecycle's, not a run's.
    this.subscribe((e) => {
      if (e.kind !== 'sim.state') this.ran++;
    });
  }

  override advance(maxEvents = 2000): { ran: number; more: boolean } {
    if (this.state !== 'running') return { ran: 0, more: false };
    if (this.crash) {
      this.crash = false;
      throw new Error('scheduler invariant broken');
    }
    if (this.flood <= 0) return super.advance(maxEvents);
    for (let i = 0; i < maxEvents; i++) this.report({ t_us: ++this.t, kind: 'log', node: 'a', data: 'x'.repeat(this.flood) });
    return { ran: maxEvents, more: true };
  }

  override command(line: string): CommandResult {
    const [verb, ...args] = line.trim().split(/\s+/);
    if (verb === 'pause') this.flood = 0;
    if (!FEED_VERBS.has(verb)) {
      // What the feed's tests send besides the session's verbs is a typo: said as the session would.
      return super.command(line);
    }
    switch (verb) {
      case 'hop':
        return this.hop(args[0], args[1], Number(args[2] ?? 1));
      case 'flood':
        this.flood = Number(args[0]);
        this.run();
        return { ok: true, output: 'flooding' };
      case 'rules':
        this.report({ t_us: this.t, kind: 'rules.changed', node: args[0], data: 'iptables -A INPUT -j DROP' });
        return { ok: true, output: '' };
      case 'big':
        return { ok: true, output: bigOutput(Number(args[0])) };
      case 'boom':
        throw new Error('engine exploded');
      default:
        this.crash = true;
        this.run();
        return { ok: true, output: 'running' };
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
      this.enqueue(
        { t_us: this.t + 10 * i, kind: 'packet.new', packet: id, node: from, data: packet },
        { t_us: this.t + 10 * i, kind: 'packet.hop', packet: id, node: from, step },
        { t_us: this.t + 10 * i + 100, kind: 'packet.deliver', packet: id, node: to, step: deliver },
        { t_us: this.t + 10 * i + 100, kind: 'packet.end', packet: id, node: to, outcome: 'delivered' },
      );
    }
    // As the session holds a pause given before anything runs: the packets wait for step or run.
    if (this.state === 'finished' || this.state === 'loaded') this.pause();
    return { ok: true, output: `${n} packet(s) queued` };
  }
}

/** `n` characters of numbered lines, so a test can tell that every part arrived, in order. */
export function bigOutput(n: number): string {
  let out = '';
  for (let i = 0; out.length < n; i++) out += `-A KUBE-SVC-${String(i).padStart(8, '0')} -j ACCEPT\n`;
  return out.slice(0, n);
}
