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
/** One probe of a several-step observation, with what nflab's side marked on it (`clashDrops`, `retrying`). */
const step = (
  label: string,
  counters: string[],
  conntrack: Record<string, string[]>,
  marks: Pick<ProbeObservation, 'clashDrops' | 'retrying'> = {},
): ProbeObservation => ({ ...probe(counters), label, conntrack, ...marks });

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

describe('the comparison and a failed NAT port search', () => {
  it('marks the node whose conntrack dropped a clashing entry, and only in that probe', () => {
    // One source port to map to: the second flow to the same server finds none free and is dropped at confirm.
    const c: DiffCase = {
      name: 'clash',
      covers: [],
      topology: `
name: clash
hosts:
  a:
    interfaces: { eth0: { addr: 10.0.0.1/24 } }
    iptables: |
      *nat
      -A POSTROUTING -p udp -j SNAT --to-source 10.0.0.1:1000
      COMMIT
  b:
    interfaces: { eth0: { addr: 10.0.0.2/24 } }
    listen: [ udp:53 ]
links:
  - [a:eth0, b:eth0]
`,
      steps: [
        { kind: 'send', from: 'a', to: '10.0.0.2:53', sport: 5000, line: 'one' },
        { kind: 'send', from: 'a', to: '10.0.0.2:53', sport: 5001, line: 'two' },
      ],
    };
    const [first, second] = observeNflab(c, caseTopology(c)).steps as ProbeObservation[];
    expect(first.result).toBe('delivered');
    expect(first.clashDrops).toBeUndefined();
    expect(second.result).toBe('timeout');
    expect(second.clashDrops).toEqual(['a']);
  });

  it("stops comparing that node's counters and conntrack from the marked probe on", () => {
    const kernel: Observation = {
      steps: [
        step('1 send', ['a nat -A OUTPUT +1'], { a: ['udp x'], b: ['udp y'] }),
        step('2 send', ['a nat -A OUTPUT +480'], { a: ['udp x', 'udp 480 more'], b: ['udp y'] }),
        step('3 send', ['a nat -A OUTPUT +1', 'b filter :INPUT ACCEPT +1'], { a: ['udp z'], b: ['udp y'] }),
      ],
      conntrack: { a: ['udp z'], b: ['udp y'] },
      rules: {},
    };
    const nflab = (mark: boolean): Observation => ({
      steps: [
        step('1 send', ['a nat -A OUTPUT +1'], { a: ['udp x'], b: ['udp y'] }),
        step('2 send', ['a nat -A OUTPUT +489'], { a: ['udp x', 'udp 489 more'], b: ['udp y'] }, mark ? { clashDrops: ['a'] } : {}),
        step('3 send', ['a nat -A OUTPUT +1', 'b filter :INPUT ACCEPT +2'], { a: ['udp w'], b: ['udp y'] }),
      ],
      conntrack: { a: ['udp w'], b: ['udp y'] },
      rules: {},
    });
    expect(diffObservations(kernel, nflab(false)).map((d) => `${d.where} ${d.aspect}`)).toEqual([
      '2 send at a counters',
      '2 send at a conntrack',
      '3 send at b counters',
      '3 send at a conntrack',
      'end at a conntrack',
    ]);
    // Node b is still compared: its counter differs in step 3 whatever happened at a.
    expect(diffObservations(kernel, nflab(true)).map((d) => `${d.where} ${d.aspect}`)).toEqual(['3 send at b counters']);
    expect(notesOf(nflab(true))).toEqual([
      '2 send: counters and conntrack at a not compared from here on: NAT found no free port there, and where a random port search fails differs between the two sides (README, Kernel comparison)',
    ]);
  });
});

describe('the comparison and a connection still retransmitting', () => {
  const kernel: Observation = {
    steps: [
      step('1 connect', ['a filter -A OUTPUT -j REJECT +1'], { a: ['tcp FIN_WAIT'] }),
      step('2 send', ['a filter -A OUTPUT -j REJECT +2'], { a: ['tcp LAST_ACK'] }),
    ],
    conntrack: { a: ['tcp LAST_ACK'] },
    rules: {},
  };
  const nflab = (retrying?: string[]): Observation => ({
    steps: [
      step('1 connect', ['a filter -A OUTPUT -j REJECT +1'], { a: ['tcp FIN_WAIT'] }),
      step('2 send', [], { a: ['tcp FIN_WAIT'] }, retrying ? { retrying } : {}),
    ],
    conntrack: { a: ['tcp FIN_WAIT'] },
    rules: {},
  });

  it("leaves that node's counters and conntrack uncompared in the probe it marks, and in the end listing after it", () => {
    expect(diffObservations(kernel, nflab()).map((d) => `${d.where} ${d.aspect}`)).toEqual([
      '2 send at a counters',
      '2 send at a conntrack',
      'end at a conntrack',
    ]);
    expect(diffObservations(kernel, nflab(['a']))).toEqual([]);
    expect(notesOf(nflab(['a']))).toEqual([
      '2 send: counters and conntrack at a not compared: a TCP connection there was retransmitting on its timer, which runs on wall time on the kernel side (README, Kernel comparison)',
    ]);
  });

  it('marks a node whose connection lost a segment after conntrack saw it, in the probes after', () => {
    // The client's own OUTPUT drops its ESTABLISHED segments: its line and FIN are retried on the timer.
    const c: DiffCase = {
      name: 'retrying',
      covers: [],
      topology: `
name: retrying
hosts:
  a:
    interfaces: { eth0: { addr: 10.0.0.1/24 } }
    iptables: |
      *mangle
      -A OUTPUT -p tcp -m conntrack --ctstate ESTABLISHED -j DROP
      COMMIT
  b:
    interfaces: { eth0: { addr: 10.0.0.2/24 } }
    listen: [ tcp:80, udp:53 ]
links:
  - [a:eth0, b:eth0]
`,
      steps: [
        { kind: 'send', from: 'a', to: '10.0.0.2:53', line: 'before' },
        { kind: 'connect', from: 'a', to: '10.0.0.2:80' },
        { kind: 'send', from: 'a', to: '10.0.0.2:53', line: 'after' },
      ],
    };
    const steps = observeNflab(c, caseTopology(c)).steps as ProbeObservation[];
    // a retries its line and FIN; b never saw the handshake's last ACK and retries its SYN-ACK.
    expect(steps.map((s) => s.retrying)).toEqual([undefined, undefined, ['a', 'b']]);
  });
});
