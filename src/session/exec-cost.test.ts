/** What the terminal UI and the feed show for a rule change: its price, and the lab's time once it took effect. */
import { describe, expect, it } from 'vitest';
import { loadTopologyText } from '../topology/load.js';
import { Session, type SessionEvent } from './session.js';

const topo = `rule_updates: { timing: modelled }
hosts:
  gw:
    interfaces: { eth0: { addr: 10.0.0.1/24 } }
`;

function session(): Session {
  const t = loadTopologyText(topo, '<test>', process.cwd());
  if (!t.ok) throw new Error(t.error.map((d) => d.message).join('\n'));
  const s = Session.create(t.value);
  if (!s.ok) throw new Error('session');
  return s.value;
}

describe('exec of a rule change in a session', () => {
  it('reports the cost, emits rules.update then rules.changed, and returns once the change took effect', () => {
    const s = session();
    const seen: SessionEvent[] = [];
    s.subscribe((e) => seen.push(e));
    const r = s.command('gw iptables-legacy -A INPUT -j ACCEPT');
    expect(r.ok).toBe(true);
    expect(r.output).toMatch(/^\(legacy update: [\d.]+ ms, .+; took effect at t=\d+\.\d{6}s\)$/);
    const kinds = seen.map((e) => e.kind).filter((k) => k.startsWith('rules.'));
    expect(kinds).toEqual(['rules.update', 'rules.changed']);
    const u = seen.find((e) => e.kind === 'rules.update')!.data as { commit_us: number; cost_us: number };
    expect(u.cost_us).toBeGreaterThan(0);
    expect(s.now()).toBe(u.commit_us);
    expect(s.command('gw iptables -S INPUT').output).toBe('-P INPUT ACCEPT\n-A INPUT -j ACCEPT');
  });
});
