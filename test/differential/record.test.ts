/**
 * The recorded kernel answers bite: a wrong engine fails the comparison
 * without root, an edited case is refused until re-recorded, and a live
 * kernel that no longer answers as recorded is a stale record.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ProbeOutcome } from '../../src/apps/probes.js';
import { Lab } from '../../src/lab/lab.js';
import { allCases } from './all-cases.js';
import { diffObservations, formatDifference } from './compare.js';
import { liveAnswer, recordedAnswer, StaleRecord } from './kernel-answer.js';
import { KNOWN_DIFFERENCES } from './known-differences.js';
import type { Observation, ProbeObservation } from './model.js';
import { caseFingerprint, formatRecord, readRecord, writeRecord } from './record.js';
import { observeNflab } from './run-nflab.js';

const all = allCases();
const agrees = (kernel: Observation, nflab: Observation, name: string) =>
  JSON.stringify(diffObservations(kernel, nflab).map(formatDifference)) === JSON.stringify(KNOWN_DIFFERENCES[name]?.differences ?? []);

describe('recorded kernel answers', () => {
  afterEach(() => vi.restoreAllMocks());

  it('every case has a record for exactly its topology and steps', () => {
    for (const { c, topo } of all) {
      const r = readRecord(c, topo);
      expect(r.ok, r.ok ? c.name : r.why).toBe(true);
    }
  });

  it('an engine whose every probe times out fails every case where the kernel saw anything else', () => {
    vi.spyOn(Lab.prototype, 'probe').mockImplementation((_kind, _from, _o, done: (r: ProbeOutcome) => void) =>
      done({ result: 'timeout', server: null, serverSees: null, answer: null, local: null, error: null, trace: null }),
    );
    let caught = 0;
    let answered = 0;
    for (const { c, topo } of all) {
      const kernel = recordedAnswer(c, topo);
      if (!kernel.steps.some((s) => s.kind === 'probe' && s.result !== 'timeout')) continue;
      answered++;
      if (!agrees(kernel, observeNflab(c, topo), c.name)) caught++;
    }
    expect(answered).toBeGreaterThan(40);
    expect(caught).toBe(answered);
  });

  it('one wrong field anywhere fails the comparison', () => {
    const perturbations: Array<[string, (o: Observation) => boolean]> = [
      ['a result', (o) => mutateProbe(o, (p) => (p.result = p.result === 'refused' ? 'timeout' : 'refused'))],
      ['a server', (o) => mutateProbe(o, (p) => (p.server = p.server === null ? 'nobody' : null))],
      ['what the server saw', (o) => mutateProbe(o, (p) => (p.sees = '192.0.2.99'))],
      [
        'a trace',
        (o) =>
          mutateProbe(o, (p) => {
            if (p.trace === null) return false;
            p.trace = { ...p.trace, x: ['INPUT filter/INPUT#9 DROP'] };
            return true;
          }),
      ],
      ['a counter', (o) => mutateProbe(o, (p) => p.counters !== null && p.counters.push('x nat :PREROUTING ACCEPT +7') > 0)],
      ['a conntrack entry', (o) => Object.values(o.conntrack)[0]?.push('udp 1.2.3.4:1>5.6.7.8:2 reply 5.6.7.8:2>1.2.3.4:1') !== undefined],
    ];
    for (const [what, mutate] of perturbations) {
      let tried = 0;
      for (const { c, topo } of all.slice(0, 12)) {
        const kernel = recordedAnswer(c, topo);
        const nflab = observeNflab(c, topo);
        expect(agrees(kernel, nflab, c.name), c.name).toBe(true);
        if (!mutate(nflab)) continue;
        tried++;
        expect(agrees(kernel, nflab, c.name), `${c.name}: ${what}`).toBe(false);
      }
      expect(tried, what).toBeGreaterThan(0);
    }
  });

  it('a changed case is refused until it is recorded again', () => {
    const { c, topo } = all[0];
    const edited = { ...c, steps: [...c.steps, { kind: 'ping' as const, from: 'client', to: '10.0.0.2' }] };
    expect(caseFingerprint(edited, topo)).not.toBe(caseFingerprint(c, topo));
    const r = readRecord(edited, topo);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.why).toMatch(/changed since its kernel answer was recorded/);
  });

  it('a live kernel that answers otherwise than recorded is a stale record; recording writes it afresh', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nfs-record-'));
    try {
      const { c, topo } = all[0];
      const recorded = recordedAnswer(c, topo);
      writeRecord(c, topo, recorded, 'test', dir);
      const same = () => Promise.resolve(structuredClone(recorded));
      await expect(liveAnswer(c, topo, { observe: same, dir, record: false })).resolves.toEqual(recorded);
      const drifted = () => {
        const o = structuredClone(recorded);
        mutateProbe(o, (p) => (p.result = 'unreachable'));
        return Promise.resolve(o);
      };
      await expect(liveAnswer(c, topo, { observe: drifted, dir, record: false })).rejects.toThrow(StaleRecord);
      await expect(liveAnswer(c, topo, { observe: drifted, dir, record: false })).rejects.toThrow(/stale record.*result: recorded/s);
      await liveAnswer(c, topo, { observe: drifted, dir, record: true });
      expect(recordedAnswer(c, topo, dir)).toEqual(await drifted());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a record reads back as it was written', () => {
    const { c, topo } = all[0];
    const observation = recordedAnswer(c, topo);
    const text = formatRecord({ case: c.name, fingerprint: caseFingerprint(c, topo), kernel: 'k', observation });
    expect(JSON.parse(text).observation).toEqual(observation);
  });
});

/** Changes the first probe the mutation applies to; false when none. */
function mutateProbe(o: Observation, f: (p: ProbeObservation) => unknown): boolean {
  for (const s of o.steps) if (s.kind === 'probe' && s.resultOnly === false && f(s) !== false) return true;
  return false;
}
