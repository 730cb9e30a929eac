import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../src/core/diagnostic.js';
import { loadScenarioFile } from '../src/scenario/load.js';
import { runScenario } from '../src/scenario/runner.js';
import { isKnown, KNOWN_ENGINE_BUGS } from './scenarios-known-engine-bugs.js';

const dir = join(import.meta.dirname, '..', 'scenarios');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('bundled scenarios', () => {
  it('there are scenarios to run', () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
  });

  for (const f of files) {
    it(`${f} passes`, () => {
      const sc = loadScenarioFile(join(dir, f));
      expect(sc.ok ? [] : sc.error.map(formatDiagnostic)).toEqual([]);
      if (!sc.ok) return;
      const report = runScenario(sc.value);
      const unexpected: string[] = [];
      const seenKnown = new Set<string>();
      for (const s of report.steps) {
        for (const fl of s.failures) {
          if (isKnown(f, s.step, fl.expected)) seenKnown.add(`${s.step} ${fl.expected}`);
          else
            unexpected.push(
              `${f} step ${s.step} (${s.name || s.kind}): expected ${fl.expected}; seen ${fl.seen}${fl.why_not ? `; ${fl.why_not}` : ''}`,
            );
        }
      }
      expect(unexpected, unexpected.join('\n')).toEqual([]);
      const fixed = KNOWN_ENGINE_BUGS.filter((k) => k.file === f && !seenKnown.has(`${k.step} ${k.expected}`)).map(
        (k) =>
          `${f} step ${k.step}: "${k.expected}" now holds: remove it from test/scenarios-known-engine-bugs.ts and its # ENGINE BUG comment`,
      );
      expect(fixed, fixed.join('\n')).toEqual([]);
    });
  }

  it('runs are deterministic: the same scenario and seed give the same report', () => {
    const sc = loadScenarioFile(join(dir, 'kube-proxy.yaml'));
    if (!sc.ok) throw new Error(sc.error.map(formatDiagnostic).join('\n'));
    const a = runScenario(sc.value);
    const b = runScenario(sc.value);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('the seed decides the random endpoint choices', () => {
    const sc = loadScenarioFile(join(dir, 'kube-proxy.yaml'));
    if (!sc.ok) throw new Error(sc.error.map(formatDiagnostic).join('\n'));
    const dist = (seed: number) => JSON.stringify(runScenario({ ...sc.value, seed }).steps.find((s) => s.repeat)?.distribution);
    expect(dist(1)).not.toBe(dist(2));
  });
});
