import { describe, expect, it } from 'vitest';
import { startLifecycle, type SessionState } from './lifecycle.js';

describe('session lifecycle', () => {
  it('moves loaded → running → paused → stepping → paused → finished, reporting each change once', () => {
    const seen: SessionState[] = [];
    const lc = startLifecycle((s) => seen.push(s));
    lc.send({ type: 'RUN' });
    lc.send({ type: 'PAUSE' });
    lc.send({ type: 'PAUSE' });
    lc.send({ type: 'STEP' });
    lc.send({ type: 'STEPPED' });
    lc.send({ type: 'RUN' });
    lc.send({ type: 'IDLE' });
    expect(seen).toEqual(['loaded', 'running', 'paused', 'stepping', 'paused', 'running', 'finished']);
  });

  it('ignores events that make no sense in a state, and runs a finished session again', () => {
    const lc = startLifecycle(() => {});
    lc.send({ type: 'STEPPED' });
    expect(lc.state).toBe('loaded');
    lc.send({ type: 'IDLE' });
    expect(lc.state).toBe('finished');
    lc.send({ type: 'STEPPED' });
    expect(lc.state).toBe('finished');
    lc.send({ type: 'PAUSE' });
    expect(lc.state).toBe('paused');
    lc.send({ type: 'RUN' });
    expect(lc.state).toBe('running');
    lc.send({ type: 'IDLE' });
    lc.send({ type: 'RESET' });
    expect(lc.state).toBe('loaded');
  });

  it('pauses before anything runs, from loaded or finished, so the next probe waits to be stepped', () => {
    for (const first of [null, 'IDLE'] as const) {
      const lc = startLifecycle(() => {});
      if (first) lc.send({ type: first });
      lc.send({ type: 'PAUSE' });
      expect(lc.state).toBe('paused');
      lc.send({ type: 'STEP' });
      lc.send({ type: 'STEPPED' });
      expect(lc.state).toBe('paused');
    }
  });
});
