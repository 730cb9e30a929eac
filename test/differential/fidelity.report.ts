/**
 * `npm run fidelity`: runs every differential case and prints, per case,
 * "agree" or each difference, then the share of cases that agree. A case that
 * differs as known-differences.ts documents is counted as a difference (it is
 * one) but does not fail the run; an undocumented difference does.
 * With root the kernel runs live (and must match its record, or with
 * `--record` writes it); without root the recorded answers stand in.
 * FIDELITY_JSON=path also writes the full results as JSON.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelAvailable } from '../kernel/harness.js';
import { allCases } from './all-cases.js';
import { diffObservations, formatDifference, notesOf } from './compare.js';
import { liveAnswer, recordedAnswer } from './kernel-answer.js';
import { KNOWN_DIFFERENCES } from './known-differences.js';
import type { CaseResult } from './model.js';
import { toolMissing } from './run-kernel.js';
import { observeNflab } from './run-nflab.js';

const k = kernelAvailable();
const rows: Array<{ name: string; status: 'agree' | 'known' | 'differs' | 'skipped'; lines: string[]; notes: string[] }> = [];

function table(): string {
  const out: string[] = ['', 'nflab fidelity against the Linux kernel', ''];
  for (const r of rows) {
    const mark = { agree: 'agree  ', known: 'known  ', differs: 'DIFFERS', skipped: 'skipped' }[r.status];
    out.push(`${mark}  ${r.name}`);
    for (const l of r.lines) out.push(`           ${l}`);
    for (const n of r.notes) out.push(`           note: ${n}`);
  }
  const run = rows.filter((r) => r.status !== 'skipped');
  const agree = run.filter((r) => r.status === 'agree').length;
  const pct = run.length ? ((100 * agree) / run.length).toFixed(1) : '0.0';
  out.push(
    '',
    `${agree} of ${run.length} cases agree (${pct}%); ${run.filter((r) => r.status === 'known').length} differ as documented, ${run.filter((r) => r.status === 'differs').length} differ undocumented, ${rows.length - run.length} skipped`,
    '',
  );
  return out.join('\n');
}

describe(`fidelity (${k.ok ? 'live kernel' : `recorded kernel answers: ${k.why}`})`, () => {
  const results: CaseResult[] = [];
  afterAll(() => {
    console.log(table());
    if (process.env.FIDELITY_JSON) writeFileSync(process.env.FIDELITY_JSON, JSON.stringify(results, null, 2));
  });
  const only = process.env.NFLAB_CASES ? new RegExp(process.env.NFLAB_CASES, 'i') : null;
  for (const { c, topo } of allCases().filter((x) => only === null || only.test(x.c.name))) {
    it(c.name, async () => {
      const missing = k.ok ? toolMissing(c.needs) : null;
      if (missing !== null) {
        rows.push({ name: c.name, status: 'skipped', lines: [missing], notes: [] });
        return;
      }
      const kernel = k.ok ? await liveAnswer(c, topo) : recordedAnswer(c, topo);
      const nflab = observeNflab(c, topo);
      const r: CaseResult = { name: c.name, differences: diffObservations(kernel, nflab), notes: notesOf(nflab) };
      results.push(r);
      const lines = r.differences.map(formatDifference);
      const known = KNOWN_DIFFERENCES[c.name];
      const documented = known !== undefined && JSON.stringify(known.differences) === JSON.stringify(lines);
      rows.push({
        name: c.name,
        status: lines.length === 0 ? 'agree' : documented ? 'known' : 'differs',
        lines: documented ? [`(documented) ${known.reason}`, ...lines] : lines,
        notes: r.notes,
      });
      expect(lines.length === 0 || documented, 'an undocumented difference').toBe(true);
    });
  }
});
