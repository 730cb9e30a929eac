/**
 * `nflab matrix --html FILE` in a real browser: the page the built CLI writes,
 * opened from disk in headless Chromium (Debian's package, driven by
 * playwright-core). Sorting, filtering and a cell's trace, with no request
 * leaving the file. Skipped, saying why, where Chromium is not installed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, chromiumMissing, launch } from '../../src/feed/browser.js';
import { scratchDir } from '../../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..', '..');
const tmp = scratchDir('nflab-matrix-html-');

function page(topology: string, ...args: string[]): { file: string; stdout: string } {
  const file = join(tmp, `${topology}.html`);
  const r = spawnSync(
    process.execPath,
    [join(root, 'bin', 'nflab.js'), 'matrix', join(root, 'topologies', `${topology}.yaml`), '--html', file, ...args],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return { file, stdout: r.stdout };
}

if (chromiumMissing) console.warn(`matrix --html browser tests skipped: ${chromiumMissing}`);

let browser: Browser;
const requests: string[] = [];

async function open(file: string): Promise<Page> {
  const p = await browser.page(1280, 900);
  p.on('request', (r) => requests.push(r.url()));
  await p.goto(pathToFileURL(file).href);
  return p;
}

const rows = (p: Page) => p.locator('#grid tbody tr td.dest').allTextContents();

describe.skipIf(chromiumMissing !== null)('nflab matrix --html', () => {
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('draws the grid the text output shows, sorts by a heading and filters rows, columns and results', async () => {
    const { file, stdout } = page('docker-port-mapping');
    // The text grid still goes to stdout.
    expect(stdout).toMatch(/^172\.17\.0\.3:5432 {5}T {2}\+ {2}\+ {2}\+ {2}listen docker-host\/db$/m);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
    const p = await open(file);
    expect(await rows(p)).toEqual(['172.17.0.1:8080', '172.17.0.2:80', '172.17.0.3:5432', '198.51.100.1:8080']);
    expect(await p.locator('#grid thead th.src').allTextContents()).toEqual(['client', 'docker-host', 'docker-host/web', 'docker-host/db']);
    const row = (dest: string) => p.locator('#grid tbody tr', { has: p.locator('td.dest', { hasText: dest }) }).locator('td.cell');
    expect(await row('172.17.0.3:5432').allTextContents()).toEqual(['T', '+', '+', '+']);
    // The web container's own published port: its bridge port has no hairpin mode, so the DNATed SYN is lost.
    expect(await row('198.51.100.1:8080').allTextContents()).toEqual(['*', '*', 'T', '*']);

    await p.click('th[data-sort="dest"]');
    await p.click('th[data-sort="dest"]');
    expect(await rows(p)).toEqual(['198.51.100.1:8080', '172.17.0.3:5432', '172.17.0.2:80', '172.17.0.1:8080']);
    // By the client's column: reached first, then the timeout.
    await p.click('th[data-sort="0"]');
    expect((await rows(p)).at(-1)).toBe('172.17.0.3:5432');

    await p.fill('#filter-dest', '8080');
    expect((await rows(p)).sort()).toEqual(['172.17.0.1:8080', '198.51.100.1:8080']);
    await p.fill('#filter-dest', 'listen');
    expect((await rows(p)).sort()).toEqual(['172.17.0.2:80', '172.17.0.3:5432']);
    await p.fill('#filter-dest', '');
    await p.selectOption('#filter-result', 'not-reached');
    expect((await rows(p)).sort()).toEqual(['172.17.0.1:8080', '172.17.0.3:5432', '198.51.100.1:8080']);
    expect(await p.locator('#count').textContent()).toBe('3 cells in 3 rows');
    await p.selectOption('#filter-result', 'r:connected');
    expect((await rows(p)).length).toBe(4);
    await p.selectOption('#filter-result', '');
    await p.fill('#filter-src', 'docker-host/');
    expect(await p.locator('#grid thead th.src').allTextContents()).toEqual(['docker-host/web', 'docker-host/db']);
    await browser.shot(p, 'matrix-docker');
    expect(browser.problems).toEqual([]);
  });

  it("shows a cell's result, server, deciding rule and first packet's trace when clicked", async () => {
    const { file } = page('kube-proxy');
    const p = await open(file);
    await p.click('td.cell[data-from="client"][data-to="10.96.0.10:80"]');
    const detail = p.locator('#detail');
    expect(await detail.locator('h2').textContent()).toBe('client → 10.96.0.10:80');
    const text = (await detail.locator('dl').textContent()) ?? '';
    expect(text).toContain('connected');
    expect(text).toContain('node1/web-a');
    expect(text).toContain('node1 nat/KUBE-SEP-UIQK3OSOSTRHRPBX #2 DNAT: -A KUBE-SEP-UIQK3OSOSTRHRPBX');
    const trace = (await p.locator('#trace').textContent()) ?? '';
    expect(trace.split('\n')[0]).toBe('tcp 192.0.2.10:60219 → 10.96.0.10:80 [SYN]');
    expect(trace).toContain('DNAT at PREROUTING: 192.0.2.10:60219 → 10.96.0.10:80 → 192.0.2.10:60219 → 10.244.1.2:8080');
    expect(trace).toContain('deliver to tcp:8080 (echo)');
    await browser.shot(p, 'matrix-kube-trace');
    expect(browser.problems).toEqual([]);
    expect(requests.every((u) => u.startsWith('file:'))).toBe(true);
  });

  it('refuses --html with --json or --against', () => {
    for (const extra of [['--json'], ['--against', join(root, 'topologies', 'kube-proxy.yaml')]]) {
      const r = spawnSync(
        process.execPath,
        [join(root, 'bin', 'nflab.js'), 'matrix', join(root, 'topologies', 'kube-proxy.yaml'), '--html', join(tmp, 'x.html'), ...extra],
        {
          encoding: 'utf8',
        },
      );
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
