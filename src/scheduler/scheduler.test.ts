import { describe, expect, it } from 'vitest';
import { Scheduler } from './scheduler.js';

describe('Scheduler', () => {
  it('runs events in time order, and same-time events in scheduling order', () => {
    const s = new Scheduler();
    const seen: string[] = [];
    s.at(30, () => seen.push('c'));
    s.at(10, () => seen.push('a1'));
    s.at(10, () => seen.push('a2'));
    s.at(20, () => {
      seen.push('b');
      s.after(0, () => seen.push('b-now'));
      s.after(5, () => seen.push('b+5'));
    });
    s.runUntil(Infinity);
    expect(seen).toEqual(['a1', 'a2', 'b', 'b-now', 'b+5', 'c']);
    expect(s.now()).toBe(30);
  });

  it('skips cancelled events and counts only live ones', () => {
    const s = new Scheduler();
    const seen: number[] = [];
    const h = s.at(5, () => seen.push(5));
    s.at(6, () => seen.push(6));
    expect(s.pending()).toBe(2);
    h.cancel();
    h.cancel();
    expect(s.pending()).toBe(1);
    s.runUntil(Infinity);
    expect(seen).toEqual([6]);
  });

  it('runUntil stops at the bound and advances the clock to it', () => {
    const s = new Scheduler();
    const seen: number[] = [];
    for (const t of [1, 2, 3, 10]) s.at(t, () => seen.push(t));
    expect(s.runUntil(5, 2)).toBe(true);
    expect(seen).toEqual([1, 2]);
    expect(s.runUntil(5)).toBe(false);
    expect(seen).toEqual([1, 2, 3]);
    expect(s.now()).toBe(5);
    expect(s.nextAt()).toBe(10);
  });

  it('never schedules into the past', () => {
    const s = new Scheduler();
    s.runUntil(100);
    let ranAt = -1;
    s.at(50, () => (ranAt = s.now()));
    s.runUntil(Infinity);
    expect(ranAt).toBe(100);
  });
});
