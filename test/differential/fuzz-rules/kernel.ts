/**
 * The kernel side of the rule fuzzer: every episode's commands run in one real namespace
 * (`ip netns exec nfr-… bash`), each episode from an empty ruleset (`nft flush ruleset`). Two
 * scripts in all, not a process per command: the first runs the commands and the listings, the
 * second loads each episode's accepted commands as one iptables-restore file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shq } from '../../../src/core/shell.js';
import type { Episode } from './gen.js';
import { type EpisodeAnswer, hashSave, listedTables, restoreFile, stripComments } from './model.js';

/** Why the kernel cannot be asked here, or null when it can. */
export function kernelUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  const probe = spawnSync('iptables', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0 || !/nf_tables/.test(probe.stdout)) return 'iptables-nft is not installed';
  const ns = `nfr-check-${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (add.status !== 0) return `cannot make a network namespace: ${add.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', ns]);
  return null;
}

const SAVE = "iptables-save -c | grep -v '^#'";

function runScript(ns: string, script: string, dir: string): void {
  const file = join(dir, 'script.sh');
  writeFileSync(file, script);
  const r = spawnSync('ip', ['netns', 'exec', ns, 'bash', file], { encoding: 'utf8', timeout: 3 * 3600_000, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`kernel script failed (${r.status ?? r.signal}): ${r.stderr.slice(0, 2000)}`);
}

/** Runs the episodes in a fresh namespace and returns the kernel's answers; the namespace is always removed. */
export function runKernel(episodes: readonly Episode[]): EpisodeAnswer[] {
  const ns = `nfr-fuzz-${process.pid}-${Date.now() % 100000}`;
  const dir = mkdtempSync(join(tmpdir(), 'nfr-fuzz-'));
  const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`ip netns add ${ns}: ${add.stderr.trim()}`);
  try {
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    let s = 'set +e\n';
    episodes.forEach((ep, i) => {
      s += 'nft flush ruleset\n';
      ep.cmds.forEach((c, j) => {
        const f = shq(join(dir, `${i}.${j}`));
        s += `{ ${c} ; } >${f}.o 2>${f}.e; echo $? >${f}.x; ${SAVE} >${f}.s\n`;
      });
      const f = shq(join(dir, `${i}`));
      s += `${SAVE} >${f}.save\n`;
      for (const t of listedTables(ep.cmds)) {
        s += `iptables -t ${t} -S >${f}.${t}.S 2>&1\n`;
        s += `iptables -t ${t} -L -n -v --line-numbers >${f}.${t}.L 2>&1\n`;
      }
    });
    s += 'nft flush ruleset\n';
    runScript(ns, s, dir);
    const answers: EpisodeAnswer[] = episodes.map((ep, i) => ({
      cmds: ep.cmds.map((_, j) => ({
        x: Number(read(`${i}.${j}.x`).trim()),
        e: read(`${i}.${j}.e`),
        o: read(`${i}.${j}.o`),
        h: hashSave(read(`${i}.${j}.s`)),
      })),
      save: stripComments(read(`${i}.save`)),
      lists: Object.fromEntries(listedTables(ep.cmds).map((t) => [t, { S: read(`${i}.${t}.S`), L: read(`${i}.${t}.L`) }])),
      restore: { x: 0, e: '', save: '' },
    }));
    let r = 'set +e\n';
    episodes.forEach((ep, i) => {
      const f = shq(join(dir, `${i}`));
      writeFileSync(
        join(dir, `${i}.rst`),
        restoreFile(
          ep.cmds,
          answers[i].cmds.map((a) => a.x),
        ),
      );
      r += `nft flush ruleset\niptables-restore <${f}.rst >/dev/null 2>${f}.re; echo $? >${f}.rx; ${SAVE} >${f}.rs\n`;
    });
    r += 'nft flush ruleset\n';
    runScript(ns, r, dir);
    answers.forEach((a, i) => {
      a.restore = { x: Number(read(`${i}.rx`).trim()), e: read(`${i}.re`), save: stripComments(read(`${i}.rs`)) };
    });
    return answers;
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
}
