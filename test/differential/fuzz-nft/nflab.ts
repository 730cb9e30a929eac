/**
 * The nflab side of the nft fuzzer: the same command lines through the command layer a
 * scenario's `exec` steps use (Lab.exec on a node), each episode on a fresh lab whose node has
 * the interfaces of the kernel side's fresh namespace (nft asks for them: `iif "NAME"`).
 */
import { formatDiagnostic } from '../../../src/core/diagnostic.js';
import { Lab } from '../../../src/lab/lab.js';
import { loadTopologyText } from '../../../src/topology/load.js';
import type { Episode } from './gen.js';
import type { EpisodeAnswer } from './model.js';

const TOPOLOGY = `name: fuzz-nft
hosts:
  h: {}
`;

/** The interfaces of a fresh namespace on the kernel side (kernel.ts makes no others). */
export const KERNEL_IFACES = ['lo'];

function freshLab(): Lab {
  const t = loadTopologyText(TOPOLOGY, '<fuzz-nft>', process.cwd());
  if (!t.ok) throw new Error(t.error.map(formatDiagnostic).join('\n'));
  const lab = Lab.build(t.value, { seed: 1 });
  if (!lab.ok) throw new Error(lab.error.map(formatDiagnostic).join('\n'));
  const devs = [...(lab.value.node('h')?.devs.keys() ?? [])];
  if (devs.join() !== KERNEL_IFACES.join())
    throw new Error(`the fuzzer's node has interfaces ${devs.join(', ')}, the kernel's namespace ${KERNEL_IFACES.join(', ')}`);
  return lab.value;
}

export function runNflab(episodes: readonly Episode[]): EpisodeAnswer[] {
  return episodes.map((ep) => {
    const lab = freshLab();
    return {
      txns: ep.txns.map((t) => {
        const r = lab.exec('h', t.cmd, t.stdin ?? null);
        const list = (c: string) => {
          const o = lab.exec('h', c);
          return o.stdout + o.stderr;
        };
        return { x: r.exitCode, e: r.stderr, o: r.stdout, l: list('nft list ruleset'), a: list('nft -a list ruleset') };
      }),
    };
  });
}
