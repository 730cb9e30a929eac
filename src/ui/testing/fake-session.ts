/**
 * The UI's stand-in: the shared one (src/session/testing/fake-session.ts),
 * with its lifecycle, command parser and event plumbing, holding a scripted
 * Docker lab. A probe queues one packet whose steps the test chooses
 * (`steps`, `outcome`); `iptables -t nat -L -n -v` on docker-host counts the
 * packets that went through (`dnatPackets`), and the node inspector's other
 * listings answer as that lab would.
 */
import { makeCidr, parseIpv4 } from '../../packet/ipv4.js';
import { parseCommand } from '../../session/command-language.js';
import type { CommandResult } from '../../session/port.js';
import { FakeSession as SharedFakeSession, summariesOf } from '../../session/testing/fake-session.js';
import type { PacketTrace, TraceStep } from '../../trace/steps.js';
import { emptyNodeSpec, type InterfaceSpec, type ListenSpec, type Topology } from '../../topology/model.js';

const POS = { file: 'fake.yaml', line: 1, col: 1 };

function iface(name: string, kind: InterfaceSpec['kind'], addr: string | null, master: string | null, n: number): InterfaceSpec {
  const [a, len] = addr ? addr.split('/') : [];
  const ip = a ? parseIpv4(a)! : 0;
  return {
    name,
    kind,
    addrs: a ? [{ addr: ip, cidr: makeCidr(ip, Number(len)) }] : [],
    master,
    mtu: 1500,
    mac: `02:00:00:00:00:0${n}`,
    pos: POS,
  };
}

function node(name: string, interfaces: InterfaceSpec[], listen: ListenSpec[] = []): Topology['nodes'][number] {
  return { ...emptyNodeSpec(name, name.split('/')[0], POS), interfaces, listen };
}

const link = (a: string, b: string) => {
  const [an, ai] = a.split(':');
  const [bn, bi] = b.split(':');
  return { a: { node: an, iface: ai }, b: { node: bn, iface: bi }, latency: 50, bandwidth: 0, loss: 0, mtu: 1500, pos: POS };
};

export const FAKE_TOPOLOGY: Topology = {
  name: 'fake-lab',
  description: '',
  file: 'fake.yaml',
  nodes: [
    node('client', [iface('eth0', 'veth', '198.51.100.10/24', null, 1)]),
    node('docker-host', [
      iface('eth0', 'veth', '198.51.100.1/24', null, 2),
      iface('docker0', 'bridge', '172.17.0.1/16', null, 3),
      iface('veth-web', 'veth', null, 'docker0', 4),
    ]),
    node(
      'docker-host/web',
      [iface('eth0', 'veth', '172.17.0.2/16', null, 5)],
      [{ proto: 'tcp', port: 80, uid: 0, addr: 0, app: 'echo', source: null, pos: POS }],
    ),
  ],
  links: [link('client:eth0', 'docker-host:eth0'), link('docker-host/web:eth0', 'docker-host:veth-web')],
};

/** What the fake lab's nodes look like to the UI (Session.nodes()). */
export const FAKE_NODES = summariesOf(FAKE_TOPOLOGY);

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

export class FakeSession extends SharedFakeSession {
  /** Packets counted by the DOCKER DNAT rule. */
  dnatPackets = 0;
  steps: TraceStep[] = DNAT_STEPS;
  outcome: PacketTrace['outcome'] = 'dropped';
  private nextId = 1;

  constructor() {
    super(FAKE_TOPOLOGY);
    this.answer = (line) => this.script(line);
    // The engine's bookkeeping as a packet ends: its trace's outcome, and the DNAT rule's counter.
    this.subscribe((e) => {
      if (e.kind !== 'packet.end' || e.packet === undefined) return;
      this.traces.get(e.packet)!.outcome = e.outcome!;
      this.dnatPackets++;
    });
    // reset forgets the counters as the engine's fresh lab would.
    this.subscribe((e) => {
      if (e.kind === 'sim.state' && e.data.state === 'loaded') this.dnatPackets = 0;
    });
  }

  /** Every node command run, as `NODE: CMD` with the node's full name (the inspector's listings among them). */
  get execLog(): string[] {
    return this.received.map((l) => {
      const [n, ...rest] = l.split(' ');
      return `${this.resolveNode(n) ?? n}: ${rest.join(' ')}`;
    });
  }

  override exec(node: string, cmd: string): CommandResult {
    const name = this.resolveNode(node);
    if (!name) return { ok: false, output: `no node "${node}"` };
    return super.exec(name, cmd);
  }

  private script(line: string): CommandResult {
    const c = parseCommand(line, (n) => this.resolveNode(n));
    if ('error' in c) return { ok: false, output: c.error };
    switch (c.kind) {
      case 'probe':
        this.probe(c.node, line);
        if (this.state === 'loaded' || this.state === 'finished') this.run();
        return { ok: true, output: `${c.probe} from ${c.node} to ${c.to} started` };
      case 'exec':
        return this.nodeCommand(c.node, c.cmd);
      case 'scenario':
        return { ok: false, output: `${c.file}: no such file` };
      case 'capture-start':
      case 'capture-stop':
        return { ok: false, output: 'the fake session does not capture' };
      default:
        return { ok: false, output: `${line}: not scripted` };
    }
  }

  /** Queues one probe's packet: new, each step, end, then the probe's result. */
  private probe(node: string, line: string): void {
    const id = this.nextId++;
    const tr: PacketTrace = { id, packet: PKT, steps: [], outcome: 'in-flight' };
    this.traces.set(id, tr);
    let t = this.t;
    this.enqueue({ t_us: ++t, kind: 'packet.new', packet: id, node, data: PKT });
    for (const s of this.steps)
      this.enqueue({
        t_us: ++t,
        kind: 'hook' in s ? 'packet.verdict' : 'link' in s ? 'packet.hop' : 'packet.step',
        packet: id,
        node: s.node,
        step: s,
      });
    // Steps join the trace as they run, like the engine's.
    const steps = this.steps;
    let i = 0;
    const sub = this.subscribe((e) => {
      if (e.kind !== 'probe.result' && 'packet' in e && e.packet === id && 'step' in e && e.step) tr.steps.push(steps[i++]);
      if (e.kind === 'packet.end' && e.packet === id) sub();
    });
    this.enqueue(
      { t_us: ++t, kind: 'packet.end', packet: id, node: 'docker-host', outcome: this.outcome },
      {
        t_us: t + 1,
        kind: 'probe.result',
        data: { command: line, result: this.outcome === 'delivered' ? 'connected' : 'timeout', server: null, server_sees: null, trace: id },
      },
    );
  }

  /** What the lab's listings print; the DNAT counters follow the packets that ended. */
  private nodeCommand(name: string, cmd: string): CommandResult {
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
}
