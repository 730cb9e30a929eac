/**
 * `iptables -L/-S` output compared with the kernel's, captured once per input by
 * fixtures/make-fixtures.sh (iptables-nft 1.8.9, Linux 6.18) and stored beside it.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Ruleset } from '../rule.js';
import { runIptablesRestore } from './restore.js';
import { runIptables } from './command.js';

const FX = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const COMMANDS = readFileSync(join(FX, 'commands.list'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => l.split('|') as [string, string]);

function loadFixture(base: string): Ruleset {
  const rs = new Ruleset();
  const r = runIptablesRestore(rs, readFileSync(join(FX, `${base}.input`), 'utf8'), { counters: base === 'counters' });
  expect(r.stderr).toBe('');
  return rs;
}

describe('iptables -L / -S match the kernel', () => {
  for (const base of ['counters', 'home-router', 'kube-proxy', 'typical-home-user']) {
    for (const [name, args] of COMMANDS) {
      it(`${base}: iptables ${args}`, () => {
        const rs = loadFixture(base);
        const res = runIptables(rs, args.split(' '));
        const expected = readFileSync(join(FX, `${base}.${name}.txt`), 'utf8');
        expect(`${res.stdout}${res.stderr}rc=${res.exitCode}\n`).toBe(expected);
      });
    }
  }
});

describe('iptables commands', () => {
  const run = (rs: Ruleset, line: string) => runIptables(rs, line.split(' '));
  it('gives the kernel answers for chain operations', () => {
    const rs = new Ruleset();
    expect(run(rs, '-N X')).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    expect(run(rs, '-N X').stderr).toBe('iptables: Chain already exists.\n');
    expect(run(rs, '-A X -j ACCEPT').exitCode).toBe(0);
    expect(run(rs, '-X X')).toEqual({
      stdout: '',
      stderr: 'iptables v1.8.9 (nf_tables):  CHAIN_DEL failed (Device or resource busy): chain X\n',
      exitCode: 4,
    });
    expect(run(rs, '-A INPUT -j X').exitCode).toBe(0);
    expect(run(rs, '-F X').exitCode).toBe(0);
    expect(run(rs, '-X X').exitCode).toBe(4);
    expect(run(rs, '-D INPUT -j X').exitCode).toBe(0);
    expect(run(rs, '-X X').exitCode).toBe(0);
    expect(run(rs, '-X NOPE')).toEqual({ stdout: '', stderr: 'iptables: No chain/target/match by that name.\n', exitCode: 1 });
    expect(run(rs, '-P NOPE DROP').stderr).toBe('iptables: Bad built-in chain name.\n');
    expect(run(rs, '-P INPUT FOO').stderr).toBe("iptables: Bad policy name. Run `dmesg' for more information.\n");
    expect(run(rs, '-D INPUT 5').stderr).toBe('iptables: Index of deletion too big.\n');
    expect(run(rs, '-I INPUT 5 -j ACCEPT').stderr).toBe('iptables: Index of insertion too big.\n');
    expect(run(rs, '-C INPUT -j DROP')).toEqual({
      stdout: '',
      stderr: 'iptables: Bad rule (does a matching rule exist in that chain?).\n',
      exitCode: 1,
    });
    expect(run(rs, '-A INPUT -j DNAT --to-destination 1.1.1.1')).toEqual({
      stdout: '',
      stderr: 'iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain INPUT\n',
      exitCode: 4,
    });
    expect(run(rs, '-N ACCEPT').stderr).toBe(
      "iptables v1.8.9 (nf_tables): chain name may not clash with target name\nTry `iptables -h' or 'iptables --help' for more information.\n",
    );
    expect(run(rs, '-Q').exitCode).toBe(2);
  });

  it('inserts, replaces, checks and deletes by rule text', () => {
    const rs = new Ruleset();
    run(rs, '-A INPUT -p tcp --dport 22 -j ACCEPT');
    run(rs, '-I INPUT -s 10.0.0.1 -j DROP');
    run(rs, '-R INPUT 2 -p udp --dport 53 -j ACCEPT');
    expect(run(rs, '-C INPUT -p udp -m udp --dport 53 -j ACCEPT').exitCode).toBe(0);
    expect(run(rs, '-S').stdout).toBe(
      '-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-A INPUT -s 10.0.0.1/32 -j DROP\n-A INPUT -p udp -m udp --dport 53 -j ACCEPT\n',
    );
    expect(run(rs, '-D INPUT -s 10.0.0.1/32 -j DROP').exitCode).toBe(0);
    expect(run(rs, '-S INPUT 1').stdout).toBe('-A INPUT -p udp -m udp --dport 53 -j ACCEPT\n');
  });

  it('listing does not create a table', () => {
    const rs = new Ruleset();
    run(rs, '-t mangle -L');
    run(rs, '-t nat -F');
    expect(rs.tables.size).toBe(0);
  });
});
