/**
 * The front ends' stand-in against the real session: on the same topology the
 * two must list the same nodes, answer the session commands with the same text
 * and go through the same states, so a front-end test on the fake means what
 * it would on the engine.
 */
import { describe, expect, it } from 'vitest';
import { loadTopologyText } from '../topology/load.js';
import type { SessionEvent } from './events.js';
import type { SessionPort } from './port.js';
import { Session } from './session.js';
import { FakeSession } from './testing/fake-session.js';

const topo = `hosts:
  client:
    interfaces: { eth0: { addr: 198.51.100.10/24 } }
  docker-host:
    interfaces:
      eth0: { addr: 198.51.100.1/24 }
      docker0: { kind: bridge, addr: 172.17.0.1/16 }
      veth-web: { master: docker0 }
    namespaces:
      web:
        interfaces: { eth0: { addr: 172.17.0.2/16 } }
links:
  - [client:eth0, docker-host:eth0]
  - [docker-host/web:eth0, docker-host:veth-web]
`;

function both(): [Session, FakeSession] {
  const t = loadTopologyText(topo, '<test>', process.cwd());
  if (!t.ok) throw new Error(t.error.map((d) => d.message).join('\n'));
  const s = Session.create(t.value);
  if (!s.ok) throw new Error('session');
  return [s.value, new FakeSession(t.value)];
}

/** Runs the same command lines on a session, returning the answers and the states it reported. */
function drive(s: SessionPort, lines: string[]): { answers: string[]; states: string[] } {
  const states: string[] = [];
  s.subscribe((e: SessionEvent) => {
    if (e.kind === 'sim.state') states.push(e.data.state);
  });
  const answers = lines.map((l) => {
    const r = s.command(l);
    return `${r.ok ? 'ok' : 'error'}: ${r.output}`;
  });
  return { answers, states };
}

describe('the shared fake session', () => {
  it('lists the nodes and interfaces the real session lists, and resolves short names alike', () => {
    const [real, fake] = both();
    expect(fake.nodes()).toEqual(real.nodes());
    expect(fake.nodeNames()).toEqual(real.nodeNames());
    for (const n of ['web', 'client', 'docker-host/web', 'nope']) expect(fake.resolveNode(n)).toBe(real.resolveNode(n));
    expect(fake.topologyJson()).toEqual(real.topologyJson());
  });

  it('answers the session commands with the same text and the same state changes, with nothing to run', () => {
    const lines = ['help', 'nodes', 'step', 'run', 'pause', 'step 3', 'reset', 'frobnicate', 'web', 'step'];
    const [real, fake] = both();
    expect(drive(fake, lines)).toEqual(drive(real, lines));
  });

  it('delivers queued events one step at a time, then finishes', () => {
    const [, fake] = both();
    const seen: string[] = [];
    fake.subscribe((e) => seen.push(e.kind));
    fake.enqueue(
      { t_us: 5, kind: 'log', node: 'client', data: 'a' },
      { t_us: 9, kind: 'rules.changed', node: 'client', data: 'iptables -F' },
    );
    expect(fake.command('step').output).toBe('ran 1 event; t=0.000005s');
    expect(fake.state).toBe('paused');
    expect(fake.command('step 5').output).toBe('ran 1 event; t=0.000009s');
    expect(fake.state).toBe('finished');
    // stepping, log, paused; stepping, rules.changed, finished; and the step that found nothing: stepping, finished.
    expect(seen).toEqual(['sim.state', 'log', 'sim.state', 'sim.state', 'rules.changed', 'sim.state', 'sim.state', 'sim.state']);
    expect(fake.command('client connect 198.51.100.1:80').ok).toBe(true);
    expect(fake.received).toEqual(['client connect 198.51.100.1:80']);
  });
});
