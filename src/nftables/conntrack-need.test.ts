import { describe, expect, it } from 'vitest';
import { compileRuleset } from './eval.js';
import { runNftCommand } from './command.js';
import { loadNftables, NftNode } from './node-state.js';

/**
 * Which native rules make a namespace track connections. Measured on Linux 6.18 with nft 1.0.6: each
 * ruleset loaded into a fresh namespace with lo up, one UDP datagram sent to 127.0.0.1, then
 * `conntrack -L` counted (1 entry: tracking; 0: not).
 */
const KERNEL: Array<[string, string, boolean]> = [
  [
    'a nat output chain with only counter accept',
    'table ip lb { chain out { type nat hook output priority -100; counter accept; }; }',
    false,
  ],
  ['the same in an inet table', 'table inet lb { chain out { type nat hook output priority -100; counter accept; }; }', false],
  ['ct state in a filter chain', 'table ip fw { chain out { type filter hook output priority 0; ct state new counter; }; }', true],
  ['ct state in an inet table', 'table inet fw { chain out { type filter hook output priority 0; ct state new counter; }; }', true],
  ['ct state in a chain no hook reaches', 'table ip fw { chain x { ct state new counter; }; }', true],
  [
    'ct state in an ip6 table (IPv6 only)',
    'table ip6 fw { chain out { type filter hook output priority 0; ct state new counter; }; }',
    false,
  ],
  ['a ct vmap', 'table ip fw { chain out { type filter hook output priority 0; ct state vmap { new : accept }; }; }', true],
  [
    'ct in a concatenation',
    'table ip fw { chain out { type filter hook output priority 0; ip saddr . ct state { 1.2.3.4 . new } counter; }; }',
    true,
  ],
  [
    'dnat that matches nothing sent',
    'table ip lb { chain out { type nat hook output priority -100; tcp dport 81 dnat to 127.0.0.1:80; }; }',
    true,
  ],
  ['snat', 'table ip lb { chain post { type nat hook postrouting priority 100; oifname "x" snat to 1.2.3.4; }; }', true],
  ['masquerade', 'table ip lb { chain post { type nat hook postrouting priority 100; oifname "x" masquerade; }; }', true],
  ['redirect', 'table ip lb { chain pre { type nat hook prerouting priority -100; tcp dport 1 redirect to :2; }; }', true],
  ['ct mark set', 'table ip fw { chain out { type filter hook output priority 0; tcp dport 1 ct mark set 1; }; }', true],
  ['meta mark set ct mark', 'table ip fw { chain out { type filter hook output priority 0; tcp dport 1 meta mark set ct mark; }; }', true],
  ['notrack alone', 'table ip fw { chain out { type filter hook output priority -300; tcp dport 53 notrack; }; }', false],
  ['masquerade in an ip6 table', 'table ip6 lb { chain post { type nat hook postrouting priority 100; oifname "x" masquerade; }; }', false],
];

function node(text: string): NftNode {
  const n = new NftNode(() => 0);
  expect(loadNftables(n, { text, file: 't', lineOffset: 0 })).toEqual([]);
  return n;
}

function nft(n: NftNode, ...args: string[]): void {
  expect(runNftCommand(n, args, '').stderr).toBe('');
}

describe('a native rule switches conntrack on only if the kernel initialises it with conntrack', () => {
  for (const [what, text, tracks] of KERNEL)
    it(`${what}: ${tracks ? 'tracks' : 'does not track'}`, () => {
      expect(node(text).program.needsConntrack).toBe(tracks);
    });
});

describe('conntrack switches off with the last rule that needs it, and on again with the next', () => {
  // Measured: with `udp dport 7 ct state new counter` a datagram to port 9 was tracked; after
  // `nft flush chain ip fw out` one to port 10 was not (the nat chain's counter stood still);
  // after the rule came back, one to port 11 was; with only a dnat rule in the nat chain, again.
  it('follows rule additions and deletions, through the incremental path as through a fresh compile', () => {
    const n = node(
      'table ip fw { chain out { type filter hook output priority 0; policy accept; udp dport 7 ct state new counter; }; }\n' +
        'table ip lb { chain out { type nat hook output priority -100; counter accept; }; }',
    );
    const states: boolean[] = [n.program.needsConntrack];
    nft(n, 'flush', 'chain', 'ip', 'fw', 'out');
    states.push(n.program.needsConntrack);
    nft(n, 'add', 'rule', 'ip', 'fw', 'out', 'udp', 'dport', '7', 'ct', 'state', 'new', 'counter');
    states.push(n.program.needsConntrack);
    nft(n, 'delete', 'table', 'ip', 'fw');
    states.push(n.program.needsConntrack);
    nft(n, 'add', 'rule', 'ip', 'lb', 'out', 'udp', 'dport', '12', 'dnat', 'to', '127.0.0.1:13');
    states.push(n.program.needsConntrack);
    expect(states).toEqual([true, false, true, false, true]);
    expect(compileRuleset(n.rs).needsConntrack).toBe(true);
  });

  it('a change to a chain no hook reaches is counted too, without recompiling the hooks', () => {
    const n = node('table ip fw { chain out { type filter hook output priority 0; jump x; }; chain x { counter; }; }');
    const prog = n.program;
    expect(prog.needsConntrack).toBe(false);
    nft(n, 'add', 'rule', 'ip', 'fw', 'x', 'ct', 'state', 'new', 'counter');
    expect(n.program).toBe(prog);
    expect(n.program.needsConntrack).toBe(true);
    nft(n, 'flush', 'chain', 'ip', 'fw', 'x');
    expect(n.program).toBe(prog);
    expect(n.program.needsConntrack).toBe(false);
  });
});
