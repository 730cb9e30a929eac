/** `nflab snapshot-script` and `nflab import` (a real host's state in as a lab): the process side of src/import. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importBundles, type ImportInput } from '../import/import.js';
import { exportContainerlab } from '../export/containerlab.js';
import type { Topology } from '../topology/model.js';
import { ExitError, flag, parseArgs, UsageError } from './args.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The shipped script, beside dist/ (or src/) in the package: the one source of truth for what the command prints. */
export const SNAPSHOT_SCRIPT = resolve(here, '../../scripts/nflab-snapshot.sh');

export function snapshotScript(argv: string[]): number {
  parseArgs(argv, {});
  process.stdout.write(readFileSync(SNAPSHOT_SCRIPT, 'utf8'));
  return 0;
}

export function importCmd(argv: string[]): number {
  const p = parseArgs(argv, { out: { value: true, short: 'o' }, 'strip-prefix': { value: true } });
  if (!p.positional.length) throw new UsageError('import needs at least one bundle (the output of nflab snapshot-script)');
  const inputs: ImportInput[] = [];
  for (const file of p.positional) {
    try {
      inputs.push({ file, text: file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8') });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(
        `cannot read bundle ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(e))}`,
      );
    }
  }
  const stripPrefix = flag(p, 'strip-prefix');
  const r = importBundles(inputs, flag(p, 'out') ?? 'imported', stripPrefix ? { stripPrefix } : {});
  for (const w of r.warnings) process.stderr.write(`nflab import: warning: ${w}\n`);
  for (const e of r.errors) process.stderr.write(`nflab import: error: ${e}\n`);
  process.stderr.write(`nflab import: ${r.summary}\n`);
  if (r.topology === null) return 2;
  return r.errors.length ? 1 : 0;
}

/** `nflab export TOPOLOGY --format containerlab [-o DIR] [--image IMAGE]`: writes DIR/NAME.clab.yml and DIR/setup/NODE.sh. */
export function exportContainerlabCmd(topo: Topology, out: string | undefined, image: string | undefined): number {
  const r = exportContainerlab(topo, image ? { image } : {});
  if ('errors' in r) throw new ExitError(1, r.errors);
  const dir = resolve(out ?? `${topo.name}-containerlab`);
  for (const [rel, text] of r.files) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  for (const w of r.warnings) process.stderr.write(`nflab export: warning: ${w}\n`);
  process.stdout.write(`${join(dir, r.clabFile)}\n`);
  return 0;
}
