/**
 * The real program in a real terminal: builds nflab, starts `nflab tui` inside
 * a tmux session on a private server, types a command and reads the screen.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOPO = 'src/ui/fixtures/mini-docker.yaml';
const SOCKET = `nflab-ui-test-${process.pid}`;
const hasTmux = spawnSync('tmux', ['-V']).status === 0;

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', 'ui');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: (s: string) => boolean, ms = 20_000): Promise<string> {
  let s = '';
  for (let t = 0; t < ms; t += 100) {
    s = screen();
    if (what(s)) return s;
    await sleep(100);
  }
  throw new Error(`screen never matched; last screen:\n${s}`);
}

// The program under test is the build `npm test` makes first (rebuilding here would rewrite
// dist/ under other test files that run the CLI at the same time).
const built = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));

afterAll(() => {
  if (hasTmux) spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
});

test.skipIf(!hasTmux || !built)(
  `nflab tui in tmux${!hasTmux ? ' (skipped: no tmux)' : !built ? ' (skipped: run npm run build first)' : ''}: a command, its result on screen, a resize, and q`,
  async () => {
    // ink draws only a final frame when CI is set (as CI runners set it); a person at a terminal has no CI.
    tmux(
      'new-session',
      '-d',
      '-s',
      'ui',
      '-x',
      '100',
      '-y',
      '30',
      '-c',
      ROOT,
      `env -u CI node bin/nflab.js tui ${TOPO}; echo "EXIT=$?"; sleep 30`,
    );
    // Starting node and ink takes seconds, and longer while other test files load both cores.
    let s = await waitFor((x) => x.includes('Topology') && x.includes('[LOADED]'), 60_000);
    expect(s).toContain('nflab: mini-docker');
    expect(s).toContain('web (netns of docker-host)');

    // Keys typed before ink switches the terminal to raw mode are not seen: press `:` until the prompt shows.
    for (let i = 0; i < 20 && !screen().includes(':_'); i++) {
      tmux('send-keys', '-t', 'ui', ':');
      await sleep(300);
    }
    tmux('send-keys', '-t', 'ui', '-l', 'client connect 198.51.100.1:8080');
    await waitFor((x) => x.includes(':client connect 198.51.100.1:8080_'));
    tmux('send-keys', '-t', 'ui', 'Enter');
    s = await waitFor((x) => x.includes('[FINISHED]'));
    expect(s).toContain('client connect 198.51.100.1:8080: connected (server docker-host/web');
    // The probe's first packet opened in the inspector, DNAT and all.
    expect(s).toMatch(/Packet #\d+/);
    expect(s).toContain('(DNAT)');
    for (const line of s.split('\n')) expect(line.length).toBeLessThanOrEqual(100);

    tmux('resize-window', '-t', 'ui', '-x', '80', '-y', '24');
    s = await waitFor((x) => x.split('\n').some((l) => l.startsWith('└') && l.length === 80));
    for (const line of s.split('\n')) expect(line.length).toBeLessThanOrEqual(80);

    tmux('send-keys', '-t', 'ui', 'q');
    s = await waitFor((x) => x.includes('EXIT='));
    expect(s).toContain('EXIT=0');
  },
  150_000,
);
