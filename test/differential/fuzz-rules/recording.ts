/** The kernel's recorded answers for one seed and budget, kept gzipped in the repository. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Episode } from './gen.js';
import type { EpisodeAnswer } from './model.js';

export interface Recording {
  seed: number;
  budget: number;
  /** What answered: `iptables --version` and `uname -r` when it was recorded. */
  kernel: string;
  episodes: (Episode & { answer: EpisodeAnswer })[];
}

export const HERE = dirname(fileURLToPath(import.meta.url));

export function recordingPath(seed: number, budget: number): string {
  return join(HERE, 'recorded', `seed-${seed}-n${budget}.json.gz`);
}

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
