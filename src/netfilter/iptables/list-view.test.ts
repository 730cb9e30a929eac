/**
 * The lazy listing the terminal UI's node inspector draws from reads exactly as
 * `iptables -L` (itself checked against the kernel in command.test.ts), and
 * follows rule changes and counters without being rebuilt.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Ruleset } from '../rule.js';
import type { TableName } from '../types.js';
import { runIptables } from './command.js';
import { tableListing, type TableListing } from './list-view.js';
import { runIptablesRestore } from './restore.js';

const FX = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

function whole(l: TableListing): string {
  const out: string[] = [];
  for (let i = 0; i < l.length; i++) out.push(l.line(i));
  return out.join('\n');
}

const listed = (rs: Ruleset, table: string, ...opts: string[]) =>
  runIptables(rs, ['-t', table, '-L', '-n', ...opts]).stdout.replace(/\n$/, '');

describe('a table listing formatted line by line', () => {
  for (const base of ['counters', 'home-router', 'kube-proxy', 'typical-home-user'])
    for (const table of ['filter', 'nat', 'mangle', 'raw'] as TableName[])
      it(`${base} ${table}: the same lines as iptables -L -n -v, and -x --line-numbers`, () => {
        const rs = new Ruleset();
        runIptablesRestore(rs, readFileSync(join(FX, `${base}.input`), 'utf8'), { counters: base === 'counters' });
        expect(whole(tableListing(() => rs, table))).toBe(listed(rs, table, '-v'));
        expect(whole(tableListing(() => rs, table, { verbose: true, exact: true, lineNumbers: true }))).toBe(
          listed(rs, table, '-v', '-x', '--line-numbers'),
        );
      });

  it('follows inserted and deleted rules, new and removed chains, policies and counters', () => {
    const rs = new Ruleset();
    runIptablesRestore(rs, '*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n-A INPUT -j A\n-A A -p tcp --dport 22 -j ACCEPT\nCOMMIT\n', {});
    const l = tableListing(() => rs, 'filter');
    expect(l.inUse()).toBe(true);
    expect(whole(l)).toBe(listed(rs, 'filter', '-v'));
    for (const cmd of [
      ['-I', 'A', '1', '-s', '10.0.0.0/8', '-j', 'DROP'],
      ['-N', 'B'],
      ['-A', 'INPUT', '-j', 'B'],
      ['-P', 'FORWARD', 'DROP'],
      ['-D', 'A', '2'],
      ['-F', 'INPUT'],
      ['-X', 'B'],
    ]) {
      expect(runIptables(rs, cmd).exitCode).toBe(0);
      // A policy change copies the chain too, so only structural changes are sure to say so.
      const changed = l.refresh();
      if (cmd[0] !== '-P') expect(changed).toBe(true);
      expect(whole(l)).toBe(listed(rs, 'filter', '-v'));
    }
    // Counters are read when a line is made: no refresh needed.
    rs.table('filter')!.chains.get('A')!.rules[0].pkts = 12345678;
    expect(l.refresh()).toBe(false);
    expect(whole(l)).toBe(listed(rs, 'filter', '-v'));
    expect(whole(l)).toContain('  12M     0 DROP');
  });

  it('lists a table that does not exist yet as its empty built-in chains, and sees it appear', () => {
    const rs = new Ruleset();
    const l = tableListing(() => rs, 'mangle');
    expect(l.inUse()).toBe(false);
    expect(whole(l)).toBe(listed(rs, 'mangle', '-v'));
    runIptables(rs, ['-t', 'mangle', '-A', 'PREROUTING', '-j', 'MARK', '--set-mark', '1']);
    expect(l.refresh()).toBe(true);
    expect(l.inUse()).toBe(true);
    expect(whole(l)).toBe(listed(rs, 'mangle', '-v'));
  });
});
