/**
 * The body of the scenario fuzzer's reports (fuzz.report.ts for the
 * iptables-only labs, fuzz-nft.report.ts for the nft flavour): M generated
 * scenarios on nflab and the live kernel, each disagreement printed, shrunk and
 * written out as a case. Without root only a CI budget can be compared,
 * against its recorded answers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { kernelAvailable } from '../../kernel/harness.js';
import type { KnownDifference } from '../known-differences.js';
import type { GenOptions } from './generate.js';
import { runScenario, shrinkAndWrite } from './fuzz.js';

export interface ReportOptions {
  label: string;
  prefix: 'fuzz' | 'nft';
  count: number;
  seed: number;
  ci: { seed: number; scenarios: number; dir: string };
  gen: GenOptions;
  /** Disagreements already listed (of the CI budget): reported, not failed on, when they are exactly as listed. */
  known?: Record<string, KnownDifference>;
}

export function reportSuite(r: ReportOptions): void {
  const k = kernelAvailable();
  const recordedOnly = !k.ok && r.seed === r.ci.seed && r.count <= r.ci.scenarios;
  const lines: string[] = [];
  let agree = 0;
  let differ = 0;
  let known = 0;
  let noted = 0;
  describe.skipIf(!k.ok && !recordedOnly)(`${r.label}: seed ${r.seed}, ${r.count} scenarios (${k.ok ? 'live kernel' : k.why})`, () => {
    afterAll(() => {
      const listed = known ? `, ${known} of them as listed (known)` : '';
      const withNotes = noted ? `; ${noted} agree with parts left uncompared by a deliberate difference (NOTE)` : '';
      const source = k.ok ? 'live kernel' : 'recorded answers';
      console.log(
        [
          '',
          `${r.label}, seed ${r.seed}: ${r.count} scenarios, ${agree} agree, ${differ} disagree${listed}${withNotes} (${source})`,
          ...lines,
          '',
        ].join('\n'),
      );
    });
    const indices = process.env.NFLAB_FUZZ_INDICES
      ? process.env.NFLAB_FUZZ_INDICES.split(',').map(Number)
      : Array.from({ length: r.count }, (_, i) => i);
    for (const i of indices) {
      it(`${r.prefix}-${r.seed}-${i}`, { timeout: 900_000 }, async () => {
        let o = await runScenario(r.seed, i, k.ok ? 'live' : 'recorded', recordedOnly ? r.ci.dir : undefined, r.gen);
        // Ask the kernel once more before calling it a disagreement: a loaded machine can answer late.
        if (o.differences.length && k.ok) o = await runScenario(r.seed, i, 'live', undefined, r.gen);
        if (o.differences.length === 0) {
          agree++;
          if (o.notes.length > 0) {
            noted++;
            lines.push(`NOTE ${o.c.name}`, ...o.notes.map((n) => `        ${n}`));
          }
          return;
        }
        differ++;
        const listed = r.known?.[o.c.name]?.differences;
        const isKnown = listed !== undefined && JSON.stringify(listed) === JSON.stringify(o.differences);
        if (isKnown) known++;
        lines.push(`DIFFERS ${o.c.name}${isKnown ? ' (known)' : ''}`, ...o.differences.map((d) => `        ${d}`));
        if (isKnown) return;
        if (k.ok && process.env.NFLAB_SHRINK !== '0') {
          const s = await shrinkAndWrite(o, process.env.NFLAB_SHRINK_OUT, (l) => lines.push(`        ${l}`));
          lines.push(`        shrunk case: ${s.file}`, ...s.differences.map((d) => `          ${d}`));
        }
        expect(o.differences, o.c.topology).toEqual([]);
      });
    }
  });

  describe.skipIf(k.ok || recordedOnly)(r.label, () => {
    it(`cannot run: ${k.why}`, () => {
      console.log(
        `${r.label}: seed ${r.seed} needs the live kernel (${k.why}); only the CI budget (seed ${r.ci.seed}, ${r.ci.scenarios}) has recorded answers.`,
      );
    });
  });
}
