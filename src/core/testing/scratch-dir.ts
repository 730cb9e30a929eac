import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * A fresh directory under the system's temp folder, removed when the calling test file's tests are done.
 * Called at a file's top level or inside a describe block: vitest ties the cleanup to that suite, so a CI
 * machine that runs the suite many times does not collect thousands of leftover directories.
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
