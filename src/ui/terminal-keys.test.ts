/**
 * Keys as a terminal delivers them, to the real program in tmux: several keys
 * in one read (fast typing, key repeat, a paste), and the command line's
 * shell-style editing, Esc, quitting by command, and file-name completion.
 */
import { afterAll, expect, test } from 'vitest';
import { skipReason, TmuxTui } from './testing/tmux.js';

const TOPO = 'src/ui/fixtures/mini-docker.yaml';
const terms: TmuxTui[] = [];
afterAll(() => terms.forEach((t) => t.kill()));

const prompt = (s: string) => s.split('\n').find((l) => l.startsWith(':') || l.startsWith('…')) ?? '';

test.skipIf(skipReason !== '')(
  `nflab tui in tmux: keys that arrive together are all handled, in order${skipReason}`,
  async () => {
    const t = new TmuxTui(TOPO, 100, 30);
    terms.push(t);
    await t.ready();

    // `jj` in one write moves the topology selection two nodes, `k` back one.
    expect(t.screen()).toContain('node 1/3');
    t.send(['jj'], true);
    await t.waitFor((s) => s.includes('node 3/3'));
    t.send(['kkkk'], true);
    await t.waitFor((s) => s.includes('node 1/3'));

    // A pasted line with its Enter is submitted.
    t.send([':frobnicate4\r'], true);
    let s = await t.waitFor((x) => x.includes('unknown command or node "frobnicate4"'));
    expect(prompt(s)).toBe('');

    // Ctrl-U, text and Enter in quick succession: the line is cleared, retyped and run.
    t.send([':garbage']);
    await t.waitFor((x) => prompt(x) === ':garbage_');
    t.send(['C-u', 'nodes', 'Enter']);
    s = await t.waitFor((x) => x.includes('Output: nodes'));
    expect(s).toContain('docker-host/web');
    expect(s).not.toContain('garbage');
  },
  120_000,
);

test.skipIf(skipReason !== '')(
  `nflab tui in tmux: the command line edits as a shell does, Esc abandons it, Tab completes a scenario path, quit quits${skipReason}`,
  async () => {
    const t = new TmuxTui(TOPO, 100, 30);
    terms.push(t);
    await t.ready();
    const typed = (v: string) => t.waitFor((x) => prompt(x) === `:${v}_`);

    // Home and End, Left and Right, Ctrl-A and Ctrl-E, Ctrl-W and Ctrl-K.
    t.send([':lient ping 10.9.9.9']);
    await typed('lient ping 10.9.9.9');
    t.send(['Home', 'c', 'End', 'C-w']);
    await typed('client ping ');
    t.send(['172.17.0.2 extra'], true);
    t.send(['Left', 'Left', 'Left', 'Left', 'Left', 'Left', 'C-k', 'C-a', 'C-e', 'Enter']);
    let s = await t.waitFor((x) => x.includes('client ping 172.17.0.2: reply'));
    expect(s).not.toContain('extra');

    // Esc throws a half-typed line away: the next `:` starts empty.
    t.send([':half typed']);
    await typed('half typed');
    t.send(['Escape']);
    await t.waitFor((x) => x.includes('press : for a command'));
    t.send([':']);
    await typed('');

    // Tab completes the directory and then the file after `load scenario`.
    t.send(['load scenario scenari'], true);
    t.send(['Tab']);
    await typed('load scenario scenarios/');
    t.send(['docker-p'], true);
    t.send(['Tab']);
    await typed('load scenario scenarios/docker-port-mapping.yaml ');
    t.send(['C-u']);
    await typed('');

    // `quit` leaves with exit code 0.
    t.send(['quit', 'Enter']);
    s = await t.waitFor((x) => x.includes('EXIT='));
    expect(s).toContain('EXIT=0');
  },
  120_000,
);

test.skipIf(skipReason !== '')(
  `nflab tui in tmux: qq in one read quits once, with exit code 0${skipReason}`,
  async () => {
    const t = new TmuxTui(TOPO, 100, 30);
    terms.push(t);
    await t.ready();
    t.send(['qq'], true);
    const s = await t.waitFor((x) => x.includes('EXIT='));
    expect(s).toContain('EXIT=0');
  },
  120_000,
);
