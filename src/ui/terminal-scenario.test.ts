/**
 * `load scenario` in the real program (tmux): a scenario for another
 * topology is refused with a clear message and the lab is left as it was; a
 * failing one names its failing steps with what was expected and seen.
 */
import { afterAll, expect, test } from 'vitest';
import { skipReason, TmuxTui } from './testing/tmux.js';

const terms: TmuxTui[] = [];
afterAll(() => terms.forEach((t) => t.kill()));

test.skipIf(skipReason !== '')(
  `nflab tui in tmux: load scenario refuses another topology's scenario, and shows a failing step's expected and seen${skipReason}`,
  async () => {
    const t = new TmuxTui('src/ui/fixtures/mini-docker.yaml', 120, 40);
    terms.push(t);
    await t.ready();

    t.send([':load scenario scenarios/istio-sidecar.yaml', 'Enter']);
    let s = await t.waitFor((x) => x.includes('is written for the topology "istio-sidecar"'));
    expect(s).toContain('not "mini-docker"; nothing was run, the lab is as it was');
    expect(s).not.toMatch(/Cannot read properties|TypeError|unknown node/);
    // Nothing ran: no packet, no event past the start.
    expect(s).toMatch(/\[LOADED\] +t=0\.000000s +events 0 +packets 0/);
    expect(s).not.toContain('#1 ');

    t.send([':load scenario src/ui/fixtures/mini-docker-fails.yaml', 'Enter']);
    s = await t.waitFor((x) => x.includes('Output: load scenario'));
    expect(s).toContain('mini-docker with one wrong expectation: 1 of 2 steps passed;');
    expect(s).toContain('✗ 2. port 9090 is published too');
    expect(s).toContain('expected: result connected');
    expect(s).toContain('seen:     result refused');
    expect(s).toContain('✓ 1. the published port reaches the container');
    t.send(['q']);
    await t.waitFor((x) => x.includes('EXIT=0'));
  },
  120_000,
);
