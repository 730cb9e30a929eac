// `npm start`: runs nflab, building first only when a source is newer than what was built from it
// (scripts/build-freshness.mjs). The full type-check and build takes 14 s; a current build starts at once,
// a stale one is rebuilt incrementally (tsc --incremental keeps what it learnt in dist/.tsbuildinfo), and a
// fresh clone, with no dist/ at all, gets the whole build.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CONFIG, stale } from './build-freshness.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (...p) => join(root, ...p);

const why = stale(root);
if (why) {
  process.stderr.write(`nflab: building (${why})...\n`);
  const tsc = spawnSync(
    process.execPath,
    [at('node_modules', 'typescript', 'bin', 'tsc'), '-p', CONFIG, '--incremental', '--tsBuildInfoFile', at('dist', '.tsbuildinfo')],
    { cwd: root, stdio: 'inherit' },
  );
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  const assets = spawnSync(process.execPath, [at('scripts', 'copy-assets.mjs')], { cwd: root, stdio: 'inherit' });
  if (assets.status !== 0) process.exit(assets.status ?? 1);
  stale(root, true);
}
// The CLI reads process.argv from index 2, which are this script's arguments too.
await import(pathToFileURL(at('bin', 'nflab.js')).href);
