import { describe, expect, it } from 'vitest';
import type { PacketSummary, RuleTraceStep, TraceStep } from '../trace/steps.js';
import { storyOf } from './story.js';

const packet: PacketSummary = { proto: 'tcp', src: '198.51.100.10:40000', dst: '198.51.100.1:8080', ttl: 64, len: 60, mark: '0x0' };
const N = 'docker-host';

function rule(table: string, hook: string, chain: string, n: number | null, verdict: string, target?: string): RuleTraceStep {
  return { node: N, hook, table, chain, rule: n, verdict, ...(target ? { target } : {}), ...(n === null ? { policy: true } : {}), packet };
}

const dnat: TraceStep[] = [
  rule('nat', 'PREROUTING', 'PREROUTING', 1, 'JUMP:DOCKER'),
  rule('nat', 'PREROUTING', 'DOCKER', 1, 'ACCEPT', 'DNAT'),
  {
    node: N,
    nat: {
      hook: 'PREROUTING',
      kind: 'DNAT',
      before: '198.51.100.10:40000 → 198.51.100.1:8080',
      after: '198.51.100.10:40000 → 172.17.0.2:80',
    },
  },
];

describe('the one-line story of a node', () => {
  it('names the jump path, the NAT rewrite once, and the conntrack state last', () => {
    const steps: TraceStep[] = [
      { node: N, conntrack: { hook: 'PREROUTING', state: 'NEW', dir: 'original', orig: null, reply: null } },
      ...dnat,
      rule('filter', 'FORWARD', 'FORWARD', null, 'ACCEPT'),
    ];
    expect(storyOf(N, steps, 'received')).toBe(
      'docker-host: nat/PREROUTING#1→DOCKER#1 DNAT 198.51.100.1:8080→172.17.0.2:80; filter/FORWARD ACCEPT; ct NEW',
    );
  });

  it('leaves out detours into chains that returned having done nothing, explicitly or by falling off the end', () => {
    const steps: TraceStep[] = [
      rule('filter', 'FORWARD', 'FORWARD', 1, 'JUMP:DOCKER-USER'),
      rule('filter', 'FORWARD', 'DOCKER-USER', 1, 'RETURN'),
      rule('filter', 'FORWARD', 'FORWARD', 2, 'JUMP:DOCKER-ISOLATION-STAGE-1'),
      rule('filter', 'FORWARD', 'DOCKER-ISOLATION-STAGE-1', 1, 'JUMP:DOCKER-ISOLATION-STAGE-2'),
      rule('filter', 'FORWARD', 'DOCKER-ISOLATION-STAGE-2', 2, 'RETURN'),
      rule('filter', 'FORWARD', 'DOCKER-ISOLATION-STAGE-1', 2, 'RETURN'),
      rule('filter', 'FORWARD', 'FORWARD', 3, 'JUMP:LOGGING'),
      // LOGGING had no matching rule: an implicit return, no step.
      rule('filter', 'FORWARD', 'FORWARD', 4, 'JUMP:DOCKER'),
      rule('filter', 'FORWARD', 'DOCKER', 1, 'ACCEPT'),
    ];
    expect(storyOf(N, steps, 'received')).toBe('docker-host: filter/FORWARD#4→DOCKER#1 ACCEPT');
  });

  it('keeps what a subchain did before returning, and the rule that ended the walk', () => {
    const steps: TraceStep[] = [
      rule('mangle', 'PREROUTING', 'PREROUTING', 1, 'JUMP:MARKS'),
      rule('mangle', 'PREROUTING', 'MARKS', 2, 'CONTINUE', 'MARK'),
      rule('mangle', 'PREROUTING', 'MARKS', 3, 'RETURN'),
      rule('mangle', 'PREROUTING', 'PREROUTING', null, 'ACCEPT'),
      rule('filter', 'INPUT', 'INPUT', 2, 'DROP', 'REJECT'),
      { node: N, drop: { reason: 'rejected', hook: 'INPUT' } },
    ];
    expect(storyOf(N, steps, 'received')).toBe(
      'docker-host: mangle/PREROUTING#1→MARKS#2 MARK, MARKS#3 RETURN, PREROUTING ACCEPT; filter/INPUT#2 REJECT; dropped (rejected)',
    );
  });

  it('a goto returns to where the chain it left would have', () => {
    const steps: TraceStep[] = [
      rule('filter', 'INPUT', 'INPUT', 1, 'JUMP:A'),
      rule('filter', 'INPUT', 'A', 1, 'GOTO:B'),
      rule('filter', 'INPUT', 'B', 1, 'CONTINUE', 'LOG'),
      // B ends without a verdict: back in INPUT, not in A.
      rule('filter', 'INPUT', 'INPUT', 2, 'ACCEPT'),
    ];
    expect(storyOf(N, steps, 'received')).toBe('docker-host: filter/INPUT#1→A#1→B#1 LOG, INPUT#2 ACCEPT');
  });

  it('drops raw/mangle/nat walks that ended on ACCEPT policy, keeps filter policies', () => {
    const steps: TraceStep[] = [
      rule('raw', 'PREROUTING', 'PREROUTING', null, 'ACCEPT'),
      rule('nat', 'PREROUTING', 'PREROUTING', null, 'ACCEPT'),
      rule('filter', 'INPUT', 'INPUT', null, 'DROP'),
    ];
    expect(storyOf(N, steps, 'received')).toBe('docker-host: filter/INPUT DROP');
  });

  it('shows NAT done by conntrack for a later packet, and the reply direction', () => {
    const steps: TraceStep[] = [
      { node: N, conntrack: { hook: 'PREROUTING', state: 'ESTABLISHED', dir: 'reply', orig: null, reply: null } },
      { node: N, nat: { hook: 'POSTROUTING', kind: 'SNAT', before: '172.17.0.3 → 198.51.100.10', after: '198.51.100.1 → 198.51.100.10' } },
    ];
    expect(storyOf(N, steps, 'sent')).toBe('docker-host: SNAT 172.17.0.3→198.51.100.1 (conntrack); ct ESTABLISHED reply');
  });

  it('says what happened when no rule had a say', () => {
    expect(storyOf('web', [], 'sent')).toBe('web: sent');
    expect(storyOf('web', [{ node: 'web', deliver: { socket: 'tcp:80', app: 'echo' } }], 'received')).toBe(
      'web: delivered to tcp:80 (echo)',
    );
  });
});
