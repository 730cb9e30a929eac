/** Builds labs from inline YAML and runs probes to completion, for tests. */
import { loadTopologyText } from '../../topology/load.js';
import { formatDiagnostic } from '../../core/diagnostic.js';
import { parseIpv4 } from '../../packet/ipv4.js';
import type { ProbeOutcome } from '../../apps/probes.js';
import { Lab } from '../lab.js';

export function labFrom(yaml: string, seed = 1): Lab {
  const t = loadTopologyText(yaml, '<test>', process.cwd());
  if (!t.ok) throw new Error(t.error.map(formatDiagnostic).join('\n'));
  const lab = Lab.build(t.value, { seed });
  if (!lab.ok) throw new Error(lab.error.map(formatDiagnostic).join('\n'));
  return lab.value;
}

export function probe(
  lab: Lab,
  kind: 'connect' | 'send' | 'ping',
  from: string,
  to: string,
  o: { uid?: number; timeoutUs?: number; sport?: number; src?: string; line?: string } = {},
): ProbeOutcome {
  const [a, p] = to.split(':');
  let out: ProbeOutcome | null = null;
  lab.probe(
    kind,
    from,
    {
      dst: parseIpv4(a)!,
      port: p ? Number(p) : 0,
      proto: kind === 'send' ? 'udp' : 'tcp',
      owner: { uid: o.uid ?? 0, gid: o.uid ?? 0, groups: [] },
      src: o.src ? parseIpv4(o.src) : null,
      sport: o.sport ?? null,
      timeout: o.timeoutUs ?? 900_000,
      line: o.line ?? 'hello\n',
    },
    (r) => (out = r),
  );
  let n = 0;
  while ((out === null || !lab.quiet()) && lab.scheduler.step()) if (++n > 1_000_000) throw new Error('probe did not finish');
  return out!;
}
