/**
 * The viewer page in a real browser: headless Chromium (Debian's package)
 * driven by playwright-core, against real feed servers on real sessions.
 * Screenshots are kept in test-artifacts/viewer/. Skipped, saying why, where
 * Chromium is not installed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../session/session.js';
import { loadTopologyFile } from '../topology/load.js';
import { type Browser, chromiumMissing, launch } from './browser.js';
import { createFeedServer, type FeedServer, type FeedServerOptions } from './server.js';

const scratch = mkdtempSync(join(tmpdir(), 'nflab-viewer-'));
const topo = (name: string) =>
  name === 'sixteen' ? join(scratch, 'sixteen.yaml') : fileURLToPath(new URL(`../../topologies/${name}.yaml`, import.meta.url));

/** Four hosts in a row, three namespaces each: sixteen nodes, fifteen links, long address lists. */
function sixteenNodes(): string {
  const lines = ['name: sixteen', 'hosts:'];
  const links: string[] = [];
  for (let h = 0; h < 4; h++) {
    lines.push(`  host${h}:`, '    interfaces:', `      up: { addr: 10.0.${h}.1/24 }`, `      east: { addr: 10.9.${h}.1/24 }`);
    for (let n = 0; n < 3; n++) lines.push(`      v${n}: { addr: 10.${h + 1}.${n}.1/24 }`);
    lines.push('    namespaces:');
    for (let n = 0; n < 3; n++) {
      lines.push(`      pod${n}:`, `        interfaces: { eth0: { addr: 10.${h + 1}.${n}.2/24 } }`);
      links.push(`  - [host${h}/pod${n}:eth0, host${h}:v${n}]`);
    }
    if (h > 0) links.push(`  - [host${h - 1}:east, host${h}:up]`);
  }
  return [...lines, 'links:', ...links, ''].join('\n');
}

if (chromiumMissing) console.warn(`viewer browser tests skipped: ${chromiumMissing}`);

let browser: Browser;
const servers: FeedServer[] = [];

async function serve(name = 'docker-port-mapping', opts: FeedServerOptions = {}): Promise<{ server: FeedServer; session: Session }> {
  const t = loadTopologyFile(topo(name));
  if (!t.ok) throw new Error(t.error.map((d) => d.message).join('\n'));
  const s = Session.create(t.value, 1);
  if (!s.ok) throw new Error('session');
  const server = await createFeedServer(s.value, { port: 0, ...opts });
  servers.push(server);
  return { server, session: s.value };
}

async function open(url: string, width = 1280, height = 800): Promise<Page> {
  const p = await browser.page(width, height);
  await p.goto(url);
  return p;
}

async function command(p: Page, cmd: string): Promise<void> {
  await p.fill('#cmd', cmd);
  await p.press('#cmd', 'Enter');
}

const rows = (p: Page) => p.$$eval('#packets .row:not([hidden])', (rs) => rs.map((r) => r.textContent ?? ''));

describe.skipIf(chromiumMissing !== null)(
  `the viewer page in headless Chromium${chromiumMissing ? ` (skipped: ${chromiumMissing})` : ''}`,
  () => {
    beforeAll(async () => {
      writeFileSync(topo('sixteen'), sixteenNodes());
      browser = await launch();
    });
    afterAll(async () => {
      await browser?.close();
      rmSync(scratch, { recursive: true, force: true });
    });
    afterEach(async () => {
      for (const p of browser.context.pages()) await p.close();
      await Promise.all(servers.splice(0).map((s) => s.close()));
      expect(browser.problems.splice(0)).toEqual([]);
    });

    it('loads: the graph, the topology and its description, a command hint from this topology, a favicon', async () => {
      const { server } = await serve();
      const p = await open(server.url);
      await p.waitForSelector('g.node');
      expect((await p.$$eval('g.node', (gs) => gs.map((g) => g.getAttribute('data-node')))).sort()).toEqual([
        'client',
        'docker-host',
        'docker-host/db',
        'docker-host/web',
      ]);
      expect(await p.textContent('#topo')).toBe('docker-port-mapping');
      expect(await p.textContent('#desc')).toMatch(/^A client reaches a container/);
      expect(await p.textContent('#state')).toBe('loaded');
      expect(await p.isHidden('#notice')).toBe(true);
      // The hint names this lab's nodes and addresses, not a fixed example.
      expect(await p.getAttribute('#cmd', 'placeholder')).toContain('client connect 172.17.0.2:80');
      expect(await p.$eval('link[rel=icon]', (l) => (l as HTMLLinkElement).href)).toMatch(/^data:image\/svg\+xml,/);
      await browser.shot(p, 'load-1280x800');
    });

    it('runs commands, lists packets with their outcome in words, and opens a trace by a click', async () => {
      const { server } = await serve();
      const p = await open(server.url, 800, 600);
      await p.waitForSelector('g.node');
      await command(p, 'client connect 198.51.100.1:8080');
      await p.waitForFunction(() =>
        document.getElementById('out')!.textContent.includes('connected (server docker-host/web saw 198.51.100.10:'),
      );
      await command(p, 'client connect 198.51.100.1:9999');
      await p.waitForFunction(() => document.getElementById('out')!.textContent.includes('9999: refused'));
      const list = await rows(p);
      expect(list.some((r) => r.startsWith('✓ delivered') && r.includes('#1 client tcp 198.51.100.10:'))).toBe(true);
      expect(list.some((r) => /^✗ rejected\s*#\d+ client tcp .*:9999/.test(r))).toBe(true);
      await p.click('#packets .row[data-packet="1"]');
      await p.waitForFunction(() => document.getElementById('trace')!.textContent.includes('deliver'));
      const trace = (await p.textContent('#trace'))!;
      expect(trace).toContain('docker-host PREROUTING nat/DOCKER: rule 1 → ACCEPT (DNAT)');
      expect(trace).toContain('-j DNAT --to-destination 172.17.0.2:80');
      expect(await p.textContent('#tracehead')).toContain('[delivered]');
      // Long lines wrap between words, never inside one.
      const broken = await p.evaluate(() => {
        const out: string[] = [];
        for (const box of ['trace', 'out']) {
          const walker = document.createTreeWalker(document.getElementById(box)!, NodeFilter.SHOW_TEXT);
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            for (const m of (n.textContent ?? '').matchAll(/\S+/g)) {
              const r = document.createRange();
              r.setStart(n, m.index);
              r.setEnd(n, m.index + m[0].length);
              if (r.getClientRects().length > 1) out.push(m[0]);
            }
          }
        }
        return out;
      });
      expect(broken).toEqual([]);
      expect(await p.$eval('#trace', (t) => t.scrollHeight > t.clientHeight || t.textContent.length > 0)).toBe(true);
      await browser.shot(p, 'trace-800x600');
    });

    it('holds a pause pressed before a command until step or run', async () => {
      const { server } = await serve();
      const p = await open(server.url);
      await p.waitForSelector('g.node');
      await p.click('#pause');
      await p.waitForFunction(() => document.getElementById('state')!.textContent === 'paused');
      await command(p, 'client connect 198.51.100.1:8080');
      await p.waitForFunction(() => document.getElementById('out')!.textContent.includes('started'));
      await p.waitForTimeout(500);
      expect(await p.textContent('#state')).toBe('paused');
      expect(await p.textContent('#time')).toBe('0.000000');
      expect((await rows(p)).every((r) => r.startsWith('… in flight'))).toBe(true);
      await p.click('#step');
      await p.waitForFunction(() => document.getElementById('time')!.textContent !== '0.000000');
      await p.click('#run');
      await p.waitForFunction(() => document.getElementById('out')!.textContent.includes(': connected'));
    });

    it('after a reset, packet ids go on, the list starts afresh, and a page opened later shows only the new packets', async () => {
      const { server } = await serve();
      const a = await open(server.url);
      await a.waitForSelector('g.node');
      await command(a, 'client connect 198.51.100.1:8080');
      await a.waitForFunction(() => document.getElementById('out')!.textContent.includes(': connected'));
      const before = await rows(a);
      expect(before).toHaveLength(8);
      await a.click('#reset');
      await a.waitForFunction(() => document.querySelectorAll('#packets .row').length === 0);
      await command(a, 'client connect 198.51.100.1:9999');
      await a.waitForFunction(() => document.getElementById('out')!.textContent.includes('9999: refused'));
      const after = await rows(a);
      expect(
        after
          .map((r) => /#(\d+)/.exec(r)![1])
          .map(Number)
          .every((id) => id > 8),
      ).toBe(true);
      expect(after.some((r) => r.startsWith('✗ rejected'))).toBe(true);
      const b = await open(server.url);
      await b.waitForFunction(() => document.getElementById('out')!.textContent.includes('caught up on'));
      expect(await rows(b)).toEqual(after);
      // Each row's outcome is that packet's own: open them all in the later page and compare with the trace head.
      for (const r of after) {
        const id = /#(\d+)/.exec(r)![1];
        await b.click(`#packets .row[data-packet="${id}"]`);
        await b.waitForFunction((i) => document.getElementById('tracehead')!.textContent.startsWith(`#${i} `), id);
        const outcome = /^\S+ (.+?)\s+#/
          .exec(r)![1]
          .replace(' ', '-')
          .replace('ttl-expired', 'ttl-exceeded')
          .replace('in-flight', 'in-flight');
        expect(await b.textContent('#tracehead')).toContain(`[${outcome}]`);
      }
      await browser.shot(b, 'after-reset-later-page');
    });

    it('does not replay past traffic as animation to a new visitor', async () => {
      const { server, session } = await serve();
      session.command('client connect 198.51.100.1:8080');
      session.runToQuiet();
      const p = await open(server.url);
      await p.waitForFunction(() => document.querySelectorAll('#packets .row').length === 8);
      let dots = 0;
      for (let i = 0; i < 10; i++) {
        dots += await p.$$eval('circle.pkt', (c) => c.length);
        await p.waitForTimeout(100);
      }
      expect(dots).toBe(0);
      // Live traffic is animated.
      await command(p, 'client ping 172.17.0.2');
      await p.waitForSelector('circle.pkt', { timeout: 5000 });
    });

    it('filters by node and restores every row it hid', async () => {
      const { server } = await serve();
      const p = await open(server.url);
      await p.waitForSelector('g.node');
      await command(p, 'client connect 198.51.100.1:8080');
      await p.waitForFunction(() => document.getElementById('out')!.textContent.includes(': connected'));
      await command(p, 'docker-host/db ping 172.17.0.1');
      await p.waitForFunction(() => document.getElementById('out')!.textContent.includes('172.17.0.1: reply'));
      const all = await rows(p);
      await p.selectOption('#nodefilter', 'docker-host/db');
      const some = await rows(p);
      expect(some.length).toBeGreaterThan(0);
      expect(some.length).toBeLessThan(all.length);
      expect(some.every((r) => r.includes('docker-host/db') || r.includes('172.17.0.3'))).toBe(true);
      expect(await p.$eval('g.node[data-node="docker-host/db"]', (g) => g.classList.contains('sel'))).toBe(true);
      // Traffic during the filter is kept too, and shows once the filter is gone.
      await command(p, 'client ping 198.51.100.1');
      await p.waitForFunction(() => document.getElementById('out')!.textContent.includes('198.51.100.1: reply'));
      await p.selectOption('#nodefilter', '');
      const back = await rows(p);
      expect(back.slice(-all.length)).toEqual(all);
      expect(back.length).toBeGreaterThan(all.length);
    });

    it('tells a visitor without the token that one is needed and how to pass it, and stops retrying', async () => {
      const { server } = await serve('docker-port-mapping', { token: 'tok-3f9a' });
      const p = await browser.page();
      const sockets: string[] = [];
      p.on('websocket', (ws) => sockets.push(ws.url()));
      await p.goto(server.url);
      await p.waitForSelector('#notice:not([hidden]) h2');
      expect(await p.textContent('#notice h2')).toBe('This lab needs a token');
      expect(await p.textContent('#notice')).toContain(`${server.url}?token=TOKEN`);
      await p.waitForTimeout(2500);
      expect(sockets).toHaveLength(1);
      await browser.shot(p, 'token-needed');

      await p.goto(`${server.url}?token=wrong`);
      await p.waitForSelector('#notice:not([hidden]) h2');
      expect(await p.textContent('#notice h2')).toBe('The token was refused');
      await p.fill('#tokeninput', 'tok-3f9a');
      await p.press('#tokeninput', 'Enter');
      await p.waitForSelector('g.node');
      expect(await p.isHidden('#notice')).toBe(true);
      expect(new URL(p.url()).searchParams.get('token')).toBe('tok-3f9a');

      const q = await open(`${server.url}?token=tok-3f9a`);
      await q.waitForSelector('g.node');
      expect(await q.textContent('#state')).toBe('loaded');
    });

    it('fits the graph at every window size, re-fits on resize, keeps labels off nodes and buttons in place', async () => {
      for (const lab of ['docker-port-mapping', 'kube-proxy-5000', 'sixteen']) {
        const { server } = await serve(lab);
        const p = await open(server.url, 1280, 800);
        await p.waitForSelector('g.node');
        const buttons = () => p.$$eval('header button', (bs) => bs.map((b) => JSON.stringify(b.getBoundingClientRect())));
        for (const [w, h] of [
          [800, 600],
          [1024, 768],
          [1920, 1080],
          [1280, 800],
        ]) {
          await p.setViewportSize({ width: w, height: h });
          await p.waitForTimeout(250);
          const g = await geometry(p);
          expect(g.nodes.length, lab).toBeGreaterThan(2);
          checkGeometry(g, `${lab} ${w}x${h}`);
          await browser.shot(p, `${lab}-${w}x${h}`);
        }
        if (lab === 'sixteen') {
          expect((await geometry(p)).nodes).toHaveLength(16);
          continue;
        }
        const at = await buttons();
        await command(p, 'client ping 198.51.100.1');
        await p.waitForFunction(() => document.getElementById('state')!.textContent === 'finished');
        await p.selectOption('#nodefilter', { index: 2 });
        expect(await buttons()).toEqual(at);
      }
    });

    it('receives a 5.9 MB answer whole, shows it a page at a time, and stays connected', async () => {
      const { server, session } = await serve('kube-proxy-5000');
      const expected = session.command('node iptables-save').output;
      expect(expected.length).toBeGreaterThan(5_000_000);
      const p = await open(server.url);
      await p.waitForSelector('g.node');
      await command(p, 'node iptables-save');
      const out = await p.waitForSelector('#out [data-chars]', { timeout: 60_000 });
      expect(Number(await out.getAttribute('data-chars'))).toBe(expected.length);
      expect(await out.evaluate((e) => e.textContent.split('\n').length)).toBeLessThan(300);
      const saved = await p.$eval('#out a.save', async (a) => (await fetch((a as HTMLAnchorElement).href)).text());
      expect(saved === expected).toBe(true);
      await p.click('#out .more button');
      expect(await p.textContent('#out .more')).toMatch(/400 of [\d,]+ lines shown/);
      expect(await p.textContent('#conn')).toBe('connected');
      expect(server.stats().dropped).toBe(0);
      await browser.shot(p, 'large-output');
    });

    it('draws the matrix beside the graph; a click on a cell shows its trace; the command line asks for one too', async () => {
      const { server } = await serve('kube-proxy');
      const p = await open(server.url, 1280, 800);
      await p.waitForSelector('g.node');
      await p.click('#mxform button');
      await p.waitForSelector('table.mx td');
      expect(await p.textContent('#mxhead')).toBe('tcp 6×6');
      expect(await p.textContent('#mxsrc')).toBe(
        'sources: A client  B node1  C node1/web-a  D node1/web-b  E node1/web-c  F node1/client-pod',
      );
      expect(await p.$$eval('table.mx thead th', (ths) => ths.map((t) => t.textContent))).toEqual([
        'destination',
        'A',
        'B',
        'C',
        'D',
        'E',
        'F',
      ]);
      const grid = await p.$$eval('table.mx tbody tr', (trs) => trs.map((tr) => tr.textContent));
      expect(grid).toContain('10.96.0.10:80******');
      expect(grid).toContain('10.244.1.2:8080++++++');
      const cell = 'table.mx td[data-from="client"][data-to="10.96.0.10:80"]';
      expect(await p.getAttribute(cell, 'class')).toBe('g-nat');
      expect(await p.getAttribute(cell, 'title')).toMatch(
        /^client → 10\.96\.0\.10:80: connected \(server node1\/web-a, saw 10\.244\.1\.1:\d+\)\ndecided by: node1 nat\/KUBE-SEP-UIQK3OSOSTRHRPBX #2 DNAT: -A KUBE-SEP-/,
      );
      // Beside the graph, not over it.
      const [stage, box] = await Promise.all([
        p.$eval('#stage', (e) => e.getBoundingClientRect().right),
        p.$eval('#mxbox', (e) => e.getBoundingClientRect().left),
      ]);
      expect(box).toBeGreaterThanOrEqual(stage - 1);

      await p.click(cell);
      await p.waitForFunction(() => document.getElementById('tracehead')!.textContent === 'cell client → 10.96.0.10:80: connected');
      const trace = (await p.textContent('#trace'))!;
      expect(trace).toContain('decided by: node1 nat/KUBE-SEP-UIQK3OSOSTRHRPBX #2 DNAT');
      expect(trace).toMatch(/packet 1 of \d+: tcp 192\.0\.2\.10:\d+ → 10\.96\.0\.10:80 \[SYN\] ✓ delivered/);
      expect(trace).toContain('node1 PREROUTING nat/KUBE-SEP-UIQK3OSOSTRHRPBX: rule 2 → ACCEPT (DNAT)');
      expect(await p.getAttribute(cell, 'class')).toBe('g-nat sel');
      await browser.shot(p, 'matrix-1280x800');

      // A change, then the matrix from the command line: the grid of the lab as it is now.
      await command(p, 'node1 iptables -I FORWARD 1 -s 192.0.2.10 -p tcp -j REJECT');
      await p.waitForFunction(() => document.getElementById('out')!.textContent.includes('rules changed on node1'));
      await command(p, 'matrix --from client --to 10.244.1.3:8080,10.244.1.2:8080');
      await p.waitForFunction(() => document.getElementById('mxhead')!.textContent === 'tcp 1×2, after 1 change');
      const rejected = 'table.mx td[data-from="client"][data-to="10.244.1.3:8080"]';
      expect(await p.textContent(rejected)).toBe('R');
      expect(await p.getAttribute(rejected, 'title')).toContain('decided by: node1 filter/FORWARD #1 REJECT');
      await p.focus(rejected);
      await p.keyboard.press('Enter');
      await p.waitForFunction(() =>
        document.getElementById('trace')!.textContent.includes('FORWARD filter/FORWARD: rule 1 → DROP (REJECT)'),
      );

      // A refusal is said, in one line; a reset clears the grid, whose lab is gone.
      await command(p, 'matrix --from nobody');
      await p.waitForFunction(() => document.getElementById('out')!.textContent.includes('matrix: --from: no node "nobody"'));
      await command(p, 'reset');
      await p.waitForFunction(() => document.getElementById('matrix')!.textContent === 'the lab was reset: ask again');
    });

    it('keeps the matrix in view below 900 px, under the graph', async () => {
      const { server } = await serve('kube-proxy');
      const p = await open(server.url, 800, 600);
      await p.waitForSelector('g.node');
      await p.fill('#mxopts', '--from client,web-a');
      await p.press('#mxopts', 'Enter');
      await p.waitForSelector('table.mx td');
      expect(await p.textContent('#mxhead')).toBe('tcp 2×6');
      const r = await p.$eval('#mxbox', (e) => e.getBoundingClientRect().toJSON() as DOMRect);
      const stage = await p.$eval('#stage', (e) => e.getBoundingClientRect().bottom);
      expect(r.top).toBeGreaterThanOrEqual(stage - 1);
      expect(r.bottom).toBeLessThanOrEqual(600);
      expect(r.width).toBeGreaterThan(200);
      await browser.shot(p, 'matrix-800x600');
    });
  },
);

type Box = { x: number; y: number; w: number; h: number };
interface Geometry {
  svg: Box;
  nodes: Array<{ name: string; rect: Box; texts: Box[] }>;
  labels: Array<{ text: string; box: Box }>;
  links: number;
}

function geometry(p: Page): Promise<Geometry> {
  return p.evaluate(() => {
    const box = (e: Element) => {
      const r = e.getBoundingClientRect();
      return { x: r.x, y: r.y, w: r.width, h: r.height };
    };
    return {
      svg: box(document.getElementById('graph')!),
      nodes: [...document.querySelectorAll('g.node')].map((g) => ({
        name: g.getAttribute('data-node')!,
        rect: box(g.querySelector('rect')!),
        texts: [...g.querySelectorAll('text')].map(box),
      })),
      labels: [...document.querySelectorAll('text.iface')].map((t) => ({ text: t.textContent, box: box(t) })),
      links: document.querySelectorAll('line.link').length,
    };
  });
}

const hit = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
const inside = (a: Box, b: Box, tol = 1) =>
  a.x >= b.x - tol && a.y >= b.y - tol && a.x + a.w <= b.x + b.w + tol && a.y + a.h <= b.y + b.h + tol;

function checkGeometry(g: Geometry, where: string): void {
  for (const n of g.nodes) {
    expect(inside(n.rect, g.svg), `${where}: ${n.name} is inside the drawing`).toBe(true);
    for (const t of n.texts) expect(inside(t, n.rect, 2), `${where}: ${n.name}'s text stays in its box`).toBe(true);
  }
  for (let i = 0; i < g.nodes.length; i++)
    for (let j = i + 1; j < g.nodes.length; j++)
      expect(hit(g.nodes[i].rect, g.nodes[j].rect), `${where}: ${g.nodes[i].name} and ${g.nodes[j].name} overlap`).toBe(false);
  // Every link shows at least one of its interface names.
  expect(g.labels.length, where).toBeGreaterThanOrEqual(g.links);
  for (const l of g.labels) {
    expect(inside(l.box, g.svg), `${where}: label ${l.text} inside`).toBe(true);
    for (const n of g.nodes) expect(hit(l.box, n.rect), `${where}: label ${l.text} covers ${n.name}`).toBe(false);
  }
  for (let i = 0; i < g.labels.length; i++)
    for (let j = i + 1; j < g.labels.length; j++)
      expect(hit(g.labels[i].box, g.labels[j].box), `${where}: labels ${g.labels[i].text} and ${g.labels[j].text} overlap`).toBe(false);
}
