import { describe, expect, it } from 'vitest';
import { caseTopology, diffObservations, formatDifference, notesOf } from './compare.js';
import type { DiffCase, Observation, ProbeObservation } from './model.js';
import { observeNflab } from './run-nflab.js';

const probe = (counters: string[], oversize?: string[]): ProbeObservation => ({
  kind: 'probe',
  label: '1 send a → 10.0.0.2:53/udp',
  proto: 'udp',
  resultOnly: false,
  result: 'delivered',
  server: 'b',
  sees: '10.0.0.1',
  trace: null,
  counters,
  ...(oversize ? { oversize } : {}),
});
const obs = (p: ProbeObservation): Observation => ({ steps: [p], conntrack: {}, rules: {} });

describe('the comparison and fragments', () => {
  it("skips counters only at the nodes nflab's side marks as receiving datagrams over the MTU", () => {
    const kernel = obs(probe(['a filter :OUTPUT ACCEPT +1:2000', 'b filter :INPUT ACCEPT +2:2040', 'r filter :FORWARD ACCEPT +3:2060']));
    const nflab = probe(['a filter :OUTPUT ACCEPT +1:2000', 'b filter :INPUT ACCEPT +1:2000', 'r filter :FORWARD ACCEPT +1:2000']);
    expect(diffObservations(kernel, obs(nflab)).map(formatDifference)).toHaveLength(2);
    const marked = { ...nflab, oversize: ['b', 'r'] };
    expect(diffObservations(kernel, obs(marked))).toEqual([]);
    expect(notesOf(obs(marked))).toEqual([
      '1 send a → 10.0.0.2:53/udp: trace and counters at b, r not compared: datagrams over the link MTU, which the kernel fragments and nflab sends whole (README, Scope)',
    ]);
    // The sender's own counters (OUTPUT sees the whole datagram on both sides) are still compared.
    const senderDiffers = obs(probe(['a filter :OUTPUT ACCEPT +2:2000'], ['b', 'r']));
    expect(diffObservations(kernel, senderDiffers).map((d) => d.where)).toEqual(['1 send a → 10.0.0.2:53/udp at a']);
  });

  it('marks the receiver of a datagram longer than the link MTU, and only then', () => {
    const c = (line: string): DiffCase => ({
      name: 'oversize',
      covers: [],
      topology: `
name: oversize
hosts:
  a:
    interfaces: { eth0: { addr: 10.0.0.1/24 } }
  b:
    interfaces: { eth0: { addr: 10.0.0.2/24 } }
    listen: [ udp:53 ]
links:
  - [a:eth0, b:eth0]
`,
      steps: [{ kind: 'send', from: 'a', to: '10.0.0.2:53', line }],
    });
    const run = (line: string) => observeNflab(c(line), caseTopology(c(line))).steps[0] as ProbeObservation;
    // The line and its newline, 1473 bytes of UDP payload, make a 1501-byte packet on a 1500-byte link; the echo comes back longer.
    expect(run('x'.repeat(1472)).oversize).toEqual(['a', 'b']);
    expect(run('x'.repeat(1400)).oversize).toBeUndefined();
  });
});
