// Lints the tracked shell scripts with Debian's shellcheck and checks the Python assets compile.
// Without shellcheck installed this warns and passes, except in CI (CI=true), where .ci/run installs it.
import { execFileSync, spawnSync } from 'node:child_process';

const tracked = (glob) =>
  execFileSync('git', ['ls-files', glob], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f);

let failed = false;
const sh = tracked('*.sh');
if (spawnSync('shellcheck', ['--version']).error) {
  if (process.env.CI) {
    console.error('lint-shell: shellcheck is not installed (apt-get install shellcheck)');
    process.exit(1);
  }
  console.warn('lint-shell: shellcheck is not installed; shell scripts not checked (apt-get install shellcheck)');
} else if (sh.length) {
  failed ||= spawnSync('shellcheck', ['-f', 'gcc', ...sh], { stdio: 'inherit' }).status !== 0;
}
for (const py of tracked('*.py')) {
  const r = spawnSync('python3', ['-c', 'import ast,sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])', py], { stdio: 'inherit' });
  if (r.error) break; // no python3: the exported lab's apps need it anyway, and CI installs it
  failed ||= r.status !== 0;
}
process.exit(failed ? 1 : 0);
