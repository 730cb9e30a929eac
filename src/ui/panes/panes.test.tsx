import { render } from 'ink-testing-library';
import { describe, expect, test } from 'vitest';
import type { SessionEvent } from '../../session/session.js';
import type { PacketTrace } from '../../trace/steps.js';
import { nodeReport } from '../node-report.js';
import { DNAT_STEPS, FAKE_NODES, FakeSession } from '../testing/fake-session.js';
import { topologyView } from '../topology-lines.js';
import { CommandLine } from './command-line.js';
import { Frame, follow } from './frame.js';
import { HelpPane } from './help-pane.js';
import { NodePane } from './node-pane.js';
import { OutputPane } from './output-pane.js';
import { PacketPane } from './packet-pane.js';
import { StatusBar } from './status-bar.js';
import { TimelinePane } from './timeline-pane.js';
import { TopologyPane } from './topology-pane.js';

const draw = (el: React.ReactElement) => render(el).lastFrame() ?? '';
const rows = (s: string) => s.split('\n');

describe('Frame', () => {
  test('draws exactly its height and width, clipping long lines', () => {
    const out = draw(
      <Frame
        title="T"
        focused={false}
        width={20}
        height={5}
        lines={[{ text: 'x'.repeat(50) }, { text: 'b' }, { text: 'c' }, { text: 'd' }]}
        offset={1}
      />,
    );
    expect(rows(out)).toHaveLength(5);
    for (const r of rows(out)) expect(r.length).toBe(20);
    expect(out).toContain('b');
    expect(out).toContain('c');
    expect(out).not.toContain('d');
    expect(out).not.toContain('x');
  });

  test('marks focus in the text, not only by colour', () => {
    expect(draw(<Frame title="Pane" focused width={20} height={4} lines={[]} offset={0} />)).toContain('» Pane');
    expect(draw(<Frame title="Pane" focused={false} width={20} height={4} lines={[]} offset={0} />)).not.toContain('»');
  });

  test('follow keeps the cursor in view, moving as little as possible', () => {
    expect(follow(3, 0, 5)).toBe(0);
    expect(follow(7, 0, 5)).toBe(3);
    expect(follow(1, 4, 5)).toBe(1);
  });
});

describe('TopologyPane', () => {
  const view = topologyView(FAKE_NODES, new Map([['docker-host/web', new FakeSession().topology.nodes[2].listen]]));

  test('shows hosts, namespaces, interfaces with addresses, links and listeners', () => {
    const out = draw(<TopologyPane view={view} selected="client" focused width={70} height={16} />);
    expect(out).toContain('client');
    expect(out).toContain('eth0 198.51.100.10/24 -- docker-host:eth0');
    expect(out).toContain('docker0 bridge 172.17.0.1/16');
    expect(out).toContain('veth-web @docker0 -- docker-host/web:eth0');
    expect(out).toContain('web (netns of docker-host)');
    expect(out).toContain('listen tcp:80 echo');
    expect(out).not.toContain(' lo ');
    expect(out).toContain('node 1/3');
  });

  test('scrolls to a selected node below the fold', () => {
    const out = draw(<TopologyPane view={view} selected="docker-host/web" focused width={70} height={6} />);
    expect(out).toContain('web (netns of docker-host)');
    expect(out).not.toContain('198.51.100.10/24');
    expect(out).toContain('node 3/3');
  });
});

describe('TimelinePane', () => {
  const events: SessionEvent[] = [
    { t_us: 0, kind: 'sim.state', data: { state: 'running' } },
    {
      t_us: 1500,
      kind: 'packet.new',
      packet: 1,
      node: 'client',
      data: { proto: 'icmp', src: '198.51.100.10', dst: '172.17.0.2', icmp: { type: 8, code: 0, id: 1 }, ttl: 64, len: 84, mark: '0x0' },
    },
    { t_us: 1_200_100, kind: 'packet.end', packet: 1, node: 'docker-host', outcome: 'dropped' },
    {
      t_us: 1_300_000,
      kind: 'probe.result',
      data: { command: 'client ping 172.17.0.2', result: 'timeout', server: null, server_sees: null, trace: 1 },
    },
  ];

  test('lists events on virtual time with marks', () => {
    const out = draw(
      <TimelinePane count={events.length} at={(i) => events[i]} cursor={null} detail={false} focused={false} width={80} height={8} />,
    );
    expect(out).toContain('0.001500s');
    expect(out).toContain('#1 client: new icmp 198.51.100.10 > 172.17.0.2 [icmp 8/0]');
    expect(out).toMatch(/1\.200100s x #1 docker-host: dropped/);
    expect(out).toContain('x client ping 172.17.0.2: timeout');
    expect(out).toContain('following');
  });

  test('follows the newest event when it does not fit, shows the cursor position otherwise', () => {
    const out = draw(
      <TimelinePane count={events.length} at={(i) => events[i]} cursor={null} detail={false} focused={false} width={80} height={5} />,
    );
    expect(out).not.toContain('session running');
    expect(out).toContain('ping 172.17.0.2: timeout');
    const sel = draw(<TimelinePane count={events.length} at={(i) => events[i]} cursor={0} detail={false} focused width={80} height={5} />);
    expect(sel).toContain('session running');
    expect(sel).toContain('1/4');
  });
});

describe('PacketPane', () => {
  const trace: PacketTrace = {
    id: 7,
    packet: { proto: 'tcp', src: '198.51.100.10:40000', dst: '198.51.100.1:8080', flags: 'SYN', ttl: 64, len: 60, mark: '0x0' },
    steps: DNAT_STEPS,
    outcome: 'dropped',
  };

  test('shows every step grouped by node: rules, NAT before/after, route, link, conntrack, policy', () => {
    const out = draw(<PacketPane trace={trace} id={7} offset={0} focused width={130} height={20} />);
    expect(out).toContain('Packet #7');
    expect(out).toContain('x outcome: dropped');
    expect(out).toContain('[client]');
    expect(out).toContain('> route 198.51.100.1 dev eth0 via 198.51.100.1 (table main)');
    expect(out).toContain('= link client:eth0 → docker-host:eth0');
    expect(out).toContain('[docker-host]');
    expect(out).toContain('nat/PREROUTING (PREROUTING) rule 1: JUMP:DOCKER');
    expect(out).toContain('-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER');
    expect(out).toContain('* nat/DOCKER (PREROUTING) rule 2: ACCEPT (DNAT)');
    expect(out).toContain('* DNAT at PREROUTING');
    expect(out).toContain('before 198.51.100.1:8080');
    expect(out).toContain('after  172.17.0.2:80');
    expect(out).toContain('~ conntrack: NEW (original) 198.51.100.10:40000 > 198.51.100.1:8080');
    // The filter table saw the packet after DNAT, and says so once.
    expect(out).toContain('packet now tcp 198.51.100.10:40000 > 172.17.0.2:80 [SYN]');
    expect(out).toContain('x filter/FORWARD (FORWARD): policy DROP');
  });

  test('says what to do when nothing is selected, and when a trace aged out', () => {
    expect(draw(<PacketPane trace={null} id={null} offset={0} focused={false} width={100} height={6} />)).toContain('No packet selected');
    expect(draw(<PacketPane trace={null} id={9} offset={0} focused={false} width={100} height={6} />)).toContain(
      'packet #9 is no longer recorded',
    );
  });
});

describe('NodePane', () => {
  test('shows rules with counters, routes, policy rules, conntrack and sockets', () => {
    const s = new FakeSession();
    s.dnatPackets = 3;
    const report = nodeReport('docker-host', (c) => s.exec('docker-host', c), []);
    const out = draw(<NodePane report={report} offset={0} focused width={120} height={40} />);
    expect(out).toContain('Node docker-host');
    expect(out).toContain('── iptables -t nat -L -n -v');
    expect(out).toMatch(/ {4}3 {3}180 DNAT/);
    expect(out).toContain('── ip route show');
    expect(out).toContain('── ip rule show');
    expect(out).toContain('32766:');
    expect(out).toContain('── conntrack -L');
    expect(out).toContain('SYN_SENT src=198.51.100.10');
    expect(out).toContain('── sockets');
  });

  test('lists listening sockets of the node', () => {
    const s = new FakeSession();
    const report = nodeReport('docker-host/web', (c) => s.exec('docker-host/web', c), s.topology.nodes[2].listen);
    const out = draw(<NodePane report={report} offset={report.sections.at(-1)!.start} focused width={80} height={8} />);
    expect(out).toContain('LISTEN tcp:80 echo');
    expect(out).toContain('sockets');
  });

  test('hint when no node is selected', () => {
    expect(draw(<NodePane report={null} offset={0} focused={false} width={90} height={5} />)).toContain('No node selected');
  });
});

describe('other panes', () => {
  test('OutputPane shows a command and its output, and says when it failed', () => {
    const out = draw(
      <OutputPane command="web iptables -L" lines={['Chain INPUT', 'line2']} ok={false} offset={1} focused width={60} height={6} />,
    );
    expect(out).toContain('Output: web iptables -L');
    expect(out).toContain('failed');
    expect(out).toContain('line2');
    expect(out).not.toContain('Chain INPUT');
  });

  test('HelpPane lists keys and the command language', () => {
    const out = draw(<HelpPane offset={0} focused width={90} height={40} />);
    expect(out).toContain('quit (also :q, quit, exit, Ctrl-C)');
    expect(out).toContain('NODE connect IP:PORT');
    expect(out).toContain('load scenario FILE');
  });

  test('StatusBar shows state in words, time and progress, and the spinner moves', () => {
    const a = draw(<StatusBar lab="lab" state="running" t_us={2_000_001} events={1234} packets={5} tick={0} width={100} />);
    const b = draw(<StatusBar lab="lab" state="running" t_us={2_000_001} events={1234} packets={5} tick={1} width={100} />);
    expect(a).toContain('[RUNNING |]');
    expect(b).toContain('[RUNNING /]');
    expect(a).toContain('t=2.000001s');
    expect(a).toContain('events 1234');
    expect(draw(<StatusBar lab="lab" state="paused" t_us={0} events={0} packets={0} tick={3} width={60} />)).toContain('[PAUSED]');
  });

  test('CommandLine shows the prompt, the newest messages and keeps its row count', () => {
    const out = draw(
      <CommandLine active value="client pi" messages={[{ text: 'one' }, { text: 'two' }, { text: 'three' }]} rows={2} width={40} />,
    );
    expect(rows(out)).toHaveLength(3);
    expect(out).not.toContain('one');
    expect(out).toContain('three');
    expect(out).toContain(':client pi_');
    const idle = draw(<CommandLine active={false} value="" messages={[]} rows={2} width={40} />);
    expect(rows(idle)).toHaveLength(3);
    expect(idle).toContain('press :');
  });
});
