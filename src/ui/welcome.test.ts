/** The first screen suggests a command that the lab can run, for every bundled lab. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { Session } from '../session/session.js';
import { loadTopologyFile } from '../topology/load.js';
import { ROOT } from './testing/tmux.js';
import { derivedCommand, suggestedCommand } from './welcome.js';

test('each bundled topology suggests its first "Try:" command, and it runs', () => {
  const files = readdirSync(join(ROOT, 'topologies')).filter((f) => f.endsWith('.yaml') && !f.includes('5000'));
  expect(files.length).toBeGreaterThan(5);
  for (const f of files) {
    const topo = loadTopologyFile(join(ROOT, 'topologies', f));
    if (!topo.ok) throw new Error(`${f} does not load`);
    const s = Session.create(topo.value, 1);
    if (!s.ok) throw new Error(`${f} does not build`);
    const cmd = suggestedCommand(topo.value.description, (n) => s.value.resolveNode(n) !== null);
    expect(cmd, f).toMatch(/^\S+ (connect|ping|send) \d+\.\d+\.\d+\.\d+(:\d+)?$/);
    expect(s.value.command(cmd!).ok, `${f}: ${cmd}`).toBe(true);
  }
  expect(suggestedCommand('Try: client connect 198.51.100.1:8080, db connect x', () => true)).toBe('client connect 198.51.100.1:8080');
  expect(suggestedCommand('Try: nosuch ping 1.2.3.4.', () => false)).toBeNull();
  expect(suggestedCommand('no suggestion here', () => true)).toBeNull();
});

test('without one, a connect from another node to a listener', () => {
  const nodes = [
    { name: 'client', interfaces: [{ name: 'eth0', kind: 'veth', addrs: ['10.0.0.1/24'], mac: '', master: null, peer: null }] },
    { name: 'srv', interfaces: [{ name: 'eth0', kind: 'veth', addrs: ['10.0.0.2/24'], mac: '', master: null, peer: null }] },
  ];
  const listen = new Map([['srv', [{ proto: 'tcp' as const, port: 80, app: 'echo' as const, addr: null, uid: 0 }]]]);
  expect(derivedCommand(nodes, listen as never)).toBe('client connect 10.0.0.2:80');
  expect(derivedCommand(nodes, new Map())).toBeNull();
});
