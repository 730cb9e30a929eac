import { describe, expect, it } from 'vitest';
import { Filter } from './client.js';
import { EventLog } from './event-log.js';

const hop = (t: number, from: string, to: string) => ({
  t_us: t,
  kind: 'packet.hop' as const,
  packet: 1,
  node: from,
  step: { node: from, link: { from: `${from}:eth0`, to: `${to}:eth1`, at_us: t + 5 } },
});

describe('EventLog', () => {
  it('numbers events, serialises them once as event messages, and knows which nodes they touch', () => {
    const log = new EventLog(10);
    const a = log.append(hop(7, 'h1/ns', 'h2'));
    const b = log.append({ t_us: 9, kind: 'sim.state', data: { state: 'paused' } });
    expect([a.id, b.id]).toEqual([1, 2]);
    expect(JSON.parse(a.json)).toEqual({
      type: 'event',
      id: 1,
      t_us: 7,
      kind: 'packet.hop',
      node: 'h1/ns',
      packet: 1,
      step: hop(7, 'h1/ns', 'h2').step,
    });
    expect(a.nodes).toEqual(['h1/ns', 'h2']);
    expect(a.family).toBe('packet');
    expect(b.nodes).toEqual([]);
    expect(log.last).toBe(2);
    expect(log.oldest).toBe(1);
  });

  it('keeps only the newest events and refuses resumes that reach past them', () => {
    const log = new EventLog(4);
    for (let i = 0; i < 10; i++) log.append({ t_us: i, kind: 'log', node: 'x', data: String(i) });
    expect(log.oldest).toBe(7);
    const ok = log.after(6);
    expect(ok.ok && ok.events.map((e) => e.id)).toEqual([7, 8, 9, 10]);
    const part = log.after(8, 9);
    expect(part.ok && part.events.map((e) => e.id)).toEqual([9]);
    expect(log.after(5)).toMatchObject({ ok: false, code: 'resume-too-old' });
    expect(log.after(11)).toMatchObject({ ok: false, code: 'resume-unknown-id' });
    expect(log.after(10)).toEqual({ ok: true, events: [] });
    expect(() => new EventLog(0)).toThrow(RangeError);
  });

  it('filters by node (either end of a hop) and by kind or family', () => {
    const log = new EventLog(8);
    const h = log.append(hop(1, 'a', 'b'));
    const s = log.append({ t_us: 1, kind: 'sim.state', data: { state: 'running' } });
    const r = log.append({ t_us: 1, kind: 'rules.changed', node: 'c', data: 'iptables -F' });
    const only = (nodes: string[] | null, kinds: string[] | null) =>
      [h, s, r].filter((e) => new Filter({ nodes, kinds }).matches(e)).map((e) => e.kind);
    expect(only(['b'], null)).toEqual(['packet.hop', 'sim.state']);
    expect(only(['c'], null)).toEqual(['sim.state', 'rules.changed']);
    expect(only(null, ['packet.*'])).toEqual(['packet.hop']);
    expect(only(['a'], ['rules.changed', 'sim.state'])).toEqual(['sim.state']);
    expect(only(null, null)).toHaveLength(3);
  });
});
