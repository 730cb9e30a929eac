/** `reset` rebuilds the lab; when the rebuild fails the session must keep the lab it has and keep reporting its events. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { err } from '../core/diagnostic.js';
import { Lab } from '../lab/lab.js';
import { loadTopologyText } from '../topology/load.js';
import { Session, type SessionEvent } from './session.js';

const topo = `hosts:
  a:
    interfaces: { eth0: { addr: 10.0.0.1/24 } }
  b:
    interfaces: { eth0: { addr: 10.0.0.2/24 } }
    listen: [ tcp:80 ]
links:
  - [a:eth0, b:eth0]
`;

function session(): Session {
  const t = loadTopologyText(topo, '<test>', process.cwd());
  if (!t.ok) throw new Error(t.error.map((d) => d.message).join('\n'));
  const s = Session.create(t.value);
  if (!s.ok) throw new Error('session');
  return s.value;
}

function connect(s: Session, seen: SessionEvent[]): string | undefined {
  seen.length = 0;
  expect(s.command('a connect 10.0.0.2:80').ok).toBe(true);
  s.runToQuiet();
  const r = seen.find((e) => e.kind === 'probe.result');
  return r?.kind === 'probe.result' ? r.data.result : undefined;
}

afterEach(() => vi.restoreAllMocks());

describe('session reset', () => {
  it('starts again from time zero with fresh rules and keeps reporting events', () => {
    const s = session();
    const seen: SessionEvent[] = [];
    s.subscribe((e) => seen.push(e));
    expect(s.command('b iptables -A INPUT -p tcp --dport 80 -j DROP').ok).toBe(true);
    expect(connect(s, seen)).toBe('timeout');
    expect(s.now()).toBeGreaterThan(0);
    expect(s.command('reset')).toEqual({ ok: true, output: 'reset' });
    expect(s.now()).toBe(0);
    expect(s.state).toBe('loaded');
    expect(connect(s, seen)).toBe('connected');
    expect(seen.some((e) => e.kind === 'packet.new')).toBe(true);
  });

  it('keeps the old lab, subscribed, and says why when the rebuild fails', () => {
    const s = session();
    const seen: SessionEvent[] = [];
    s.subscribe((e) => seen.push(e));
    expect(s.command('b iptables -A INPUT -p tcp --dport 80 -j DROP').ok).toBe(true);
    vi.spyOn(Lab, 'build').mockReturnValueOnce(err([{ file: 'x.yaml', line: 3, col: 5, message: 'cannot build' }]));
    const r = s.command('reset');
    expect(r.ok).toBe(false);
    expect(r.output).toContain('x.yaml:3:5: cannot build');
    // The old lab's rules are still there, and its packets still reach the listeners.
    expect(s.command('b iptables -S INPUT').output).toContain('-A INPUT -p tcp -m tcp --dport 80 -j DROP');
    expect(connect(s, seen)).toBe('timeout');
    expect(seen.some((e) => e.kind === 'packet.new')).toBe(true);
  });
});
