/**
 * Every rule set of the shared corpus, loaded with nflab's iptables-restore and
 * printed with its iptables-save, must equal what the Linux kernel printed for
 * the same file (test/fixtures/corpus/_kernel-roundtrip, a copy of the shared corpus), `#` lines aside.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Ruleset } from '../rule.js';
import { runIptablesRestore } from './restore.js';
import { save } from './save.js';

const here = dirname(fileURLToPath(import.meta.url));
const CORPUS = join(here, '../../../test/fixtures/corpus');

function rulesFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('_')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...rulesFiles(p));
    else if (e.name.endsWith('.rules')) out.push(p);
  }
  return out.sort();
}

const withoutComments = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

/** Names the corpus files refer to, as the kernel run declared them (see the corpus README). */
function lookups(text: string) {
  const ipsets = [...text.matchAll(/--match-set (\S+)/g)].map((m) => m[1]);
  const nfacct = [...text.matchAll(/--nfacct-name\s+(\S+)/g)].map((m) => m[1]);
  return { ipsets, nfacct, resolveGroup: (n: string) => (n === 'java' ? 60001 : undefined), resolveUser: () => undefined };
}

describe('kernel round trip of the shared corpus', () => {
  const files = rulesFiles(CORPUS);
  it('finds the 40 corpus files', () => {
    expect(files.length).toBe(40);
  });
  for (const file of files) {
    const rel = relative(CORPUS, file);
    it(rel, () => {
      const text = readFileSync(file, 'utf8');
      const rs = new Ruleset();
      const res = runIptablesRestore(rs, text, lookups(text));
      expect(res.stderr).toBe('');
      const expected = withoutComments(readFileSync(join(CORPUS, '_kernel-roundtrip', rel.replace(/\.rules$/, '.saved')), 'utf8'));
      expect(withoutComments(save(rs))).toEqual(expected);
      // With counters every rule gets its `[p:b]` prefix and nothing else changes.
      const withCounters = withoutComments(save(rs, { counters: true }));
      expect(withCounters.map((l) => l.replace(/^\[0:0\] /, ''))).toEqual(expected);
    });
  }
});
