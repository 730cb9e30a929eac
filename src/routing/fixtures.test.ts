/**
 * Replays the kernel fixtures: each fixtures/*.cmds file was run on Linux 6.18
 * with iproute2 6.1 by fixtures/capture.sh (as root, in a throwaway namespace)
 * and its output stored as fixtures/*.out. nflab must print the same bytes and
 * exit codes for the same commands. IPv6 routes in the kernel's output are
 * ignored (nflab is IPv4 only).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runIp } from './ip-command.js';
import { RoutingTables } from './tables.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

interface Block {
  cmd: string;
  text: string;
}

function parseOut(text: string): Block[] {
  const blocks: Block[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('$ ')) blocks.push({ cmd: line.slice(2), text: '' });
    else if (blocks.length && line !== '' + '' && !/^(fe80::|local ::1 |multicast ff00::)/.test(line)) blocks[blocks.length - 1].text += `${line}\n`;
    else if (blocks.length && line === '') blocks[blocks.length - 1].text += '\n';
  }
  // A trailing empty line is the file's final newline, not output.
  return blocks.map((b) => ({ cmd: b.cmd, text: b.text.replace(/\n+$/, '\n') }));
}

function run(rt: RoutingTables, cmd: string): string {
  if (cmd.startsWith('sysctl -w ')) {
    const [k, v] = cmd.slice(10).split('=');
    rt.setSysctl(k, v);
    return `${k} = ${v}\n[rc=0]\n`;
  }
  const r = runIp(rt, cmd);
  return `${r.stdout}${r.stderr}[rc=${r.exitCode}]\n`.replace(/\n+$/, '\n');
}

export function replay(name: string): Array<{ cmd: string; expected: string; actual: string }> {
  const cmds = readFileSync(join(dir, `${name}.cmds`), 'utf8').split('\n');
  const expected = parseOut(readFileSync(join(dir, `${name}.out`), 'utf8'));
  const rt = new RoutingTables();
  for (const line of cmds) {
    if (line.startsWith('@veth ')) for (const d of line.slice(6).split(/\s+/)) rt.addDevice(d, { up: false });
  }
  const diffs: Array<{ cmd: string; expected: string; actual: string }> = [];
  for (const b of expected) {
    const actual = run(rt, b.cmd);
    if (actual !== b.text) diffs.push({ cmd: b.cmd, expected: b.text, actual });
  }
  return diffs;
}

describe('nflab prints what the kernel printed for the same ip commands', () => {
  for (const name of ['basic', 'ifaces', 'rules', 'input']) {
    it(name, () => {
      expect(replay(name)).toEqual([]);
    });
  }
});
