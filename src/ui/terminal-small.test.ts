/**
 * The smaller things a new user meets first, in the real program (tmux) on
 * the default lab: the first screen explains the lab and suggests a command;
 * help fits and scrolls; Esc gives focus back; reset clears what the old lab
 * printed; a packet dropped by a chain's policy says so.
 */
import { afterAll, expect, test } from 'vitest';
import { skipReason, TmuxTui } from './testing/tmux.js';

const terms: TmuxTui[] = [];
afterAll(() => terms.forEach((t) => t.kill()));

const focused = (s: string) => /» (\w+)/.exec(s)?.[1];

test.skipIf(skipReason !== '')(
  `nflab tui in tmux on the default lab: first screen, help, Esc, reset, a policy drop${skipReason}`,
  async () => {
    const t = new TmuxTui('topologies/docker-port-mapping.yaml', 80, 25);
    terms.push(t);
    let s = await t.ready();
    expect(s).toContain('About docker-port-mapping');
    expect(s).toContain('A client reaches a container through a port Docker');
    expect(s).toContain('try  :client connect 198.51.100.1:8080');

    // Help at 80x24: every row fits, it says how far it goes, and j scrolls it.
    t.send(['?']);
    s = await t.waitFor((x) => x.includes('Help') && x.includes('Esc closes'));
    for (const l of s.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
    expect(s).toMatch(/1-\d+ of \d+, j k PgDn/);
    t.send(['NPage']);
    await t.waitFor((x) => /Help +(?!1-)\d+-\d+ of/.test(x));
    // Esc closes it and gives focus back to the pane that had it.
    t.send(['Escape']);
    s = await t.waitFor((x) => !x.includes('Esc closes'));
    expect(focused(s)).toBe('Topology');
    t.send(['Tab']);
    await t.waitFor((x) => focused(x) === 'Timeline');
    t.send(['?']);
    await t.waitFor((x) => focused(x) === 'Help');
    t.send(['Escape']);
    await t.waitFor((x) => focused(x) === 'Timeline');

    // reset takes away what the old lab printed.
    t.send([':docker-host iptables -t nat -L -n -v', 'Enter']);
    await t.waitFor((x) => x.includes('Output: docker-host iptables'));
    t.send([':reset', 'Enter']);
    s = await t.waitFor((x) => x.includes('[LOADED]') && !x.includes('Output:'));
    expect(s).not.toContain('see the output pane');
    expect(s).not.toContain('Chain DOCKER');

    // Port 81 is not published: the packet falls off the end of FORWARD, whose policy drops it.
    t.send([':client connect 172.17.0.2:81', 'Enter']);
    await t.waitFor((x) => x.includes('client connect 172.17.0.2:81: timeout'), 30_000);
    t.send(['3', 'End']);
    s = await t.waitFor((x) => x.includes('dropped at FORWARD by the policy of filter/FORWARD (policy DROP)'));
    expect(s).not.toContain('rule at FORWARD');
    t.send(['q']);
    await t.waitFor((x) => x.includes('EXIT=0'));
  },
  120_000,
);
