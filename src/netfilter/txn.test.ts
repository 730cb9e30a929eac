/**
 * The copy-on-write transaction: commands change the live table in place, keep
 * every jump pointing at live chains, leave the table untouched when refused,
 * and judge hook legality on cached reachability that may only be too wide.
 */
import { describe, expect, it } from 'vitest';
import { Ruleset } from './rule.js';
import { runIptables } from './iptables/command.js';
import { runIptablesRestore } from './iptables/restore.js';
import { save } from './iptables/save.js';
import { runTable } from './evaluate.js';
import { chainIndex } from './chain-index.js';
import type { RuleStep } from './types.js';
import { makeEnv, makeSkb, tcpPacket } from './testing/packets.js';

const run = (rs: Ruleset, line: string) => runIptables(rs, line.split(' '));
const ok = (rs: Ruleset, line: string) => expect(run(rs, line).stderr).toBe('');
const refused = (what: string, chain: string, errno: string) =>
  `iptables v1.8.9 (nf_tables):  ${what} failed (${errno}): rule in chain ${chain}\n`;

function walk(rs: Ruleset, table: 'filter' | 'nat', hook: 'INPUT' | 'PREROUTING', dport: number): string[] {
  const steps: RuleStep[] = [];
  runTable(rs, table, hook, makeSkb(tcpPacket('10.0.0.1', 1000, '10.0.0.2', dport)), makeEnv({ hook, table }), (s) => steps.push(s));
  return steps.map((s) => `${s.chain}#${s.rule}:${s.verdict}`);
}

describe('table transactions', () => {
  it('change chains in place, so jumps into them see the change', () => {
    const rs = new Ruleset();
    ok(rs, '-N SVC');
    ok(rs, '-A INPUT -p tcp -j SVC');
    ok(rs, '-A SVC -p tcp --dport 80 -j ACCEPT');
    const table = rs.table('filter')!;
    const svc = table.chains.get('SVC')!;
    ok(rs, '-I SVC 1 -p tcp --dport 81 -j DROP');
    expect(rs.table('filter')).toBe(table);
    expect(table.chains.get('SVC')).toBe(svc);
    const jump = table.chains.get('INPUT')!.rules[0].target;
    expect(jump.kind === 'jump' && jump.chain).toBe(svc);
    expect(walk(rs, 'filter', 'INPUT', 81)).toEqual(['INPUT#1:JUMP:SVC', 'SVC#1:DROP']);
    expect(walk(rs, 'filter', 'INPUT', 80)).toEqual(['INPUT#1:JUMP:SVC', 'SVC#2:ACCEPT']);
  });

  it('point a new jump at the live chain when the target was copied in the same batch', () => {
    const rs = new Ruleset();
    expect(runIptablesRestore(rs, '*filter\n:A - [0:0]\n-A INPUT -j A\nCOMMIT\n').stderr).toBe('');
    expect(
      runIptablesRestore(rs, '*filter\n-A A -p tcp -j DROP\n-I INPUT 1 -p tcp --dport 9 -j A\nCOMMIT\n', { noflush: true }).stderr,
    ).toBe('');
    const t = rs.table('filter')!;
    const first = t.chains.get('INPUT')!.rules[0].target;
    expect(first.kind === 'jump' && first.chain).toBe(t.chains.get('A'));
    expect(walk(rs, 'filter', 'INPUT', 9)).toEqual(['INPUT#1:JUMP:A', 'A#1:DROP']);
  });

  it('leave the live table exactly as it was when a command is refused', () => {
    const rs = new Ruleset();
    ok(rs, '-t nat -N X');
    ok(rs, '-t nat -A X -p tcp -j DNAT --to-destination 10.0.0.9');
    ok(rs, '-t nat -A PREROUTING -j X');
    const before = save(rs, { counters: true });
    const x = rs.table('nat')!.chains.get('X')!;
    const rules = x.rules;
    expect(run(rs, '-t nat -A POSTROUTING -j X').stderr).toBe(refused('RULE_APPEND', 'POSTROUTING', 'Invalid argument'));
    expect(run(rs, '-t nat -A X -j X').stderr).toBe(refused('RULE_APPEND', 'X', 'Too many links'));
    expect(save(rs, { counters: true })).toBe(before);
    expect(x.rules).toBe(rules);
  });

  it('re-judge a refusal on exact reachability once a jump was removed', () => {
    const rs = new Ruleset();
    ok(rs, '-t nat -N X');
    ok(rs, '-t nat -A POSTROUTING -j X');
    expect(run(rs, '-t nat -A X -p tcp -j DNAT --to-destination 10.0.0.9').exitCode).toBe(4);
    ok(rs, '-t nat -D POSTROUTING -j X');
    // X is no longer reached from POSTROUTING, though the cached bits still say so.
    ok(rs, '-t nat -A X -p tcp -j DNAT --to-destination 10.0.0.9');
    expect(run(rs, '-t nat -A POSTROUTING -j X').stderr).toBe(refused('RULE_APPEND', 'POSTROUTING', 'Invalid argument'));
    ok(rs, '-t nat -A PREROUTING -j X');
    expect(run(rs, '-t nat -R PREROUTING 1 -j X').exitCode).toBe(0);
  });

  it('judge a loop on exact reachability once the jump that reached it was removed', () => {
    const rs = new Ruleset();
    ok(rs, '-N A');
    ok(rs, '-A INPUT -j A');
    expect(run(rs, '-A A -j A').stderr).toBe(refused('RULE_APPEND', 'A', 'Too many links'));
    ok(rs, '-D INPUT -j A');
    // A is reached from no built-in chain now, as in a table loaded fresh without that jump.
    ok(rs, '-A A -j A');
    expect(run(rs, '-A INPUT -j A').stderr).toBe(refused('RULE_APPEND', 'INPUT', 'Too many links'));
  });

  it('refuse a loop that a new jump makes reachable, across commands', () => {
    const rs = new Ruleset();
    ok(rs, '-N A');
    ok(rs, '-N B');
    ok(rs, '-A INPUT -j A');
    ok(rs, '-A A -j B');
    expect(run(rs, '-A B -j A').stderr).toBe(refused('RULE_APPEND', 'B', 'Too many links'));
    expect(run(rs, '-I B 1 -j ACCEPT').exitCode).toBe(0);
    expect(run(rs, '-S B').stdout).toBe('-N B\n-A B -j ACCEPT\n');
  });

  it('rename a chain and every jump to it', () => {
    const rs = new Ruleset();
    ok(rs, '-N A');
    ok(rs, '-A A -p tcp -j DROP');
    ok(rs, '-A INPUT -j A');
    ok(rs, '-A OUTPUT -j A');
    ok(rs, '-E A B');
    expect(run(rs, '-S').stdout).toBe(
      '-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N B\n-A INPUT -j B\n-A OUTPUT -j B\n-A B -p tcp -j DROP\n',
    );
    expect(walk(rs, 'filter', 'INPUT', 1)).toEqual(['INPUT#1:JUMP:B', 'B#1:DROP']);
    expect(run(rs, '-X B').exitCode).toBe(4);
    ok(rs, '-N A');
    expect(run(rs, '-X A').exitCode).toBe(0);
  });

  it('keep counters of rules an unrelated change left alone', () => {
    const rs = new Ruleset();
    ok(rs, '-A INPUT -p tcp --dport 80 -j ACCEPT');
    walk(rs, 'filter', 'INPUT', 80);
    ok(rs, '-I INPUT 1 -p tcp --dport 22 -j ACCEPT');
    expect(run(rs, '-S INPUT 2 -v').stdout).toBe('-A INPUT -p tcp -m tcp --dport 80 -c 1 44 -j ACCEPT\n');
  });

  it('leave the live tables alone until a restore batch has fully succeeded', () => {
    const rs = new Ruleset();
    ok(rs, '-A INPUT -j ACCEPT');
    const before = save(rs);
    const input = rs.table('filter')!.chains.get('INPUT')!;
    const r = runIptablesRestore(rs, '*filter\n-A INPUT -j DROP\nCOMMIT\n*nat\n-A NOPE -j ACCEPT\nCOMMIT\n', {
      noflush: true,
      atomic: 'batch',
    });
    expect(r.ok).toBe(false);
    expect(save(rs)).toBe(before);
    expect(input.rules).toHaveLength(1);
  });

  it('index a chain that grew long after it was first walked short', () => {
    const rs = new Ruleset();
    ok(rs, '-t nat -N SVC');
    ok(rs, '-t nat -A PREROUTING -j SVC');
    ok(rs, '-t nat -A SVC -d 10.96.0.1/32 -p tcp -m tcp --dport 80 -j RETURN');
    walk(rs, 'nat', 'PREROUTING', 80);
    const svc = rs.table('nat')!.chains.get('SVC')!;
    expect(chainIndex(svc)).toBeNull();
    for (let i = 2; i < 40; i++) ok(rs, `-t nat -A SVC -d 10.96.0.${i}/32 -p tcp -m tcp --dport 80 -j RETURN`);
    expect(rs.table('nat')!.chains.get('SVC')).toBe(svc);
    expect(chainIndex(svc)).not.toBeNull();
  });
});
