/**
 * Replays the kernel fixtures: each fixtures/NAME.cmds was run on Linux 6.18
 * with iproute2 6.1 by `fixtures/capture.sh NAME.cmds > NAME.out` (as root, in a
 * throwaway namespace pair it deletes on exit). nflab must print the same bytes
 * and exit codes for the same commands.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replayText } from './replay.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

describe('nflab prints what the kernel printed for the same ip commands', () => {
  for (const name of ['basic', 'ifaces', 'rules', 'input']) {
    it(name, () => {
      const read = (ext: string) => readFileSync(join(dir, `${name}.${ext}`), 'utf8');
      expect(replayText(read('cmds'), read('out'))).toEqual([]);
    });
  }
});
