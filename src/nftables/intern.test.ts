import { describe, expect, it } from 'vitest';
import { emptyRuleset } from './ast.js';
import { printRuleset } from './print.js';
import { runNft } from './txn.js';

describe('equal parts of rules are one shared object', () => {
  const text = `add table ip t
add chain ip t a
add chain ip t b
add rule ip t a ip daddr 10.0.0.1 tcp dport 80 counter jump b
add rule ip t a ip daddr 10.0.0.2 tcp dport 80 counter jump b
add rule ip t b ip saddr 10.0.0.0/8 tcp dport 80 accept
`;
  it('selectors, matches and verdicts are shared; counters and distinct addresses are not; they list as written', () => {
    const rs = emptyRuleset();
    expect(runNft(rs, text).ok).toBe(true);
    const [a, b] = rs.tables[0].chains;
    const [r1, r2] = a.rules;
    expect(r1.stmts[1]).toBe(r2.stmts[1]); // tcp dport 80
    expect(r1.stmts[1]).toBe(b.rules[0].stmts[1]);
    expect(r1.stmts[3]).toBe(r2.stmts[3]); // jump b
    expect(r1.stmts[2]).not.toBe(r2.stmts[2]); // counters count per rule
    expect(r1.stmts[0]).not.toBe(r2.stmts[0]);
    const m1 = r1.stmts[0];
    const m2 = r2.stmts[0];
    if (m1.k !== 'match' || m2.k !== 'match') throw new Error('not matches');
    expect(m1.left).toBe(m2.left); // ip daddr
    expect(printRuleset(rs, { handles: false })).toContain('ip daddr 10.0.0.2 tcp dport 80 counter packets 0 bytes 0 jump b');
  });

  it('a rule given a bad jump still names the place of its target after other rules shared the verdict', () => {
    const rs = emptyRuleset();
    expect(runNft(rs, text).ok).toBe(true);
    const r = runNft(rs, 'add rule ip t a tcp dport 80 jump nowhere\n');
    const line = 'add rule ip t a tcp dport 80 jump nowhere';
    expect(r).toEqual({
      ok: false,
      errors: [{ line: 1, col: line.indexOf('nowhere') + 1, end: line.length + 1, message: expect.any(String) }],
    });
  });
});
