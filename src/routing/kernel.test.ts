/**
 * Differential test against the running kernel: replays the fixture command
 * files and a seeded random route/rule set in a throwaway namespace (via
 * fixtures/capture.sh, which removes its namespaces on exit) and requires nflab
 * to print the same. Skipped, with the reason, where namespaces cannot be made.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { replayText } from './replay.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

function why(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.status !== 0) return `"ip netns" unavailable: ${r.stderr || r.error}`;
  return null;
}
const skip = why();
if (skip) console.warn(`routing kernel differential test skipped: ${skip}`);

function capture(cmdsPath: string): string {
  const r = spawnSync('bash', [join(dir, 'capture.sh'), cmdsPath], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`capture.sh failed: ${r.stderr}`);
  return r.stdout;
}

function randomCmds(seed: number): string {
  const rng = new Rng(seed);
  const lines = [
    '@veth v1 v2 v3',
    'ip link set v1 up',
    'ip link set v2 up',
    'ip link set v3 up',
    'ip addr add 10.1.0.1/24 dev v1',
    'ip addr add 10.2.0.1/16 dev v2',
    'ip addr add 10.3.0.1/30 dev v3',
  ];
  const gws = ['10.1.0.7', '10.2.3.4', '10.3.0.2'];
  const net = () => `${rng.int(1, 20)}.${rng.int(0, 3) * 64}.0.0/${rng.int(8, 18)}`.replace(/\.\d+\.0\.0\/(8)$/, '.0.0.0/$1');
  for (let i = 0; i < 40; i++) {
    const kind = rng.int(0, 9);
    const tbl = rng.int(0, 3) === 0 ? ` table ${rng.int(100, 102)}` : '';
    const metric = rng.int(0, 2) === 0 ? ` metric ${rng.int(1, 3)}` : '';
    const dst = net();
    if (kind === 0) lines.push(`ip route add blackhole ${dst}${tbl}${metric}`);
    else if (kind === 1) lines.push(`ip route add unreachable ${dst}${tbl}${metric}`);
    else if (kind === 2) lines.push(`ip route add throw ${dst}${tbl}`);
    else if (kind < 6) lines.push(`ip route add ${dst} via ${gws[rng.int(0, 2)]}${tbl}${metric}`);
    else lines.push(`ip route add ${dst} dev v${rng.int(1, 3)}${tbl}${metric}`);
  }
  lines.push(
    'ip rule add fwmark 0x1/0x3 lookup 100',
    'ip rule add from 10.2.0.1 lookup 101',
    'ip rule add to 5.0.0.0/8 lookup 102',
    'ip rule add fwmark 0x4 prohibit',
    'ip route show table all',
    'ip rule show',
  );
  for (let i = 0; i < 60; i++) {
    const d = `${rng.int(1, 21)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
    const mark = rng.int(0, 2) === 0 ? ` mark ${rng.int(0, 7)}` : '';
    const from = rng.int(0, 3) === 0 ? ' from 10.2.0.1' : '';
    lines.push(`ip route get ${d}${from}${mark}`);
  }
  return `${lines.join('\n')}\n`;
}

describe.skipIf(skip !== null)('the running kernel agrees with nflab', () => {
  for (const name of ['basic', 'ifaces', 'rules', 'input']) {
    it(`fixture ${name}`, () => {
      const path = join(dir, `${name}.cmds`);
      expect(replayText(readFileSync(path, 'utf8'), capture(path))).toEqual([]);
    });
  }

  for (const seed of [1, 2, 3]) {
    it(`random routes and rules, seed ${seed}`, () => {
      const tmp = mkdtempSync(join(tmpdir(), 'nflab-route-'));
      try {
        const path = join(tmp, 'random.cmds');
        const cmds = randomCmds(seed);
        writeFileSync(path, cmds);
        expect(replayText(cmds, capture(path))).toEqual([]);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }, 60_000);
  }
});
