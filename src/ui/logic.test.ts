import { describe, expect, it, test } from 'vitest';
import { complete, nodeWords } from './completion.js';
import { Driver } from './driver.js';
import { History } from './history.js';
import { nodeReport } from './node-report.js';
import { computeLayout } from './layout.js';
import { allText, clip, verdictTone } from './style.js';
import { FakeSession } from './testing/fake-session.js';
import { eventLine, eventTrace, formatMicros, Timeline } from './timeline.js';

const NODES = ['client', 'docker-host', 'docker-host/web', 'docker-host/db'];

describe('completion', () => {
  test('first word: session verbs and node names, short names when unique', () => {
    expect(nodeWords(NODES)).toEqual([...NODES, 'web', 'db']);
    expect(nodeWords(['a/web', 'b/web'])).toEqual(['a/web', 'b/web']);
    expect(complete('cl', NODES)).toEqual({ line: 'client ', choices: [] });
    expect(complete('we', NODES).line).toBe('web ');
    expect(complete('r', NODES).choices).toEqual(['run', 'reset']);
    expect(complete('r', NODES).line).toBe('r');
  });

  test('node verbs, then known arguments', () => {
    expect(complete('client p', NODES).line).toBe('client ping ');
    expect(complete('client c', NODES).choices).toEqual(['connect', 'conntrack']);
    expect(complete('client send u', NODES).line).toBe('client send udp ');
    expect(complete('docker-host iptables -t m', NODES).line).toBe('docker-host iptables -t mangle ');
    expect(complete('load s', NODES).line).toBe('load scenario ');
    expect(complete('run x', NODES)).toEqual({ line: 'run x', choices: [] });
  });
});

describe('history', () => {
  test('walks back and forth, keeps the draft, stores repeats once', () => {
    const h = new History();
    h.add('a');
    h.add('b');
    h.add('b');
    h.add('  ');
    expect(h.entries).toEqual(['a', 'b']);
    expect(h.up('draft')).toBe('b');
    expect(h.up('b')).toBe('a');
    expect(h.up('a')).toBeNull();
    expect(h.down()).toBe('b');
    expect(h.down()).toBe('draft');
    expect(h.down()).toBeNull();
  });

  test('is bounded', () => {
    const h = new History(3);
    for (const x of ['1', '2', '3', '4']) h.add(x);
    expect(h.entries).toEqual(['2', '3', '4']);
  });
});

describe('layout', () => {
  const total = (l: ReturnType<typeof computeLayout>) =>
    l.columns[0].panes.reduce((s, p) => s + p.height, 0) + (l.bottom?.height ?? 0) + 2 + l.messageRows;

  test('compact at 80x24: uses every row, one inspector slot', () => {
    const l = computeLayout(80, 24, 'packet');
    expect(l.wide).toBe(false);
    expect(total(l)).toBe(24);
    expect(l.columns.reduce((s, c) => s + c.width, 0)).toBe(80);
    expect(l.bottom).toMatchObject({ kind: 'packet', width: 80 });
    expect(l.order).toEqual(['topology', 'timeline', 'packet']);
  });

  test('wide from 120x32: both inspectors, the shared slot never duplicates the node pane', () => {
    const l = computeLayout(200, 60, 'node');
    expect(l.wide).toBe(true);
    expect(total(l)).toBe(60);
    expect(l.order).toEqual(['topology', 'timeline', 'node', 'packet']);
    expect(computeLayout(200, 60, 'output').order).toEqual(['topology', 'timeline', 'node', 'output']);
  });

  test('a tiny terminal still gets a usable minimum', () => {
    const l = computeLayout(10, 5, 'node');
    expect(l.columns.every((c) => c.width > 0)).toBe(true);
    expect(l.bottom!.height).toBeGreaterThanOrEqual(3);
  });
});

describe('timeline', () => {
  test('keeps the newest events within its capacity', () => {
    const t = new Timeline(3);
    for (let i = 0; i < 5; i++)
      t.push({
        t_us: i,
        kind: 'packet.new',
        packet: i,
        node: 'a',
        data: { proto: 'tcp', src: 'a', dst: 'b', ttl: 1, len: 1, mark: '0x0' },
      });
    expect(t.length).toBe(3);
    expect([0, 1, 2].map((i) => t.at(i).t_us)).toEqual([2, 3, 4]);
    expect(t.evicted).toBe(2);
    t.clear();
    expect(t.length).toBe(0);
    expect(t.evicted).toBe(0);
  });

  test('leaves packet steps to the inspector unless asked, but keeps conntrack changes', () => {
    const t = new Timeline();
    const step = {
      node: 'n',
      hook: 'INPUT',
      table: 'filter',
      chain: 'INPUT',
      rule: null,
      verdict: 'ACCEPT',
      policy: true,
      packet: { proto: 'tcp', src: 'a', dst: 'b', ttl: 1, len: 1, mark: '0x0' },
    };
    t.push({ t_us: 1, kind: 'packet.verdict', packet: 1, node: 'n', step });
    t.push({
      t_us: 2,
      kind: 'packet.step',
      packet: 1,
      node: 'n',
      step: { node: 'n', conntrack: { hook: 'PREROUTING', state: 'NEW', dir: 'original', orig: 'o', reply: 'r' } },
    });
    t.push({
      t_us: 2,
      kind: 'conntrack.new',
      node: 'n',
      data: {
        proto: 'udp',
        state: '',
        mark: '0x0',
        timeout: 30,
        orig: { src: '10.0.0.1', dst: '10.0.0.2', sport: 5, dport: 53 },
        reply: { src: '10.0.0.2', dst: '10.0.0.1', sport: 53, dport: 5 },
        flags: ['UNREPLIED'],
      },
    });
    expect(t.length).toBe(1);
    expect(eventLine(t.at(0)).text).toContain('n: conntrack.new udp 10.0.0.1:5 > 10.0.0.2:53 / reply 10.0.0.2:53 > 10.0.0.1:5 [UNREPLIED]');
    t.detail = true;
    t.push({ t_us: 3, kind: 'packet.verdict', packet: 1, node: 'n', step });
    expect(t.length).toBe(2);
    expect(t.version).toBe(4);
  });

  test('events lead to their packet', () => {
    expect(eventTrace({ t_us: 0, kind: 'packet.end', packet: 4, node: 'n', outcome: 'delivered' })).toBe(4);
    expect(
      eventTrace({ t_us: 0, kind: 'probe.result', data: { command: 'x', result: 'reply', server: null, server_sees: null, trace: 9 } }),
    ).toBe(9);
    expect(eventTrace({ t_us: 0, kind: 'sim.state', data: { state: 'paused' } })).toBeNull();
  });

  test('virtual time in seconds with microseconds', () => {
    expect(formatMicros(0)).toBe('0.000000s');
    expect(formatMicros(1_234_567)).toBe('1.234567s');
  });
});

describe('style', () => {
  test('verdicts and results have tones', () => {
    expect(verdictTone('ACCEPT')).toBe('accept');
    expect(verdictTone('refused')).toBe('drop');
    expect(verdictTone('JUMP:X')).toBe('info');
  });
  test('clip', () => {
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('abc', 4)).toBe('abc');
    expect(clip('abc', 0)).toBe('');
  });
});

describe('driver', () => {
  test('runs the session in slices, yielding between them, until it is quiet', () => {
    const s = new FakeSession();
    const queue: Array<() => void> = [];
    let slices = 0;
    const d = new Driver(s, () => slices++, { schedule: (f) => queue.push(f) });
    s.command('client ping 172.17.0.2');
    s.command('client ping 172.17.0.2');
    d.kick();
    d.kick();
    expect(queue.length).toBe(1);
    // A slice of 200 events is more than the 20 queued: one slice finishes the run.
    queue.shift()!();
    expect(d.events).toBe(20);
    expect(slices).toBe(1);
    expect(s.state).toBe('finished');
    expect(queue.length).toBe(0);
  });

  test('a long run takes many slices, each one bounded', () => {
    const s = new FakeSession();
    for (let i = 0; i < 100; i++) s.command('client ping 172.17.0.2');
    const queue: Array<() => void> = [];
    // A clock that says every slice is slow, so the slice shrinks to its floor.
    let now = 0;
    const d = new Driver(s, () => {}, { schedule: (f) => queue.push(f), clock: () => (now += 100) });
    d.kick();
    let n = 0;
    while (queue.length) {
      queue.shift()!();
      n++;
    }
    expect(d.events).toBe(1000);
    expect(n).toBeGreaterThan(5);
  });

  test('does nothing unless running, and nothing after stop', () => {
    const s = new FakeSession();
    const queue: Array<() => void> = [];
    const d = new Driver(s, () => {}, { schedule: (f) => queue.push(f) });
    d.kick();
    expect(queue.length).toBe(0);
    s.run();
    d.kick();
    d.stop();
    queue.shift()!();
    expect(d.events).toBe(0);
  });
});

describe('node report', () => {
  test('lists optional tables only when they hold rules, and survives a failing or throwing command', () => {
    const r = nodeReport(
      'n',
      (cmd) => {
        if (cmd === 'iptables-save -t mangle')
          return { ok: true, output: '*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j MARK --set-xmark 0x1/0xffffffff\nCOMMIT' };
        if (cmd === 'iptables-save -t raw') throw new Error('boom');
        if (cmd === 'conntrack -L') throw new Error('conntrack exploded');
        if (cmd === 'ip rule show') return { ok: false, output: 'not here' };
        return { ok: true, output: `out of ${cmd}` };
      },
      [],
    );
    const titles = r.sections.map((s) => s.title);
    expect(titles).toEqual([
      'iptables -t filter -L -n -v',
      'iptables -t nat -L -n -v',
      'iptables -t mangle -L -n -v',
      'ip route show',
      'ip rule show',
      'conntrack -L',
      'sockets',
    ]);
    const text = allText(r.lines).join('\n');
    expect(text).toContain('out of iptables -t mangle -L -n -v');
    expect(text).toContain('(ip rule show: not here)');
    expect(text).toContain('(conntrack -L: conntrack exploded)');
    expect(text).toContain('(none listening)');
    expect(r.lines.at(r.sections[3].start)?.text).toBe('── ip route show');
  });
});

describe('the node report with the session socket list', () => {
  it('lists listeners and connections when the session provides them, the topology listeners otherwise', () => {
    const exec = () => ({ ok: true, output: '' });
    const withSockets = nodeReport(
      'web',
      exec,
      [],
      [
        { proto: 'tcp', state: 'LISTEN', local: '0.0.0.0:80', peer: '*', uid: 0, app: 'echo' },
        { proto: 'tcp', state: 'TIME_WAIT', local: '172.17.0.2:80', peer: '198.51.100.10:40000', uid: 0, app: 'echo' },
      ],
    );
    const text = allText(withSockets.lines).join('\n');
    expect(text).toMatch(/tcp +LISTEN +0\.0\.0\.0:80 +\* +uid=0 echo/);
    expect(text).toMatch(/TIME_WAIT +172\.17\.0\.2:80 +198\.51\.100\.10:40000/);
    const without = allText(nodeReport('web', exec, []).lines).join('\n');
    expect(without).toContain('(none listening)');
  });
});
