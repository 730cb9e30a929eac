/**
 * A failed rule command is no rule update: no `rules.update` event
 * for it (what the terminal UI and the feed show), in instant timing; a
 * command that succeeds still gets its event before `rules.changed`.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Lab } from '../src/lab/lab.js';
import { loadTopologyFile } from '../src/topology/load.js';

describe('rules.update events', () => {
  it('come only for commands that succeeded', () => {
    const t = loadTopologyFile(join(import.meta.dirname, '..', 'topologies', 'docker-port-mapping.yaml'));
    if (!t.ok) throw new Error('bundled topology does not load');
    const built = Lab.build(t.value, { seed: 1 });
    if (!built.ok) throw new Error('bundled lab does not build');
    const lab = built.value;
    const seen: string[] = [];
    lab.tracer.subscribe((e) => {
      if (e.kind === 'rules.update' || e.kind === 'rules.changed')
        seen.push(`${e.kind} ${typeof e.data === 'string' ? e.data : (e.data as { cmd: string }).cmd}`);
    });
    expect(lab.exec('docker-host', 'iptables -A NOPE -j ACCEPT').exitCode).toBe(1);
    expect(lab.exec('docker-host', 'iptables -A INPUT -j ACCEPT').exitCode).toBe(0);
    expect(seen).toEqual(['rules.update iptables -A INPUT -j ACCEPT', 'rules.changed iptables -A INPUT -j ACCEPT']);
  });
});
