/**
 * With root: one test per case runs it on the real kernel. The live answer
 * must match the case's recorded answer (else the record is stale), and nflab
 * must agree with it or differ exactly as known-differences.ts documents (so
 * fixing nflab forces that list to shrink). Without root, cases.test.ts makes
 * the same comparison against the records.
 */
import { describe, expect, it } from 'vitest';
import { kernelAvailable } from '../kernel/harness.js';
import { allCases } from './all-cases.js';
import { diffObservations, formatDifference } from './compare.js';
import { liveAnswer } from './kernel-answer.js';
import { KNOWN_DIFFERENCES } from './known-differences.js';
import { toolMissing } from './run-kernel.js';
import { observeNflab } from './run-nflab.js';

const k = kernelAvailable();

describe.skipIf(!k.ok)(`nflab against the live kernel (${k.why})`, () => {
  for (const { c, topo } of allCases()) {
    const missing = toolMissing(c.needs);
    // One retry, on a freshly built pair of labs: on a loaded 2-core machine the real kernel now and
    // then answers a probe later than the 700 ms the prober waits (seen once in a CI-like run, for
    // an ICMP error). nflab itself is deterministic, so a real difference shows twice.
    it.skipIf(missing !== null)(`${c.name}${missing ? ` (skipped: ${missing})` : ''}`, { retry: 1 }, async () => {
      const kernel = await liveAnswer(c, topo);
      const seen = diffObservations(kernel, observeNflab(c, topo)).map(formatDifference);
      const known = KNOWN_DIFFERENCES[c.name];
      expect(seen, known ? `documented: ${known.reason}` : 'nflab and the kernel should agree').toEqual(known?.differences ?? []);
    });
  }
});
