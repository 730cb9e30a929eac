/**
 * docs/matrix.md's kube-proxy example is real output: the matrix before and
 * after deleting one KUBE-SEP rule and the --against difference, run here
 * with the built CLI, must appear in the page exactly as printed.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..', '..');
const doc = readFileSync(join(root, 'docs', 'matrix.md'), 'utf8');
const RULE = '-A KUBE-SEP-UIQK3OSOSTRHRPBX -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.2:8080';

function nflab(cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, [join(root, 'bin', 'nflab.js'), ...args], { cwd, encoding: 'utf8' });
}

describe('docs/matrix.md', () => {
  const dir = scratchDir('nflab-matrix-docs-');
  it('shows the kube-proxy matrix before and after deleting one KUBE-SEP rule, and the difference, as nflab prints them', () => {
    copyFileSync(join(root, 'topologies', 'kube-proxy.yaml'), join(dir, 'kube-proxy.yaml'));
    const text = readFileSync(join(dir, 'kube-proxy.yaml'), 'utf8');
    const edited = text
      .split('\n')
      .filter((l) => l.trim() !== RULE)
      .join('\n');
    expect(edited.length).toBeLessThan(text.length);
    writeFileSync(join(dir, 'kube-proxy-edited.yaml'), edited);
    expect(doc).toContain(RULE);
    const before = nflab(join(root), 'matrix', 'topologies/kube-proxy.yaml');
    const after = nflab(dir, 'matrix', 'kube-proxy-edited.yaml');
    const diff = nflab(dir, 'matrix', 'kube-proxy.yaml', '--against', 'kube-proxy-edited.yaml');
    expect([before.status, after.status, diff.status]).toEqual([0, 0, 1]);
    for (const [cmd, out] of [
      ['$ nflab matrix topologies/kube-proxy.yaml\n', before.stdout],
      ['$ nflab matrix kube-proxy-edited.yaml\n', after.stdout],
      ['$ nflab matrix kube-proxy.yaml --against kube-proxy-edited.yaml\n', diff.stdout],
    ])
      expect(doc).toContain(cmd + out.replace(/\n$/, ''));
  });
});
