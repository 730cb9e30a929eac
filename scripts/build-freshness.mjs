// Whether dist/ is current: every compiled source older than its output, the copied assets too, and the
// TypeScript configuration older than the build. Checking the times takes milliseconds (a type-check that
// finds nothing to do takes seconds); used by scripts/start.mjs.
import { readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const CONFIG = 'tsconfig.build.json';
// What scripts/copy-assets.mjs puts beside the compiled feed.
const ASSETS = ['feed/viewer.html', 'feed/schema/feed.schema.json'];

const mtime = (p) => {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return -1;
  }
};

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else yield p;
  }
}

/** tsconfig's exclude globs (`src/**\/*.test.ts`, `src/**\/testing/**`) as one test on a path relative to the root. */
function excluded(at) {
  const globs = JSON.parse(readFileSync(at(CONFIG), 'utf8')).exclude ?? [];
  const res = globs.map(
    (g) =>
      new RegExp(
        `^${g
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*\//g, '\u0000')
          .replace(/\*\*/g, '.*')
          .replace(/\*/g, '[^/]*')
          // eslint-disable-next-line no-control-regex -- NUL is a placeholder no glob contains: it keeps `**/` apart while `*` is rewritten
          .replace(/\u0000/g, '(?:.*/)?')}$`,
      ),
  );
  return (rel) => res.some((r) => r.test(rel));
}

/** Why the build under `root` is stale, or null when it is current; with `touch`, marks outputs tsc left alone as current instead. */
export function stale(root, touch = false) {
  const at = (...p) => join(root, ...p);
  const main = mtime(at('dist', 'cli', 'main.js'));
  if (main < 0) return 'no build yet';
  for (const c of ['tsconfig.json', CONFIG, 'package-lock.json']) if (mtime(at(c)) > main) return `${c} changed`;
  const skip = excluded(at);
  for (const f of files(at('src'))) {
    const rel = relative(root, f).split(sep).join('/');
    if (!/\.tsx?$/.test(rel) || rel.endsWith('.d.ts') || skip(rel)) continue;
    const out = at('dist', rel.slice(4).replace(/\.tsx?$/, '.js'));
    if (mtime(out) >= mtime(f)) continue;
    // tsc --incremental does not rewrite output for a file saved unchanged; without this it would look stale forever.
    if (touch && mtime(out) >= 0) utimesSync(out, new Date(), new Date());
    else return `${rel} changed`;
  }
  for (const a of ASSETS) if (mtime(at('dist', a)) < mtime(at('src', a))) return `src/${a} changed`;
  return null;
}
