/**
 * Regression cases: small command sequences (written by the shrinker or by hand) with the
 * kernel's recorded answer, replayed against nflab without root.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EpisodeAnswer } from './model.js';
import { HERE } from './recording.js';

export interface RuleCase {
  /** What the case is about, in a sentence. */
  about: string;
  cmds: string[];
  /** Set while nflab still disagrees: why (the case then must fail, and is flipped when it is fixed). */
  known?: string;
  /** The kernel's answer; null until recorded (`node test/differential/fuzz-rules/run.mjs --record-cases`). */
  kernel: EpisodeAnswer | null;
}

export const CASES_DIR = join(HERE, 'cases');

export function readCases(): { file: string; c: RuleCase }[] {
  return readdirSync(CASES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: f, c: JSON.parse(readFileSync(join(CASES_DIR, f), 'utf8')) as RuleCase }));
}

export function writeCase(file: string, c: RuleCase): void {
  writeFileSync(join(CASES_DIR, file), JSON.stringify(c, null, 1) + '\n');
}
