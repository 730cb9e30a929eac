/**
 * The classifier of deliberate differences explains exactly the consequences it names: replayed on
 * a recorded case (the kernel's answers), every disagreement after a built-in chain's rename is
 * explained, and a kernel answer that the hidden chain does not explain is not.
 */
import { describe, expect, it } from 'vitest';
import { readCases } from './cases.js';
import { deliberate } from './deliberate.js';
import { compareEpisode, type EpisodeAnswer } from './model.js';
import { runNflab } from './nflab.js';

const { c } = readCases().find((x) => x.file === 'builtin-rename-consequences.json')!;
const nflab = runNflab([{ cmds: c.cmds }], [c.kernel!.cmds.map((a) => a.x)])[0];
const unexplained = (kernel: EpisodeAnswer) =>
  compareEpisode(0, kernel, nflab)
    .filter((d) => deliberate(d, c.cmds, kernel, nflab) === null)
    .map((d) => `${d.cmd === null ? 'end' : c.cmds[d.cmd]}: ${d.what}`);
const at = (cmd: string) => c.cmds.indexOf(cmd);

describe('deliberate differences: a built-in chain renamed', () => {
  it('explains every consequence in the recorded case, and there are some', () => {
    expect(compareEpisode(0, c.kernel!, nflab).length).toBeGreaterThan(20);
    expect(unexplained(c.kernel!)).toEqual([]);
  });

  it('does not explain other answers on the old name, or commands of another table', () => {
    const k = structuredClone(c.kernel!);
    k.cmds[at('iptables -D INPUT 1')].e = 'iptables: Something else.\n';
    k.cmds[at('iptables -t nat -D INPUT -j ACCEPT')] = {
      ...k.cmds[at('iptables -t nat -D INPUT -j ACCEPT')],
      x: 1,
      e: 'iptables: Bad rule.\n',
    };
    expect(unexplained(k)).toEqual([
      'iptables -D INPUT 1: exit',
      'iptables -D INPUT 1: stderr',
      'iptables -t nat -D INPUT -j ACCEPT: exit',
      'iptables -t nat -D INPUT -j ACCEPT: stderr',
    ]);
  });

  it('explains nothing when nflab renamed the chain too (the difference is gone)', () => {
    const k = structuredClone(c.kernel!);
    k.cmds[at('iptables -E INPUT x')].x = 1;
    expect(unexplained(k).length).toBeGreaterThan(20);
  });
});
