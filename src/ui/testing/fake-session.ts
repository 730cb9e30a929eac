/**
 * A stand-in session for component tests: the same surface as the UI uses
 * (UiSession), with a scripted event queue instead of the engine. Probes queue
 * the events of one packet trace whose steps the test chooses; counters in
 * `iptables -L -v` output count the packets that went through.
 */
import { type ParsedCommand, parseCommand, COMMAND_HELP } from '../../session/command-language.js';
import { steppedText, type MatrixAnswer, type MatrixTraceAnswer } from '../../session/port.js';
import type { SessionState } from '../../session/lifecycle.js';
import type { CommandResult, NodeSummary, SessionEvent, SessionListener } from '../../session/session.js';
import type { PacketTrace, TraceStep } from '../../trace/steps.js';
import { emptyNodeSpec, type Topology } from '../../topology/model.js';
import type { UiSession } from '../ui-session.js';

const POS = { file: 'fake.yaml', line: 1, col: 1 };

function nodeSpec(name: string, listen: Topology['nodes'][number]['listen'] = []): Topology['nodes'][number] {
  return { ...emptyNodeSpec(name, name.split('/')[0], POS), listen };
}

export const FAKE_NODES: NodeSummary[] = [
  {
    name: 'client',
    interfaces: [
      { name: 'eth0', kind: 'veth', addrs: ['198.51.100.10/24'], mac: '02:00:00:00:00:01', master: null, peer: 'docker-host:eth0' },
    ],
  },
  {
    name: 'docker-host',
    interfaces: [
      { name: 'lo', kind: 'loopback', addrs: ['127.0.0.1/8'], mac: '00:00:00:00:00:00', master: null, peer: null },
      { name: 'eth0', kind: 'veth', addrs: ['198.51.100.1/24'], mac: '02:00:00:00:00:02', master: null, peer: 'client:eth0' },
      { name: 'docker0', kind: 'bridge', addrs: ['172.17.0.1/16'], mac: '02:00:00:00:00:03', master: null, peer: null },
      { name: 'veth-web', kind: 'veth', addrs: [], mac: '02:00:00:00:00:04', master: 'docker0', peer: 'docker-host/web:eth0' },
    ],
  },
  {
    name: 'docker-host/web',
    interfaces: [
      { name: 'eth0', kind: 'veth', addrs: ['172.17.0.2/16'], mac: '02:00:00:00:00:05', master: null, peer: 'docker-host:veth-web' },
    ],
  },
];

const PKT = { proto: 'tcp', src: '198.51.100.10:40000', dst: '198.51.100.1:8080', flags: 'SYN', ttl: 64, len: 60, mark: '0x0' };

/** The DNAT path of a published port, as the engine reports it. */
export const DNAT_STEPS: TraceStep[] = [
  { node: 'client', route: { dst: '198.51.100.1', dev: 'eth0', via: '198.51.100.1', table: 'main' } },
  { node: 'client', link: { from: 'client:eth0', to: 'docker-host:eth0', at_us: 10 } },
  {
    node: 'docker-host',
    hook: 'PREROUTING',
    table: 'nat',
    chain: 'PREROUTING',
    rule: 1,
    verdict: 'JUMP:DOCKER',
    rule_text: '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
    packet: PKT,
  },
  {
    node: 'docker-host',
    hook: 'PREROUTING',
    table: 'nat',
    chain: 'DOCKER',
    rule: 2,
    verdict: 'ACCEPT',
    target: 'DNAT',
    rule_text: '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80',
    packet: PKT,
  },
  { node: 'docker-host', nat: { hook: 'PREROUTING', kind: 'DNAT', before: '198.51.100.1:8080', after: '172.17.0.2:80' } },
  {
    node: 'docker-host',
    conntrack: {
      hook: 'PREROUTING',
      state: 'NEW',
      dir: 'original',
      orig: '198.51.100.10:40000 > 198.51.100.1:8080',
      reply: '172.17.0.2:80 > 198.51.100.10:40000',
    },
  },
  {
    node: 'docker-host',
    hook: 'FORWARD',
    table: 'filter',
    chain: 'FORWARD',
    rule: null,
    verdict: 'DROP',
    policy: true,
    packet: { ...PKT, dst: '172.17.0.2:80' },
  },
];

export class FakeSession implements UiSession {
  readonly topology: Topology = {
    name: 'fake-lab',
    description: '',
    file: 'fake.yaml',
    nodes: [
      nodeSpec('client'),
      nodeSpec('docker-host'),
      nodeSpec('docker-host/web', [{ proto: 'tcp', port: 80, uid: 0, addr: 0, app: 'echo', source: null, pos: POS }]),
    ],
    links: [],
  };
  state: SessionState = 'loaded';
  t = 0;
  private readonly listeners = new Set<SessionListener>();
  private queue: SessionEvent[] = [];
  private readonly traces = new Map<number, PacketTrace>();
  private nextId = 1;
  /** Packets counted by the DOCKER DNAT rule. */
  dnatPackets = 0;
  steps: TraceStep[] = DNAT_STEPS;
  outcome: PacketTrace['outcome'] = 'dropped';
  execLog: string[] = [];

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

  now(): number {
    return this.t;
  }

  run(): void {
    this.setState('running');
  }

  pause(): void {
    if (this.state === 'running') this.setState('paused');
  }

  private runOne(): void {
    const e = this.queue.shift();
    if (!e) return;
    this.t = e.t_us;
    if (e.kind === 'packet.end' && e.packet !== undefined) {
      this.traces.get(e.packet)!.outcome = e.outcome!;
      this.dnatPackets++;
    }
    this.emit(e);
  }

  step(): boolean {
    if (!this.queue.length) {
      this.setState('finished');
      return false;
    }
    this.runOne();
    this.setState(this.queue.length ? 'paused' : 'finished');
    return true;
  }

  advance(maxEvents = 2000): { ran: number; more: boolean } {
    if (this.state !== 'running') return { ran: 0, more: false };
    let ran = 0;
    while (ran < maxEvents && this.queue.length) {
      this.runOne();
      ran++;
    }
    const more = this.queue.length > 0;
    if (!more) this.setState('finished');
    return { ran, more };
  }

  reset(): void {
    this.queue = [];
    this.traces.clear();
    this.t = 0;
    this.dnatPackets = 0;
    this.setState('loaded');
  }

  /** Queues one probe's packet: new, each step, end, then the probe's result. */
  private probe(node: string, line: string): void {
    const id = this.nextId++;
    const tr: PacketTrace = { id, packet: PKT, steps: [], outcome: 'in-flight' };
    this.traces.set(id, tr);
    let t = this.t;
    this.queue.push({ t_us: ++t, kind: 'packet.new', packet: id, node, data: PKT });
    for (const s of this.steps) {
      this.queue.push({
        t_us: ++t,
        kind: 'hook' in s ? 'packet.verdict' : 'link' in s ? 'packet.hop' : 'packet.step',
        packet: id,
        node: s.node,
        step: s,
      });
    }
    // Steps join the trace as they run, like the engine's.
    const steps = this.steps;
    let i = 0;
    const sub = this.subscribe((e) => {
      if (e.kind !== 'probe.result' && 'packet' in e && e.packet === id && 'step' in e && e.step) tr.steps.push(steps[i++]);
      if (e.kind === 'packet.end' && e.packet === id) sub();
    });
    this.queue.push({ t_us: ++t, kind: 'packet.end', packet: id, node: 'docker-host', outcome: this.outcome });
    this.queue.push({
      t_us: t + 1,
      kind: 'probe.result',
      data: { command: line, result: this.outcome === 'delivered' ? 'connected' : 'timeout', server: null, server_sees: null, trace: id },
    });
  }

  resolveNode(name: string): string | null {
    if (FAKE_NODES.some((n) => n.name === name)) return name;
    const hits = FAKE_NODES.filter((n) => n.name.endsWith(`/${name}`));
    return hits.length === 1 ? hits[0].name : null;
  }

  nodes(): NodeSummary[] {
    return FAKE_NODES;
  }

  trace(id: number): PacketTrace | undefined {
    return this.traces.get(id);
  }

  recentTraces(): PacketTrace[] {
    return [...this.traces.values()];
  }

  exec(node: string, cmd: string): CommandResult {
    const name = this.resolveNode(node);
    if (!name) return { ok: false, output: `no node "${node}"` };
    this.execLog.push(`${name}: ${cmd}`);
    if (cmd === 'iptables -t nat -L -n -v' && name === 'docker-host') {
      return {
        ok: true,
        output: [
          'Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)',
          ' pkts bytes target     prot opt in     out     source               destination',
          `    ${this.dnatPackets}   ${this.dnatPackets * 60} DOCKER     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ADDRTYPE match dst-type LOCAL`,
          '',
          'Chain DOCKER (1 references)',
          ' pkts bytes target     prot opt in     out     source               destination',
          `    ${this.dnatPackets}   ${this.dnatPackets * 60} DNAT       6    --  !docker0 *       0.0.0.0/0            0.0.0.0/0            tcp dpt:8080 to:172.17.0.2:80`,
        ].join('\n'),
      };
    }
    if (cmd.startsWith('iptables -t') && cmd.endsWith('-L -n -v'))
      return {
        ok: true,
        output:
          'Chain INPUT (policy ACCEPT 0 packets, 0 bytes)\n pkts bytes target     prot opt in     out     source               destination',
      };
    if (cmd.startsWith('iptables-save -t')) return { ok: true, output: '' };
    if (cmd === 'ip route show')
      return {
        ok: true,
        output:
          name === 'client'
            ? 'default via 198.51.100.1 dev eth0\n198.51.100.0/24 dev eth0 proto kernel scope link src 198.51.100.10'
            : '172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1',
      };
    if (cmd === 'ip rule show')
      return { ok: true, output: '0:\tfrom all lookup local\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default' };
    if (cmd === 'conntrack -L')
      return {
        ok: true,
        output: this.dnatPackets
          ? 'tcp      6 119 SYN_SENT src=198.51.100.10 dst=198.51.100.1 sport=40000 dport=8080 [UNREPLIED] src=172.17.0.2 dst=198.51.100.10 sport=80 dport=40000 mark=0 use=1'
          : '',
      };
    if (cmd.startsWith('iptables -t nat -I')) return { ok: true, output: '' };
    return { ok: false, output: `${cmd.split(' ')[0]}: not supported by the fake` };
  }

  matrix(): MatrixAnswer {
    return { ok: false, error: 'the fake session has no matrix' };
  }

  matrixTrace(): MatrixTraceAnswer {
    return { ok: false, error: 'the fake session has no matrix' };
  }

  command(line: string): CommandResult {
    const c = parseCommand(line, (n) => this.resolveNode(n));
    if ('error' in c) return { ok: false, output: c.error };
    return this.execute(c, line);
  }

  private execute(c: ParsedCommand, line: string): CommandResult {
    switch (c.kind) {
      case 'help':
        return { ok: true, output: COMMAND_HELP };
      case 'run':
        this.run();
        return { ok: true, output: 'running' };
      case 'pause':
        this.pause();
        return { ok: true, output: 'paused' };
      case 'step': {
        let n = 0;
        while (n < c.count && this.step()) n++;
        return { ok: true, output: steppedText(n, this.now()) };
      }
      case 'reset':
        this.reset();
        return { ok: true, output: 'reset' };
      case 'nodes':
        return { ok: true, output: FAKE_NODES.map((n) => n.name).join('\n') };
      case 'scenario':
        return { ok: false, output: `${c.file}: no such file` };
      case 'capture-start':
      case 'capture-stop':
        return { ok: false, output: 'the fake session does not capture' };
      case 'matrix':
        return { ok: false, output: 'the fake session has no matrix' };
      case 'exec':
        return this.exec(c.node, c.cmd);
      case 'probe':
        this.probe(c.node, line);
        if (this.state === 'loaded' || this.state === 'finished') this.run();
        return { ok: true, output: `${c.probe} from ${c.node} to ${c.to} started` };
    }
  }
}
