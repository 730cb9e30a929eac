/**
 * The matrix pane on a grid far larger than the screen (40 sources × 60
 * destinations, from the shared stand-in session): the cursor scrolls rows
 * and columns into view, the selected cell is spelled out, Enter opens its
 * trace and Esc goes back to the grid, where the cursor was.
 */
import { afterEach, expect, test } from 'vitest';
import { App } from './app.js';
import type { UiModel } from './model.js';
import { FakeSession } from '../session/testing/fake-session.js';
import type { MatrixCell, MatrixView } from '../session/port.js';
import type { PacketTrace } from '../trace/steps.js';
import { emptyNodeSpec, type Topology } from '../topology/model.js';
import { renderAt } from './testing/render-at.js';

const tick = () => new Promise((r) => setTimeout(r, 20));
let apps: Array<{ unmount: () => void }> = [];
afterEach(() => {
  for (const a of apps) a.unmount();
  apps = [];
});

const POS = { file: 'big.yaml', line: 1, col: 1 };
const SOURCES = Array.from({ length: 40 }, (_, i) => `pod${i}`);
const TOPO: Topology = {
  name: 'big',
  description: '',
  nodes: SOURCES.map((n) => emptyNodeSpec(n, n, POS)),
  links: [],
} as unknown as Topology;

function bigView(): MatrixView {
  const destinations = Array.from({ length: 60 }, (_, i) => ({ to: `10.96.0.${i + 1}:80`, why: `DNAT node KUBE-SERVICES` }));
  const cells: MatrixCell[] = destinations.flatMap((d, r) =>
    SOURCES.map((from, c) => ({
      from,
      to: d.to,
      proto: 'tcp' as const,
      // Every 7th cell is dropped by a policy; the rest are delivered as addressed.
      result: (r + c) % 7 === 0 ? 'timeout' : 'connected',
      server: (r + c) % 7 === 0 ? null : 'node/web',
      server_sees: null,
      decided_by:
        (r + c) % 7 === 0
          ? { node: 'node', hook: 'FORWARD', table: 'filter', chain: 'FORWARD', rule: null, verdict: 'DROP', policy: true, packet: PKT }
          : null,
    })),
  );
  return { lab: 'big', proto: 'tcp', seed: 1, sources: SOURCES, destinations, cells, changes: 2 };
}

const PKT = { proto: 'tcp', src: '10.244.0.1:40000', dst: '10.96.0.1:80', flags: 'SYN', ttl: 64, len: 60, mark: '0x0' };

function traceOf(cell: { from: string; to: string }): PacketTrace {
  return {
    id: 1,
    packet: { ...PKT, dst: cell.to },
    outcome: 'dropped',
    steps: [
      { node: cell.from, route: { dst: cell.to.split(':')[0], dev: 'eth0', via: null, table: 'main' } },
      { node: 'node', hook: 'FORWARD', table: 'filter', chain: 'FORWARD', rule: null, verdict: 'DROP', policy: true, packet: PKT },
    ],
  };
}

test('a 40 × 60 grid scrolls with the cursor; Enter opens the cell, Esc returns to it', async () => {
  const session = new FakeSession(TOPO);
  session.matrixAnswer = () => ({ ok: true, value: bigView() });
  const asked: string[] = [];
  session.matrixTraceAnswer = (c) => {
    asked.push(`${c.from} ${c.to} ${c.proto}`);
    const cell = bigView().cells.find((x) => x.from === c.from && x.to === c.to)!;
    return { ok: true, value: { cell, traces: [traceOf(c), { ...traceOf(c), id: 2 }] } };
  };
  let model!: UiModel;
  const app = renderAt(
    <App session={session} size={{ cols: 80, rows: 24 }} onModel={(m) => (model = m)} driver={{ defer: (f) => f() }} />,
    80,
  );
  apps.push(app);
  await tick();
  model.execute('matrix --from pod1,pod2 --to 10.96.0.1:80 --proto tcp');
  expect(session.matrixQueries).toEqual([{ kind: 'matrix', from: ['pod1', 'pod2'], to: ['10.96.0.1:80'], proto: 'tcp' }]);
  await tick();
  let f = app.lastFrame() ?? '';
  expect(f).toContain('» Matrix big tcp after 2 changes');
  expect(f).toContain('40×60  row 1 col 1');
  // Past 26 sources, columns are numbered; the first cell (0+0) is a timeout.
  expect(f).toMatch(/│destination +1 {2}2 {2}3 {2}4/);
  expect(f).toMatch(/│10\.96\.0\.1:80 +\[T\] \+ {2}\+ /);
  expect(f).toContain('pod0 → 10.96.0.1:80: timeout');
  expect(f).toContain('decided by: node filter/FORWARD policy DROP');
  expect(f).toContain('+ reached  * via DNAT/REDIRECT');
  for (const line of f.split('\n')) expect(line.length).toBeLessThanOrEqual(80);

  // 30 columns right and 45 rows down: both scroll so the cursor stays in view.
  for (let i = 0; i < 30; i++) app.stdin.write('\x1b[C');
  for (let i = 0; i < 45; i++) app.stdin.write('j');
  await tick();
  f = app.lastFrame() ?? '';
  expect(f).toContain('row 46 col 31');
  expect(f).not.toMatch(/│destination +1 /);
  expect(f).toMatch(/│destination .* 31 +│/);
  expect(f).toContain('10.96.0.46:80');
  expect(f).not.toContain('10.96.0.1:80 ');
  // (45 + 30) % 7 = 5: reached.
  expect(f).toMatch(/│10\.96\.0\.46:80 .*\[\+\]/);
  expect(f).toContain('pod30 → 10.96.0.46:80: connected (server node/web)');
  // Home: back to the first cell, the view with it.
  app.stdin.write('g');
  await tick();
  expect(app.lastFrame()).toMatch(/│10\.96\.0\.1:80 +\[T\]/);
  app.stdin.write('G');
  await tick();
  expect(app.lastFrame()).toContain('row 60 col 40');

  // Enter: the cell's trace; ] its next packet; Esc back to the grid, where the cursor was.
  app.stdin.write('\r');
  await tick();
  f = app.lastFrame() ?? '';
  expect(asked).toEqual(['pod39 10.96.0.60:80 tcp']);
  expect(f).toContain('Cell pod39 → 10.96.0.60:80: timeout, packet 1 of 2');
  expect(f).toContain('filter/FORWARD (FORWARD): policy DROP');
  app.stdin.write(']');
  await tick();
  expect(app.lastFrame()).toContain('packet 2 of 2');
  app.stdin.write('\x1b');
  await new Promise((r) => setTimeout(r, 150));
  f = app.lastFrame() ?? '';
  expect(f).toContain('» Matrix big tcp');
  expect(f).toContain('row 60 col 40');

  // Esc on the grid: back to the node inspector; a failing matrix is one line of error.
  app.stdin.write('\x1b');
  await new Promise((r) => setTimeout(r, 150));
  expect(app.lastFrame()).not.toContain('Matrix big');
  session.matrixAnswer = () => ({ ok: false, error: '--from: no node "x"' });
  model.execute('matrix');
  await tick();
  expect(app.lastFrame()).toContain('error: --from: no node "x"');
});

test('a matrix still running counts its cells in the status bar, keys still move, and Esc stops it', async () => {
  const session = new FakeSession(TOPO);
  let seen: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {};
  // A matrix that never finishes by itself: it reports progress and waits for its signal.
  session.matrixRun = (_q, o) => {
    seen = o;
    return new Promise((resolve) => o.signal?.addEventListener('abort', () => resolve({ ok: false, error: 'matrix stopped' })));
  };
  let model!: UiModel;
  let now = 0;
  const app = renderAt(
    <App session={session} size={{ cols: 80, rows: 24 }} onModel={(m) => (model = m)} driver={{ defer: (f) => f(), clock: () => now }} />,
    80,
  );
  apps.push(app);
  await tick();
  model.execute('matrix');
  await tick();
  now = 1000;
  seen.onProgress?.(1200, 40208);
  await tick();
  // In the status bar, where the key hints were.
  expect((app.lastFrame() ?? '').split('\n')[0]).toMatch(/^nflab: big .* matrix 1200\/40208 cells {2}Esc stops$/);
  // Another matrix while this one runs is refused, not queued.
  app.stdin.write(':matrix --from pod1\r');
  await tick();
  expect(app.lastFrame()).toContain('error: a matrix is still being computed (Esc stops it)');
  expect(session.matrixQueries).toHaveLength(1);
  // The UI answers keys meanwhile: Tab moves focus.
  const focus = model.focus;
  app.stdin.write('\t');
  await tick();
  expect(model.focus).not.toBe(focus);

  app.stdin.write('\x1b');
  await new Promise((r) => setTimeout(r, 150));
  expect(seen.signal?.aborted).toBe(true);
  const f = app.lastFrame() ?? '';
  expect(f).toContain('matrix stopped; the grid shown before, if any, is unchanged');
  expect(f).not.toContain('/40208 cells');
  expect(f.split('\n')[0]).toMatch(/events 0 {2}packets 0/);
  expect(f).not.toContain('» Matrix');
  // Stopped, a new matrix can start.
  session.matrixRun = () => Promise.resolve({ ok: false, error: 'no matrix scripted' });
  model.execute('matrix');
  await tick();
  expect(app.lastFrame()).toContain('error: no matrix scripted');
});
