import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopologyFile } from '../topology/load.js';
import { readPcapng } from '../capture/pcapng-read.js';
import { Session } from './session.js';
import { scratchDir } from '../core/testing/scratch-dir.js';

describe('capture from the command language (terminal UI and feed)', () => {
  const file = join(scratchDir('nflab-session-cap-'), 'ui.pcapng');
  it('starts, records a probe on the chosen interfaces, stops, and says what it did', () => {
    const t = loadTopologyFile(join(import.meta.dirname, '..', '..', 'topologies', 'docker-port-mapping.yaml'));
    if (!t.ok) throw new Error('topology');
    const s = Session.create(t.value);
    if (!s.ok) throw new Error('session');
    const session = s.value;
    expect(session.command('capture stop')).toEqual({ ok: false, output: 'no capture is running' });
    expect(session.command(`capture start ${file} client:eth0,docker-host:eth9`).ok).toBe(false);
    expect(session.command(`capture start ${file} client:eth0,docker-host:eth0`)).toEqual({
      ok: true,
      output: `capturing 2 interfaces to ${file}`,
    });
    session.command('client ping 198.51.100.1');
    session.runToQuiet();
    const stop = session.command('capture stop');
    expect(stop.output).toMatch(/^wrote \d+ frames to /);
    expect(existsSync(file)).toBe(true);
    const cap = readPcapng(readFileSync(file));
    expect(cap.ok && cap.value.interfaces.map((i) => i.name)).toEqual(['client:eth0', 'docker-host:eth0']);
    expect(cap.ok && cap.value.packets.length).toBeGreaterThanOrEqual(4);
  });
});
