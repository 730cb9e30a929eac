/**
 * The tables iptables-nft made, in `nft list ruleset`, on the user's path: each iptables corpus
 * file of test/fixtures/corpus-nft/_kernel-roundtrip/iptables-nft-as-nft/ loaded through a
 * topology (`iptables: { file: }`), printed by the real `nflab save --nft` process, must equal
 * the kernel's `nft list ruleset` after `iptables-restore` of the same file.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'nflab.js');
const LISTED = join(root, 'test', 'fixtures', 'corpus-nft', '_kernel-roundtrip', 'iptables-nft-as-nft');
const CORPUS = join(root, 'test', 'fixtures', 'corpus');
const tmp = scratchDir('nflab-ipt-nft-');

function find(dir: string, name: string): string | null {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('_')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const f = find(p, name);
      if (f) return f;
    } else if (e.name === name) return p;
  }
  return null;
}

/** Files whose listing nflab does not yet reproduce, and why (the test then must fail, so that it is flipped when fixed). */
const KNOWN: Record<string, string> = {};

describe('nft list ruleset shows iptables-nft tables as the kernel does (nflab save --nft, CLI)', () => {
  for (const listed of readdirSync(LISTED).filter((f) => f.endsWith('.listed'))) {
    const base = listed.replace(/\.listed$/, '');
    const known = KNOWN[base];
    (known ? it.fails : it)(`${base}${known ? ` (still differs: ${known})` : ''}`, () => {
      const rules = find(CORPUS, `${base}.rules`);
      expect(rules, `no corpus file ${base}.rules`).not.toBeNull();
      const topo = join(tmp, `${base}.yaml`);
      writeFileSync(topo, `name: ipt-nft\nhosts:\n  h:\n    iptables: { file: ${relative(tmp, rules!)} }\n`);
      const r = spawnSync(process.execPath, [bin, 'save', topo, '--node', 'h', '--nft'], { encoding: 'utf8', cwd: root });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(readFileSync(join(LISTED, listed), 'utf8'));
    });
  }
});
