import { describe, expect, it } from 'vitest';
import { parseConntrack } from './conntrack-parse.js';
import { handlePositions, orderNodeTraces, parseNftTrace, verdictName, type RawTraceEvent } from './trace-parse.js';

describe('parseNftTrace', () => {
  it('reads rule, policy and packet events', () => {
    expect(
      parseNftTrace(
        'trace id 08f03482 ip nat PREROUTING rule fib daddr type local counter packets 0 bytes 0 jump DOCKER # handle 6 (verdict jump DOCKER)',
      ),
    ).toEqual({
      id: '08f03482',
      table: 'nat',
      chain: 'PREROUTING',
      kind: 'rule',
      verdict: 'JUMP:DOCKER',
      handle: 6,
      ruleText: 'fib daddr type local counter packets 0 bytes 0 jump DOCKER',
    });
    expect(
      parseNftTrace(
        'trace id 1 ip nat DOCKER rule iifname != "docker0" tcp dport 8080 counter packets 0 bytes 0 dnat to 172.17.0.2:80 # handle 8 (verdict accept)',
      ),
    ).toMatchObject({ verdict: 'ACCEPT', target: 'DNAT', handle: 8 });
    expect(
      parseNftTrace('trace id 1 ip filter INPUT rule meta l4proto tcp  counter packets 0 bytes 0 log # handle 4 (verdict continue)'),
    ).toMatchObject({ verdict: 'CONTINUE', target: 'LOG' });
    expect(parseNftTrace('trace id 1 ip filter INPUT policy drop ')).toMatchObject({ kind: 'policy', verdict: 'DROP' });
    expect(parseNftTrace('trace id 1 ip raw PREROUTING packet: iif "eth0" ip saddr 1.2.3.4')).toMatchObject({
      kind: 'packet',
      packet: 'iif "eth0" ip saddr 1.2.3.4',
    });
    expect(parseNftTrace('something else')).toBeNull();
    expect(verdictName('goto KUBE-SVC-X')).toBe('GOTO:KUBE-SVC-X');
  });
});

describe('orderNodeTraces', () => {
  const ev = (node: string, at: number, line: string): RawTraceEvent => ({ ...parseNftTrace(line)!, node, at: BigInt(at) });
  const topo = {
    links: [
      { a: { node: 'client', iface: 'eth0' }, b: { node: 'router', iface: 'eth0' } },
      { a: { node: 'router', iface: 'eth1' }, b: { node: 'server', iface: 'eth0' } },
    ],
  } as never;

  it('puts namespaces in path order even when their events arrived out of order, and gives user chains their hook', () => {
    const events = [
      ev('server', 1, 'trace id a ip filter INPUT policy accept '),
      ev('router', 2, 'trace id b ip nat PREROUTING packet: iif "eth0"'),
      ev('router', 2, 'trace id b ip nat PREROUTING rule jump X # handle 3 (verdict jump X)'),
      ev('router', 2, 'trace id b ip nat X rule dnat to 1.1.1.1 # handle 4 (verdict accept)'),
      ev('client', 3, 'trace id c ip filter OUTPUT policy accept '),
    ];
    const out = orderNodeTraces(events, 'client', topo);
    expect(out.map((e) => [e.node, e.hook, e.chain])).toEqual([
      ['client', 'OUTPUT', 'OUTPUT'],
      ['router', 'PREROUTING', 'PREROUTING'],
      ['router', 'PREROUTING', 'X'],
      ['server', 'INPUT', 'INPUT'],
    ]);
  });
});

describe('parseConntrack', () => {
  it('reads tcp, udp and icmp entries with both tuples, flags and mark', () => {
    const text = [
      'tcp      6 115 TIME_WAIT src=198.51.100.10 dst=198.51.100.1 sport=44574 dport=8080 src=172.17.0.2 dst=198.51.100.10 sport=80 dport=44574 [ASSURED] mark=0 use=1',
      'udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=5000 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=5000 mark=16 use=1',
      'icmp     1 28 src=198.51.100.10 dst=198.51.100.1 type=8 code=0 id=8458 src=198.51.100.1 dst=198.51.100.10 type=0 code=0 id=8458 mark=0 use=1',
      'conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.',
    ].join('\n');
    const [t, u, i] = parseConntrack(text);
    expect(parseConntrack(text)).toHaveLength(3);
    expect(t).toEqual({
      proto: 'tcp',
      state: 'TIME_WAIT',
      mark: '0x0',
      timeout: 115,
      flags: ['ASSURED'],
      orig: { src: '198.51.100.10', dst: '198.51.100.1', sport: 44574, dport: 8080 },
      reply: { src: '172.17.0.2', dst: '198.51.100.10', sport: 80, dport: 44574 },
    });
    expect(u.state).toBeUndefined();
    expect(u).toMatchObject({ proto: 'udp', mark: '0x10', flags: ['UNREPLIED'], reply: { sport: 53 } });
    expect(i).toMatchObject({ proto: 'icmp', orig: { type: 8, code: 0, id: 8458 }, reply: { type: 0 } });
  });
});

describe('nft rule handles', () => {
  it('map to iptables rule positions, skipping the chain and table lines', () => {
    const listing =
      'table ip nat {\n\tchain DOCKER { # handle 7\n\t\tmeta l4proto tcp counter packets 0 bytes 0 return # handle 12\n\t\tcounter packets 0 bytes 0 dnat to 172.17.0.2:80 # handle 15\n\t}\n}\n';
    expect([...handlePositions(listing)]).toEqual([
      [12, 1],
      [15, 2],
    ]);
  });
});
