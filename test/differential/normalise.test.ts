import { describe, expect, it } from 'vitest';
import { counterDeltas, normaliseConntrack, parseCounters, traceByNode, withoutCounters } from './normalise.js';

const BEFORE = `*filter
:INPUT ACCEPT [3:180]
:FORWARD DROP [0:0]
:CHK - [0:0]
[1:60] -A INPUT -p tcp -j CHK
[0:0] -A INPUT -p tcp -j CHK
COMMIT`;
const AFTER = BEFORE.replace('[3:180]', '[4:240]').replace('[0:0] -A INPUT', '[2:120] -A INPUT');

describe('normalise', () => {
  it('keys repeated identical rules by occurrence and skips user-chain headers', () => {
    expect(parseCounters(BEFORE).map((c) => c.key)).toEqual([
      'filter :INPUT ACCEPT',
      'filter :FORWARD DROP',
      'filter -A INPUT -p tcp -j CHK',
      'filter -A INPUT -p tcp -j CHK (2)',
    ]);
  });

  it('reports only counters that moved, with and without bytes', () => {
    expect(counterDeltas('n', BEFORE, AFTER)).toEqual(['n filter :INPUT ACCEPT +1:60', 'n filter -A INPUT -p tcp -j CHK (2) +2:120']);
    expect(counterDeltas('n', BEFORE, AFTER, { packetsOnly: true, tables: new Set(['nat']) })).toEqual([]);
  });

  it('strips counters from a save', () => {
    expect(withoutCounters(AFTER)).toBe(withoutCounters(BEFORE));
    expect(withoutCounters(AFTER)).toContain(':INPUT ACCEPT\n');
  });

  it('blanks ephemeral ports, SNAT-chosen ports and ICMP ids, but keeps fixed ones', () => {
    const e = (sport: number, replyDst: string, replyDport: number) => ({
      proto: 'tcp',
      state: 'TIME_WAIT',
      mark: '0x0',
      flags: ['ASSURED'],
      orig: { src: '10.0.0.1', dst: '10.0.0.2', sport, dport: 80 },
      reply: { src: '10.0.0.2', dst: replyDst, sport: 80, dport: replyDport },
    });
    expect(normaliseConntrack([e(40000, '10.0.0.1', 40000)])).toEqual([
      'tcp TIME_WAIT 10.0.0.1:*>10.0.0.2:80 reply 10.0.0.2:80>10.0.0.1:* [ASSURED]',
    ]);
    expect(normaliseConntrack([e(40000, '10.0.0.1', 40000)], new Set([40000]))).toEqual([
      'tcp TIME_WAIT 10.0.0.1:40000>10.0.0.2:80 reply 10.0.0.2:80>10.0.0.1:40000 [ASSURED]',
    ]);
    expect(normaliseConntrack([e(5000, '10.0.9.1', 1234)])).toEqual([
      'tcp TIME_WAIT 10.0.0.1:5000>10.0.0.2:80 reply 10.0.0.2:80>10.0.9.1:* [ASSURED]',
    ]);
    // A clash moved the port on the same address (fuzz-8-2: the kernel took 291, nflab 433); a kept port is compared.
    expect(normaliseConntrack([e(53, '10.0.0.1', 291)])).toEqual([
      'tcp TIME_WAIT 10.0.0.1:53>10.0.0.2:80 reply 10.0.0.2:80>10.0.0.1:* [ASSURED]',
    ]);
    expect(normaliseConntrack([e(53, '10.0.0.1', 53)])).toEqual([
      'tcp TIME_WAIT 10.0.0.1:53>10.0.0.2:80 reply 10.0.0.2:80>10.0.0.1:53 [ASSURED]',
    ]);
    const icmp = {
      proto: 'icmp',
      mark: '0x5',
      flags: [],
      orig: { src: 'a', dst: 'b', type: 8, code: 0, id: 77 },
      reply: { src: 'b', dst: 'a', type: 0, code: 0, id: 77 },
    };
    expect(normaliseConntrack([icmp])).toEqual(['icmp a>b type=8 code=0 reply b>a type=0 code=0 mark=0x5']);
  });

  it('groups trace steps per node in order', () => {
    const t = traceByNode([
      { node: 'a', hook: 'OUTPUT', table: 'filter', chain: 'OUTPUT', rule: null, verdict: 'ACCEPT', policy: true },
      { node: 'b', hook: 'INPUT', table: 'filter', chain: 'X', rule: 2, verdict: 'DROP' },
      { node: 'a', hook: 'POSTROUTING', table: 'nat', chain: 'POSTROUTING', rule: 1, verdict: 'ACCEPT' },
    ]);
    expect(t).toEqual({ a: ['OUTPUT filter/OUTPUT#policy ACCEPT', 'POSTROUTING nat/POSTROUTING#1 ACCEPT'], b: ['INPUT filter/X#2 DROP'] });
  });
});
