/** The kernel's recorded answers for one seed and budget, and the regression cases, kept in the repository. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Episode } from './gen.js';
import type { EpisodeAnswer } from './model.js';

export interface Recording {
  seed: number;
  budget: number;
  /** What answered: `nft --version` and `uname -r` when it was recorded. */
  kernel: string;
  episodes: (Episode & { answer: EpisodeAnswer })[];
}

export const HERE = dirname(fileURLToPath(import.meta.url));
const recordingPath = (seed: number, budget: number) => join(HERE, 'recorded', `seed-${seed}-n${budget}.json.gz`);

export function readRecording(seed: number, budget: number): Recording | null {
  const p = recordingPath(seed, budget);
  if (!existsSync(p)) return null;
  return JSON.parse(gunzipSync(readFileSync(p)).toString('utf8')) as Recording;
}

export function writeRecording(r: Recording): string {
  const p = recordingPath(r.seed, r.budget);
  mkdirSync(dirname(p), { recursive: true });
  // One episode per line before compression keeps the file diffable once unpacked.
  const text = `{"seed":${r.seed},"budget":${r.budget},"kernel":${JSON.stringify(r.kernel)},"episodes":[\n${r.episodes.map((e) => JSON.stringify(e)).join(',\n')}\n]}\n`;
  writeFileSync(p, gzipSync(text, { level: 9 }));
  return p;
}

/** A regression case: a small episode (written by the shrinker or by hand) with the kernel's answer. */
export interface NftCase {
  about: string;
  txns: Episode['txns'];
  /** Set while nflab still disagrees: why (the case then must fail, and is flipped when fixed). */
  known?: string;
  /** The kernel's answer; null until recorded (`run.mjs --record`). */
  kernel: EpisodeAnswer | null;
}

const CASES_DIR = join(HERE, 'cases');

export function readCases(): { file: string; c: NftCase }[] {
  if (!existsSync(CASES_DIR)) return [];
  return readdirSync(CASES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: f, c: JSON.parse(readFileSync(join(CASES_DIR, f), 'utf8')) as NftCase }));
}

export function writeCase(file: string, c: NftCase): void {
  mkdirSync(CASES_DIR, { recursive: true });
  writeFileSync(join(CASES_DIR, file), JSON.stringify(c, null, 1) + '\n');
}
