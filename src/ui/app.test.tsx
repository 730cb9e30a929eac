import { afterEach, describe, expect, test } from 'vitest';
import { App } from './app.js';
import type { UiModel } from './model.js';
import { FakeSession } from './testing/fake-session.js';
import { renderAt } from './testing/render-at.js';

const tick = () => new Promise((r) => setTimeout(r, 20));
const ESC = '\x1b';
const TAB = '\t';
const UP = '\x1b[A';
const DOWN = '\x1b[B';

let apps: Array<{ unmount: () => void }> = [];
afterEach(() => {
  for (const a of apps) a.unmount();
  apps = [];
});

/** Slices the test runs by hand, to see the UI between them. */
function manualSlices() {
  const queue: Array<() => void> = [];
  return { schedule: (f: () => void) => queue.push(f), flush: () => queue.splice(0).forEach((f) => f()), queue };
}

async function start(cols = 80, rows = 24, session = new FakeSession(), slices?: ReturnType<typeof manualSlices>) {
  let model!: UiModel;
  let exitCode: number | null = null;
  const app = renderAt(
    <App
      session={session}
      size={{ cols, rows }}
      onModel={(m) => (model = m)}
      onExit={(c) => (exitCode = c)}
      driver={slices ? { schedule: slices.schedule } : undefined}
    />,
    cols,
  );
  apps.push(app);
  await tick();
  const type = async (s: string) => {
    for (const ch of s) {
      app.stdin.write(ch);
      await tick();
    }
  };
  const key = async (s: string) => {
    app.stdin.write(s);
    await tick();
    // A lone Esc is held back briefly in case an escape sequence follows.
    if (s === ESC) await new Promise((r) => setTimeout(r, 100));
  };
  const command = async (line: string) => {
    await type(':');
    await type(line);
    await key('\r');
    await tick();
  };
  const frame = () => app.lastFrame() ?? '';
  return { app, session, model: () => model, type, key, command, frame, exitCode: () => exitCode };
}

describe('layout', () => {
  test('fits 80x24: every row at most 80 columns, and exactly 24 rows', async () => {
    const { frame } = await start(80, 24);
    const lines = frame().split('\n');
    expect(lines.length).toBe(24);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(frame()).toContain('Topology');
    expect(frame()).toContain('Timeline');
    expect(frame()).toContain('Node client');
  });

  test('a large terminal shows both inspectors side by side', async () => {
    const { frame } = await start(160, 48);
    const lines = frame().split('\n');
    expect(lines.length).toBe(48);
    expect(frame()).toContain('Node client');
    expect(frame()).toMatch(/Packet/);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(160);
    expect(lines.filter((l) => l.startsWith('└')).every((l) => l.length === 160)).toBe(true);
  });

  test('redraws for a new size', async () => {
    const s = new FakeSession();
    const { app, frame } = await start(80, 24, s);
    Object.defineProperty(app.stdout, 'columns', { get: () => 100 });
    app.rerender(<App session={s} size={{ cols: 100, rows: 30 }} />);
    await tick();
    expect(frame().split('\n').length).toBe(30);
    expect(
      Math.max(
        ...frame()
          .split('\n')
          .map((l) => l.length),
      ),
    ).toBe(100);
  });
});

describe('commands', () => {
  test('connect runs in slices and its packet appears in the timeline, then in the inspector', async () => {
    const slices = manualSlices();
    const { command, frame, model, key } = await start(140, 30, new FakeSession(), slices);
    await command('client connect 198.51.100.1:8080');
    expect(frame()).toContain('[RUNNING');
    expect(slices.queue.length).toBe(1);
    slices.flush();
    await tick();
    expect(frame()).toContain('client connect 198.51.100.1:8080: timeout');
    expect(frame()).toContain('#1 client: new tcp 198.51.100.10:40000 > 198.51.100.1:8080 [SYN]');
    expect(model().driver.events).toBe(10);
    // Tab to the timeline, up to the packet's end event, open it.
    await key(TAB);
    expect(model().focus).toBe('timeline');
    await key(UP);
    await key(UP);
    await key('\r');
    expect(model().packetId).toBe(1);
    expect(frame()).toContain('Packet #1');
    expect(frame()).toContain('DNAT at PREROUTING');
  });

  test('ping and send are parsed and started', async () => {
    const { command, frame } = await start();
    await command('client ping 172.17.0.2');
    expect(frame()).toContain('client ping 172.17.0.2: timeout');
    await command('client send udp 10.96.0.10:53');
    expect(frame()).toContain('client send udp 10.96.0.10:53: timeout');
  });

  test('iptables -L output goes to the output pane, counters included', async () => {
    const s = new FakeSession();
    const { command, frame } = await start(100, 30, s);
    await command('client connect 198.51.100.1:8080');
    await command('docker-host iptables -t nat -L -n -v');
    expect(s.execLog).toContain('docker-host: iptables -t nat -L -n -v');
    expect(frame()).toContain('Output: docker-host iptables -t nat -L -n -v');
    expect(frame()).toMatch(/ {4}1 {3}60 DNAT/);
  });

  test('iptables -I is executed on the node and the node inspector rebuilt', async () => {
    const s = new FakeSession();
    const { command } = await start(80, 24, s);
    const before = s.execLog.length;
    await command('docker-host iptables -t nat -I DOCKER 1 -p tcp --dport 9 -j RETURN');
    expect(s.execLog.slice(before)[0]).toBe('docker-host: iptables -t nat -I DOCKER 1 -p tcp --dport 9 -j RETURN');
    // Redrawing the node pane asked the node for its rules again.
    expect(s.execLog.slice(before).some((l) => l.startsWith('client: iptables -t filter -L'))).toBe(true);
  });

  test('conntrack -L by short node name', async () => {
    const s = new FakeSession();
    const { command, frame } = await start(80, 24, s);
    await command('web conntrack -L');
    expect(s.execLog).toContain('docker-host/web: conntrack -L');
    expect(frame()).toContain('> web conntrack -L');
  });

  test('run, pause, step and reset drive the session', async () => {
    const s = new FakeSession();
    const slices = manualSlices();
    const { command, frame, model } = await start(80, 24, s, slices);
    await command('client ping 172.17.0.2');
    await command('pause');
    slices.flush();
    await command('step');
    expect(frame()).toContain('ran 1 event;');
    await command('run');
    slices.flush();
    await tick();
    expect(s.state).toBe('finished');
    expect(frame()).toContain('[FINISHED]');
    await command('reset');
    expect(s.state).toBe('loaded');
    expect(model().timeline.length).toBe(1);
    expect(frame()).toContain('[LOADED]');
  });

  test('load scenario and help', async () => {
    const { command, frame } = await start(100, 30);
    await command('load scenario nope.yaml');
    expect(frame()).toContain('error: nope.yaml: no such file');
    await command('help');
    expect(frame()).toContain('NODE ping IP');
  });

  test('errors are shown inline and the UI keeps working', async () => {
    const s = new FakeSession();
    s.command = () => {
      throw new Error('engine exploded');
    };
    const { command, frame, model } = await start(80, 24, s);
    await command('frobnicate');
    expect(frame()).toContain('error: engine exploded');
    await command('also broken');
    expect(model().history.entries).toEqual(['frobnicate', 'also broken']);
  });

  test('unknown node or verb is an inline error', async () => {
    const { command, frame } = await start();
    await command('nosuch ping 1.2.3.4');
    expect(frame()).toContain('error: unknown command or node "nosuch"');
  });
});

describe('command line', () => {
  test(': focuses it, Esc leaves it without running anything', async () => {
    const s = new FakeSession();
    const { type, key, frame, model } = await start(80, 24, s);
    await type(':run');
    expect(frame()).toContain(':run_');
    await key(ESC);
    await tick();
    expect(model().cmdActive).toBe(false);
    expect(s.state).toBe('loaded');
  });

  test('history with Up and Down', async () => {
    const { command, type, key, model } = await start();
    await command('client ping 172.17.0.2');
    await command('nodes');
    await type(':');
    await key(UP);
    expect(model().cmdValue).toBe('nodes');
    await key(UP);
    expect(model().cmdValue).toBe('client ping 172.17.0.2');
    await key(DOWN);
    await key(DOWN);
    expect(model().cmdValue).toBe('');
  });

  test('Tab completes node names and verbs, and lists choices', async () => {
    const { type, key, model, frame } = await start();
    await type(':dock');
    await key(TAB);
    expect(model().cmdValue).toBe('docker-host');
    await key(TAB);
    expect(frame()).toContain('docker-host  docker-host/web');
    await type(' ipt');
    await key(TAB);
    expect(frame()).toContain('iptables  iptables-save  iptables-restore');
    await type(' -t n');
    await key(TAB);
    expect(model().cmdValue).toBe('docker-host iptables -t nat ');
  });

  test('backspace edits', async () => {
    const { type, key, model } = await start();
    await type(':pausx');
    await key('\x7f');
    await type('e');
    expect(model().cmdValue).toBe('pause');
  });
});

describe('keys', () => {
  test('Tab and Shift-Tab move between panes, digits jump', async () => {
    const { key, model, type } = await start();
    expect(model().focus).toBe('topology');
    await key(TAB);
    expect(model().focus).toBe('timeline');
    await key(TAB);
    expect(model().focus).toBe('node');
    await key('\x1b[Z');
    expect(model().focus).toBe('timeline');
    await type('1');
    expect(model().focus).toBe('topology');
  });

  test('Down in the topology selects the next node and the inspector follows', async () => {
    const s = new FakeSession();
    const { key, frame } = await start(80, 24, s);
    await key(DOWN);
    expect(frame()).toContain('Node docker-host');
    expect(s.execLog).toContain('docker-host: ip route show');
  });

  test('s steps one event, space runs and pauses', async () => {
    const s = new FakeSession();
    const slices = manualSlices();
    const { command, type, frame } = await start(80, 24, s, slices);
    await command('client ping 172.17.0.2');
    // The probe woke the session; pause it to step by hand.
    await type('p');
    slices.flush();
    expect(s.state).toBe('paused');
    const t0 = s.t;
    await type('s');
    expect(s.t).toBe(t0 + 1);
    expect(frame()).toContain('stepped one event');
    await type(' ');
    expect(s.state).toBe('running');
    await type(' ');
    expect(s.state).toBe('paused');
    await type(' ');
    slices.flush();
    await tick();
    expect(s.state).toBe('finished');
  });

  test('? shows help, Esc closes it', async () => {
    const { type, key, frame } = await start();
    await type('?');
    expect(frame()).toContain('Help');
    expect(frame()).toContain('Tab Shift-Tab');
    await key(ESC);
    expect(frame()).not.toContain('Tab Shift-Tab');
  });

  test('q quits with 0', async () => {
    const { type, exitCode } = await start();
    await type('q');
    expect(exitCode()).toBe(0);
  });

  test('the timeline selection stays on its event while old events are pushed out', async () => {
    const s = new FakeSession();
    const { key, model, command } = await start(80, 24, s);
    await command('client ping 172.17.0.2');
    await key(TAB);
    await key('\x1b[H');
    await key(DOWN);
    await key(DOWN);
    await key(DOWN);
    expect(model().timelineCursor).toBe(3);
    const chosen = model().timeline.at(3);
    const t = model().timeline;
    const fill = t.capacity - t.length + 2;
    for (let i = 0; i < fill; i++) t.push({ t_us: 0, kind: 'log', node: 'x', data: 'filler' });
    expect(t.evicted).toBe(2);
    expect(model().timelineCursor).toBe(1);
    expect(t.at(1)).toBe(chosen);
  });

  test('Left and Right scroll an inspector sideways, Home returns', async () => {
    const { key, model, frame } = await start(80, 24);
    await key(TAB);
    await key(TAB);
    await key('\x1b[C');
    expect(model().shifts.node).toBe(8);
    expect(frame()).toContain('│les -t filter -L -n -v');
    await key('\x1b[D');
    expect(frame()).toContain('│── iptables -t filter -L -n -v');
  });

  test('[ and ] jump between node sections', async () => {
    const { key, type, model, frame } = await start(80, 24);
    await key(TAB);
    await key(TAB);
    expect(model().focus).toBe('node');
    await type(']');
    expect(model().offsets.node).toBeGreaterThan(0);
    expect(frame()).toMatch(/iptables -t nat -L -n -v/);
    await type('[');
    expect(model().offsets.node).toBe(0);
  });
});
