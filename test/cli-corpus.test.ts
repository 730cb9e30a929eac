/**
 * The corpus round trip on the path a user takes: every rule set of
 * test/fixtures/corpus in a topology file (inline `iptables: |` and
 * `iptables: { file: }`), printed by the real `nflab save` process, must equal
 * what the kernel's iptables-save printed after `iptables-restore` of the same
 * file (without -c: every counter zero), `#` lines aside. One topology holds
 * all 40 rule sets, one host each, so two processes cover 80 loads.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'nflab.js');
const CORPUS = join(root, 'test', 'fixtures', 'corpus');
const tmp = scratchDir('nflab-cli-corpus-');

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

const files = rulesFiles(CORPUS);
const hostOf = (file: string) =>
  relative(CORPUS, file)
    .replace(/\.rules$/, '')
    .replace(/[^A-Za-z0-9_.-]/g, '-');
const withoutComments = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

/**
 * What a host must declare for its rules to load, as the kernel run declared it
 * (see the corpus README): ipsets for --match-set, nfacct objects, and the
 * user and group names of owner matches (java was gid 60001 there).
 */
function declarations(text: string): string {
  const rules = text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
  const names = (re: RegExp) => [...new Set([...rules.matchAll(re)].map((m) => m[1]))];
  const sets = names(/--match-set (\S+)/g);
  const acct = names(/--nfacct-name (\S+)/g);
  const users = names(/--uid-owner ([A-Za-z_]\S*)/g);
  const groups = names(/--gid-owner ([A-Za-z_]\S*)/g);
  let out = '';
  if (sets.length) out += `    ipsets: { ${sets.map((s) => `${s}: { type: hash:net }`).join(', ')} }\n`;
  if (acct.length) out += `    nfacct: [ ${acct.join(', ')} ]\n`;
  if (users.length) out += `    users: { ${users.map((u, i) => `${u}: ${50000 + i}`).join(', ')} }\n`;
  if (groups.length) out += `    groups: { ${groups.map((g, i) => `${g}: ${g === 'java' ? 60001 : 50000 + i}`).join(', ')} }\n`;
  return out;
}

function topology(inline: boolean): string {
  let out = `name: corpus-${inline ? 'inline' : 'files'}\nhosts:\n`;
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    out += `  ${hostOf(f)}:\n${declarations(text)}`;
    if (inline) {
      out += '    iptables: |\n';
      for (const line of text.replace(/\n+$/, '').split('\n')) out += line === '' ? '\n' : `      ${line}\n`;
    } else out += `    iptables: { file: ${JSON.stringify(f)} }\n`;
  }
  return out;
}

/** One `nflab save` process for every host; its output split at the `# node NAME` lines it prints between nodes. */
function saveAll(topo: string): Map<string, string> {
  const args = [bin, 'save', topo, ...files.flatMap((f) => ['--node', hostOf(f)])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const out = new Map<string, string>();
  for (const part of r.stdout.split(/^# node /m).slice(1)) {
    const nl = part.indexOf('\n');
    out.set(part.slice(0, nl), part.slice(nl + 1));
  }
  return out;
}

describe('the corpus through nflab save, as a user runs it', () => {
  it('finds the 40 corpus files', () => {
    expect(files.length).toBe(40);
  });

  for (const inline of [true, false]) {
    const form = inline ? 'iptables: |' : 'iptables: { file: }';
    it(`prints every file as the kernel's iptables-save did (${form})`, () => {
      const topo = join(tmp, inline ? 'inline.yaml' : 'files.yaml');
      writeFileSync(topo, topology(inline));
      const saved = saveAll(topo);
      const wrong: string[] = [];
      for (const f of files) {
        const rel = relative(CORPUS, f);
        const kernel = withoutComments(readFileSync(join(CORPUS, '_kernel-roundtrip', rel.replace(/\.rules$/, '.saved')), 'utf8'));
        const ours = withoutComments(saved.get(hostOf(f)) ?? '');
        if (JSON.stringify(ours) !== JSON.stringify(kernel)) {
          const i = ours.findIndex((l, k) => l !== kernel[k]);
          wrong.push(`${rel}: line ${i + 1}: nflab "${ours[i] ?? '(end)'}", kernel "${kernel[i] ?? '(end)'}"`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }
});
