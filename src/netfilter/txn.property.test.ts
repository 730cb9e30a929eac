/**
 * The copy-on-write transaction against the plain answer: after random chains of
 * commands, a table changed in place must answer every command, and walk every
 * packet, exactly as the same rules loaded fresh from its iptables-save text do
 * (whose transaction starts with no cached reachability and no shared chains).
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { Ruleset } from './rule.js';
import { runIptables } from './iptables/command.js';
import { runIptablesRestore } from './iptables/restore.js';
import { save } from './iptables/save.js';
import { runTable } from './evaluate.js';
import type { Hook, RuleStep } from './types.js';
import { makeEnv, makeSkb, tcpPacket } from './testing/packets.js';

const CHAINS = ['A', 'B', 'C', 'D'];
const HOOKS: Hook[] = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'];

function randomCommand(rng: Rng): string[] {
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)];
  const chain = pick([...CHAINS, ...HOOKS]);
  const user = pick(CHAINS);
  const match = pick(['', `-p tcp --dport ${rng.int(1, 4)}`, `-s 10.0.0.${rng.int(1, 3)}`])
    .split(' ')
    .filter(Boolean);
  const target = pick([
    ['-j', 'ACCEPT'],
    ['-j', 'RETURN'],
    ['-j', pick(CHAINS)],
    ['-g', pick(CHAINS)],
    ['-j', 'DNAT', '--to-destination', '10.9.9.9'],
    ['-j', 'SNAT', '--to-source', '10.8.8.8'],
    ['-j', 'MARK', '--set-mark', String(rng.int(1, 9))],
  ]);
  const n = String(rng.int(1, 3));
  const op = pick(['-A', '-A', '-A', '-I', '-I', '-D', '-Dn', '-R', '-N', '-X', '-F', '-E', '-Z', '-P']);
  const base = ['-t', 'nat'];
  switch (op) {
    case '-A':
      return [...base, '-A', chain, ...match, ...target];
    case '-I':
      return [...base, '-I', chain, n, ...match, ...target];
    case '-D':
      return [...base, '-D', chain, ...match, ...target];
    case '-Dn':
      return [...base, '-D', chain, n];
    case '-R':
      return [...base, '-R', chain, n, ...match, ...target];
    case '-E':
      return [...base, '-E', user, pick(CHAINS)];
    case '-P':
      return [...base, '-P', pick(HOOKS), pick(['ACCEPT', 'DROP'])];
    case '-Z':
      return [...base, '-Z'];
    default:
      return [...base, op, user];
  }
}

function walks(rs: Ruleset): string {
  const out: string[] = [];
  for (const hook of HOOKS)
    for (const dport of [1, 2, 3])
      for (const src of ['10.0.0.1', '10.0.0.2']) {
        const steps: RuleStep[] = [];
        const skb = makeSkb(tcpPacket(src, 1000, '10.0.0.9', dport));
        const v = runTable(rs, 'nat', hook, skb, makeEnv({ hook, table: 'nat' }), (s) => steps.push(s));
        out.push(`${hook} ${src}:${dport} ${v} mark=${skb.mark} ${steps.map((s) => `${s.chain}#${s.rule}:${s.verdict}`).join(',')}`);
      }
  return out.join('\n');
}

/**
 * The same rules, loaded afresh from their saved text. A restore creates every
 * built-in chain it names, where commands create them lazily (see Chain.registered):
 * that state is carried over, since it is not what is under test.
 */
function fresh(rs: Ruleset): Ruleset {
  const copy = new Ruleset();
  const r = runIptablesRestore(copy, save(rs, { counters: true }), { counters: true });
  expect(r.stderr).toBe('');
  for (const [name, t] of rs.tables)
    for (const c of t.chains.values()) {
      const twin = copy.table(name)!.chains.get(c.name)!;
      twin.registered = c.registered;
      twin.policyCounted = c.policyCounted;
    }
  return copy;
}

describe('copy-on-write transactions agree with fresh tables', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: 300 random commands`, () => {
      const rng = new Rng(seed);
      const rs = new Ruleset();
      let accepted = 0;
      for (let i = 0; i < 300; i++) {
        const argv = randomCommand(rng);
        const reference = fresh(rs);
        const want = runIptables(reference, argv);
        const got = runIptables(rs, argv);
        expect(got, `command ${i}: iptables ${argv.join(' ')}`).toEqual(want);
        if (got.exitCode === 0) accepted++;
        expect(save(rs, { counters: true }), `after iptables ${argv.join(' ')}`).toBe(save(reference, { counters: true }));
        if (i % 10 === 9) expect(walks(rs)).toBe(walks(reference));
        // Every jump points at the live chain of its name.
        for (const c of rs.table('nat')?.chains.values() ?? [])
          for (const r of c.rules)
            if (r.target.kind === 'jump' || r.target.kind === 'goto')
              expect(r.target.chain).toBe(rs.table('nat')!.chains.get(r.target.chainName));
      }
      // The sequences must exercise real changes, not only refusals.
      expect(accepted).toBeGreaterThan(100);
    });
  }
});
