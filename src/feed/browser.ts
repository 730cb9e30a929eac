/**
 * Headless Chromium for the viewer's tests: Debian's `chromium` package driven
 * by playwright-core (which never downloads a browser). Each launch gets a
 * fresh profile directory, removed on close. Screenshots go to
 * test-artifacts/viewer/ (gitignored), kept for a person to look at.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = process.env.NFLAB_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumMissing: string | null = existsSync(CHROMIUM)
  ? null
  : `${CHROMIUM} not found: install Debian's chromium package (apt-get install chromium) or set NFLAB_CHROMIUM`;

export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/viewer/', import.meta.url));

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  /** A new page of the given size; page errors and failed requests are collected in `problems`. */
  page(width?: number, height?: number): Promise<Page>;
  problems: string[];
  shot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'nflab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
  });
  const problems: string[] = [];
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    context,
    problems,
    async page(width = 1280, height = 800) {
      const p = await context.newPage();
      await p.setViewportSize({ width, height });
      p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      p.on('console', (m) => {
        if (m.type() === 'error' && !/WebSocket connection to .* failed/.test(m.text())) problems.push(`console: ${m.text()}`);
      });
      p.on('response', (r) => {
        if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
      });
      return p;
    },
    async shot(page, name) {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
