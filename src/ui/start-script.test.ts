/**
 * `npm start` (scripts/start.mjs) builds only when a source is newer than its
 * compiled output, so a current build starts at once instead of spending 14 s
 * in tsc; a fresh clone (no dist/) still gets the whole build.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { built, ROOT } from './testing/tmux.js';

type Stale = (root: string, touch?: boolean) => string | null;
const { stale } = (await import(pathToFileURL(join(ROOT, 'scripts', 'build-freshness.mjs')).href)) as { stale: Stale };

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A tree shaped like the repository's, every file at time `t` seconds. */
function tree(files: Record<string, number>): { root: string; at: (p: string, t: number) => void } {
  const root = mkdtempSync(join(tmpdir(), 'nflab-start-'));
  dirs.push(root);
  const at = (p: string, t: number) => {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    if (p.endsWith('.json') && p.startsWith('tsconfig'))
      writeFileSync(join(root, p), JSON.stringify({ exclude: ['src/**/*.test.ts', 'src/**/testing/**'] }));
    else writeFileSync(join(root, p), '');
    utimesSync(join(root, p), t, t);
  };
  for (const [p, t] of Object.entries(files)) at(p, t);
  return { root, at };
}

describe('the freshness check behind npm start', () => {
  const current = {
    'tsconfig.json': 100,
    'tsconfig.build.json': 100,
    'package-lock.json': 100,
    'src/cli/main.ts': 100,
    'src/ui/app.tsx': 100,
    'src/ui/app.test.ts': 100,
    'src/ui/testing/fake.ts': 100,
    'src/feed/viewer.html': 100,
    'src/feed/schema/feed.schema.json': 100,
    'dist/cli/main.js': 200,
    'dist/ui/app.js': 200,
    'dist/feed/viewer.html': 200,
    'dist/feed/schema/feed.schema.json': 200,
  };

  test('a build newer than every source is current; tests and test helpers do not count', () => {
    const t = tree(current);
    expect(stale(t.root)).toBeNull();
    t.at('src/ui/app.test.ts', 300);
    t.at('src/ui/testing/fake.ts', 300);
    expect(stale(t.root)).toBeNull();
  });

  test('an edited source, a new one, an edited asset or configuration, or no build at all is stale', () => {
    for (const [file, why] of [
      ['src/ui/app.tsx', 'src/ui/app.tsx changed'],
      ['src/ui/new-pane.tsx', 'src/ui/new-pane.tsx changed'],
      ['src/feed/viewer.html', 'src/feed/viewer.html changed'],
      ['tsconfig.build.json', 'tsconfig.build.json changed'],
    ]) {
      const t = tree(current);
      t.at(file, 300);
      expect(stale(t.root)).toBe(why);
    }
    const t = tree({ ...current });
    rmSync(join(t.root, 'dist'), { recursive: true });
    expect(stale(t.root)).toBe('no build yet');
  });

  test('a source saved unchanged, which tsc --incremental does not emit again, is marked current after the build', () => {
    const t = tree(current);
    t.at('src/ui/app.tsx', 300);
    expect(stale(t.root, true)).toBeNull();
    expect(stale(t.root)).toBeNull();
  });
});

// Only on a current build: on a stale one npm start would rebuild dist/ under the other test files.
test.skipIf(!built || stale(ROOT) !== null)('npm start on a current build runs nflab without building', () => {
  const r = spawnSync('npm', ['start', '--silent', '--', 'check', 'topologies/docker-port-mapping.yaml'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.stderr).not.toContain('building');
  expect(r.stdout).toContain('topologies/docker-port-mapping.yaml: ok');
  expect(r.status).toBe(0);
});
