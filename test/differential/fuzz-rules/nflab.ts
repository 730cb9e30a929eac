/**
 * The nflab side of the rule fuzzer: the same command lines through the command layer a
 * scenario's `exec` steps use (Lab.exec on a node), each episode on a fresh lab.
 */
import { formatDiagnostic } from '../../../src/core/diagnostic.js';
import { Lab } from '../../../src/lab/lab.js';
import { loadTopologyText } from '../../../src/topology/load.js';
import type { Episode } from './gen.js';
import { type EpisodeAnswer, hashSave, listedTables, restoreFile, stripComments } from './model.js';

/** One node whose users and groups are the test machine's (the kernel side resolves names there). */
const TOPOLOGY = `name: fuzz-rules
hosts:
  h:
    users: { root: 0, daemon: 1, bin: 2 }
    groups: { root: 0, daemon: 1, bin: 2 }
`;

function freshLab(): Lab {
  const t = loadTopologyText(TOPOLOGY, '<fuzz-rules>', process.cwd());
  if (!t.ok) throw new Error(t.error.map(formatDiagnostic).join('\n'));
  const lab = Lab.build(t.value, { seed: 1 });
  if (!lab.ok) throw new Error(lab.error.map(formatDiagnostic).join('\n'));
  return lab.value;
}

const saveOf = (lab: Lab) => stripComments(lab.exec('h', 'iptables-save -c').stdout);

/**
 * The episodes' answers from nflab. `kernelExits` are the kernel's exit codes per command, which
 * decide what goes into the restore file (the same file the kernel loaded).
 */
export function runNflab(episodes: readonly Episode[], kernelExits: readonly (readonly number[])[]): EpisodeAnswer[] {
  return episodes.map((ep, i) => {
    const lab = freshLab();
    const cmds = ep.cmds.map((c) => {
      const r = lab.exec('h', c);
      return { x: r.exitCode, e: r.stderr, o: r.stdout, h: hashSave(saveOf(lab)) };
    });
    const save = saveOf(lab);
    const lists: EpisodeAnswer['lists'] = {};
    for (const t of listedTables(ep.cmds)) {
      const both = (c: string) => {
        const r = lab.exec('h', c);
        return r.stdout + r.stderr;
      };
      lists[t] = { S: both(`iptables -t ${t} -S`), L: both(`iptables -t ${t} -L -n -v --line-numbers`) };
    }
    const fresh = freshLab();
    const r = fresh.exec('h', 'iptables-restore', restoreFile(ep.cmds, kernelExits[i]));
    return { cmds, save, lists, restore: { x: r.exitCode, e: r.stderr, save: saveOf(fresh) } };
  });
}
