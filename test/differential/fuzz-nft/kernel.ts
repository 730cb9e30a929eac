/**
 * The kernel side of the nft fuzzer: each episode in a fresh network namespace (`nx…`, so that
 * table handles start at 1 as in a fresh nflab node), every transaction as `ip netns exec NS nft
 * ...`, then both listings. One bash script for all episodes, not a process per transaction from
 * here; every namespace is removed, also on failure. `NFLAB_NS_PREFIX` names the namespaces (an
 * engineer's own prefix on a shared machine), as in the other differential suites.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shq } from '../../../src/core/shell.js';
import type { Episode } from './gen.js';
import type { EpisodeAnswer } from './model.js';

/** Why the kernel cannot be asked here, or null when it can. */
const prefix = () => process.env.NFLAB_NS_PREFIX ?? 'nx';

export function kernelUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  const probe = spawnSync('nft', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'nft is not installed';
  const ns = `${prefix()}chk${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (add.status !== 0) return `cannot make a network namespace: ${add.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', ns]);
  return null;
}

export function kernelVersion(): string {
  const v = spawnSync('nft', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const u = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
  return `${v}, Linux ${u}`;
}

export function runKernel(episodes: readonly Episode[]): EpisodeAnswer[] {
  const tag = `${prefix()}f${process.pid % 100000}`;
  const dir = mkdtempSync(join(tmpdir(), 'nx-fuzz-nft-'));
  const names = episodes.map((_, i) => `${tag}-${i}`);
  try {
    let s = 'set +e\n';
    episodes.forEach((ep, i) => {
      const ns = names[i];
      s += `ip netns add ${ns} || exit 3\nip netns exec ${ns} ip link set lo up\n`;
      ep.txns.forEach((t, j) => {
        const f = shq(join(dir, `${i}.${j}`));
        const input = t.stdin === undefined ? '</dev/null' : `<${f}.in`;
        if (t.stdin !== undefined) writeFileSync(join(dir, `${i}.${j}.in`), t.stdin);
        s += `ip netns exec ${ns} ${t.cmd} ${input} >${f}.o 2>${f}.e; echo $? >${f}.x\n`;
        s += `ip netns exec ${ns} nft list ruleset >${f}.l 2>&1; ip netns exec ${ns} nft -a list ruleset >${f}.a 2>&1\n`;
      });
      s += `ip netns del ${ns}\n`;
    });
    writeFileSync(join(dir, 'script.sh'), s);
    const r = spawnSync('bash', [join(dir, 'script.sh')], { encoding: 'utf8', timeout: 3 * 3600_000, maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`kernel script failed (${r.status ?? r.signal}): ${r.stderr.slice(0, 2000)}`);
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return episodes.map((ep, i) => ({
      txns: ep.txns.map((_, j) => ({
        x: Number(read(`${i}.${j}.x`).trim()),
        e: read(`${i}.${j}.e`),
        o: read(`${i}.${j}.o`),
        l: read(`${i}.${j}.l`),
        a: read(`${i}.${j}.a`),
      })),
    }));
  } finally {
    for (const ns of names) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}
