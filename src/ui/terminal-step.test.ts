/**
 * Stepping in the real program (tmux): after `p`, a new probe waits at its
 * first event; `s` runs one event at a time; every time on screen is in the
 * one unit of the clock (seconds with microseconds), never µs.
 */
import { afterAll, expect, test } from 'vitest';
import { skipReason, TmuxTui } from './testing/tmux.js';

const terms: TmuxTui[] = [];
afterAll(() => terms.forEach((t) => t.kill()));

const status = (s: string) => s.split('\n')[0];
const events = (s: string) => Number(/events (\d+)/.exec(status(s))?.[1]);

test.skipIf(skipReason !== '')(
  `nflab tui in tmux: pause holds a new probe, s steps it one event at a time, times in one unit${skipReason}`,
  async () => {
    const t = new TmuxTui('src/ui/fixtures/mini-docker.yaml', 120, 40);
    terms.push(t);
    await t.ready();

    t.send(['p']);
    await t.waitFor((x) => status(x).includes('[PAUSED]'));
    t.send([':client connect 198.51.100.1:8080', 'Enter']);
    await t.waitFor((x) => x.includes('connect from client to 198.51.100.1:8080 started'));
    // Held: nothing ran, the probe has no result.
    await new Promise((r) => setTimeout(r, 500));
    let s = t.screen();
    expect(status(s)).toContain('[PAUSED]');
    expect(events(s)).toBe(0);
    expect(s).not.toContain(': connected');

    for (let i = 1; i <= 3; i++) {
      t.send(['s']);
      s = await t.waitFor((x) => events(x) === i);
      expect(status(s)).toMatch(/\[PAUSED\] +t=\d\.\d{6}s/);
      expect(s).toMatch(/stepped one event; t=\d\.\d{6}s/);
      expect(s).not.toContain(': connected');
    }

    // `step 5` from the command line: five more, the same unit.
    t.send([':step 5', 'Enter']);
    await t.waitFor((x) => /ran 5 events; t=\d\.\d{6}s/.test(x));

    // Run the rest: the probe ends, and no time anywhere is in another unit.
    t.send(['r']);
    s = await t.waitFor((x) => x.includes('client connect 198.51.100.1:8080: connected'));
    expect(s).toMatch(/arrives at t=\d\.\d{6}s/);
    expect(s).not.toMatch(/µs|\d ms\b/);
    t.send(['q']);
    await t.waitFor((x) => x.includes('EXIT=0'));
  },
  120_000,
);
