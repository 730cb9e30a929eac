import { describe, expect, it } from 'vitest';
import { Ruleset } from '../rule.js';
import { runIptablesRestore } from './restore.js';
import { save } from './save.js';

const BASE = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:X - [0:0]
-A INPUT -j X
-A X -p tcp --dport 22 -j ACCEPT
COMMIT
`;

function loaded(): Ruleset {
  const rs = new Ruleset();
  expect(runIptablesRestore(rs, BASE).exitCode).toBe(0);
  return rs;
}

/** Each case: input, the kernel's stderr (measured with iptables-nft 1.8.9 on Linux 6.18) and exit code. */
const FAILURES: [string, string, string, number][] = [
  [
    'missing chain',
    '*filter\n-A INPUT -j FOO\nCOMMIT\n',
    "iptables-restore v1.8.9 (nf_tables): Chain 'FOO' does not exist\nError occurred at line: 2\nTry `iptables-restore -h' or 'iptables-restore --help' for more information.\n",
    2,
  ],
  [
    'append to missing chain',
    '*filter\n-A NOPE -j ACCEPT\nCOMMIT\n',
    'iptables-restore: line 2 failed: No chain/target/match by that name.\n',
    1,
  ],
  [
    'loop',
    '*filter\n:Y - [0:0]\n-A Y -j Y\n-A INPUT -j Y\nCOMMIT\n',
    'iptables-restore v1.8.9 (nf_tables): \nline 4: RULE_APPEND failed (Too many links): rule in chain INPUT\n',
    4,
  ],
  [
    'DNAT in filter',
    '*filter\n-A INPUT -j DNAT --to-destination 1.2.3.4\nCOMMIT\n',
    'iptables-restore v1.8.9 (nf_tables): \nline 2: RULE_APPEND failed (Invalid argument): rule in chain INPUT\n',
    4,
  ],
  [
    'DNAT reached from POSTROUTING',
    '*nat\n:X - [0:0]\n-A POSTROUTING -j X\n-A X -j DNAT --to-destination 1.2.3.4\nCOMMIT\n',
    'iptables-restore v1.8.9 (nf_tables): \nline 4: RULE_APPEND failed (Invalid argument): rule in chain X\n',
    4,
  ],
  [
    'jump makes DNAT reachable',
    '*nat\n:X - [0:0]\n-A X -j DNAT --to-destination 1.2.3.4\n-A POSTROUTING -j X\nCOMMIT\n',
    'iptables-restore v1.8.9 (nf_tables): \nline 4: RULE_APPEND failed (Invalid argument): rule in chain POSTROUTING\n',
    4,
  ],
  [
    'unknown option',
    '*filter\n-A INPUT -p tcp --dportx 80\nCOMMIT\n',
    "iptables-restore v1.8.9 (nf_tables): unknown option \"--dportx\"\nError occurred at line: 2\nTry `iptables-restore -h' or 'iptables-restore --help' for more information.\n",
    2,
  ],
  [
    'implicit match needs -p',
    '*filter\n-A INPUT --dport 80 -j ACCEPT\nCOMMIT\n',
    "iptables-restore v1.8.9 (nf_tables): unknown option \"--dport\"\nError occurred at line: 2\nTry `iptables-restore -h' or 'iptables-restore --help' for more information.\n",
    2,
  ],
  [
    'tcp without -p',
    '*filter\n-A INPUT -m tcp --dport 80 -j ACCEPT\nCOMMIT\n',
    "iptables-restore v1.8.9 (nf_tables): TCP match requires '-p tcp'\nError occurred at line: 2\nTry `iptables-restore -h' or 'iptables-restore --help' for more information.\n",
    2,
  ],
  ['no COMMIT', '*filter\n-A INPUT -j ACCEPT\n', 'iptables-restore: COMMIT expected at line 3\n', 1],
  [
    // iptables-restore 1.8.9 crashes here (SIGSEGV); nflab refuses instead.
    'zeroing a rule the file added',
    '*filter\n-N fzr\n-A fzr -j ACCEPT\n-Z fzr 1\nCOMMIT\n',
    'iptables-restore: line 4 failed: zeroing a rule this block added (-Z CHAIN N) is refused: iptables-restore 1.8.9 crashes on it.\n',
    1,
  ],
  [
    // iptables-restore 1.8.9 crashes at COMMIT (exit 139); nflab refuses the block there, naming the line.
    'replacing a rule the block added',
    '*filter\n-N fzr\n-A fzr -j ACCEPT\n-R fzr 1 -j DROP\nCOMMIT\n',
    'iptables-restore: line 4 failed: replacing a rule this block added (-R CHAIN N) is refused: iptables-restore 1.8.9 crashes on it.\n',
    1,
  ],
  [
    // The crash comes only when the block is committed: the kernel's tool reports a later line's error first.
    'an error after the crashing line',
    '*filter\n-N fzr\n-A fzr -j ACCEPT\n-R fzr 1 -j DROP\n-D fzr 5\nCOMMIT\n',
    'iptables-restore: line 5 failed: Index of deletion too big.\n',
    1,
  ],
  [
    'bad table',
    '*bogus\nCOMMIT\n',
    "iptables-restore v1.8.9 (nf_tables): iptables-restore: line 1 table name 'bogus' invalid\nError occurred at line: 1\nTry `iptables-restore -h' or 'iptables-restore --help' for more information.\n",
    2,
  ],
  ['garbage', 'garbage\n', 'iptables-restore: line 1 failed\n', 1],
  ['bad policy', '*filter\n:INPUT FOO [0:0]\nCOMMIT\n', 'iptables-restore: line 2 failed: Bad policy name.\n', 1],
  [
    '-o with INPUT',
    '*filter\n-A INPUT -o eth0 -j ACCEPT\nCOMMIT\n',
    "iptables-restore v1.8.9 (nf_tables): Can't use -o with INPUT\n\nError occurred at line: 2\nTry `iptables-restore -h' or 'iptables-restore --help' for more information.\n",
    2,
  ],
  [
    'busy chain',
    '*filter\n-X X\nCOMMIT\n',
    'iptables-restore v1.8.9 (nf_tables): \nline 2: CHAIN_DEL failed (Device or resource busy): chain X\n',
    4,
  ],
  [
    'TPROXY without -p',
    '*mangle\n-A PREROUTING -j TPROXY --on-port 1\nCOMMIT\n',
    'iptables-restore v1.8.9 (nf_tables): \nline 2: RULE_APPEND failed (Invalid argument): rule in chain PREROUTING\n',
    4,
  ],
  ['deletion index', '*filter\n-D INPUT 9\nCOMMIT\n', 'iptables-restore: line 2 failed: Index of deletion too big.\n', 1],
];

describe('iptables-restore errors (kernel wording) leave the rules unchanged', () => {
  for (const [name, text, stderr, code] of FAILURES) {
    it(name, () => {
      const rs = loaded();
      const before = save(rs, { counters: true });
      const r = runIptablesRestore(rs, text, { noflush: true, file: 'topo.yaml', lineOffset: 10 });
      expect(r.stderr).toBe(stderr);
      expect(r.exitCode).toBe(code);
      expect(r.ok).toBe(false);
      expect(r.diagnostics[0].file).toBe('topo.yaml');
      expect(r.diagnostics[0].message).toMatch(/^iptables-restore: line \d+ failed/);
      expect(save(rs, { counters: true })).toBe(before);
    });
  }

  it('points diagnostics into the enclosing file', () => {
    const r = runIptablesRestore(new Ruleset(), '*filter\n-A INPUT -j FOO\nCOMMIT\n', { file: 't.yaml', lineOffset: 20 });
    expect(r.diagnostics).toEqual([
      { file: 't.yaml', line: 22, col: 1, message: "iptables-restore: line 2 failed: Chain 'FOO' does not exist" },
    ]);
  });

  it('keeps blocks committed before the failing one, as iptables-nft does', () => {
    const rs = new Ruleset();
    const r = runIptablesRestore(rs, '*filter\n-A INPUT -j ACCEPT\nCOMMIT\n*filter\n-A INPUT -j FOO\nCOMMIT\n');
    expect(r.exitCode).toBe(2);
    expect(save(rs)).toContain('-A INPUT -j ACCEPT');
  });

  it("with atomic: 'batch' a failure anywhere changes nothing", () => {
    const rs = new Ruleset();
    runIptablesRestore(rs, '*filter\n-A INPUT -j ACCEPT\nCOMMIT\n*filter\n-A INPUT -j FOO\nCOMMIT\n', { atomic: 'batch' });
    expect(save(rs)).toBe('');
  });
});

describe('iptables-restore semantics', () => {
  it('creates only tables that something used', () => {
    const rs = new Ruleset();
    runIptablesRestore(rs, '*nat\nCOMMIT\n*filter\n-F\nCOMMIT\n*raw\n-N X\nCOMMIT\n');
    expect(save(rs)).toBe('*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:X - [0:0]\nCOMMIT\n');
  });

  it('flushes only the tables it names, or nothing with --noflush', () => {
    const rs = loaded();
    runIptablesRestore(rs, '*nat\n-A POSTROUTING -j ACCEPT\nCOMMIT\n');
    expect(save(rs, { table: 'filter' })).toContain('-A INPUT -j X');
    runIptablesRestore(rs, '*filter\n-A INPUT -j DROP\nCOMMIT\n', { noflush: true });
    expect(save(rs, { table: 'filter' })).toContain('-A INPUT -j X\n-A INPUT -j DROP\n');
    runIptablesRestore(rs, '*filter\n-A INPUT -j DROP\nCOMMIT\n');
    expect(save(rs, { table: 'filter' })).toBe(
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -j DROP\nCOMMIT\n',
    );
  });

  it('orders tables as iptables-nft does and sorts user chains', () => {
    const rs = new Ruleset();
    runIptablesRestore(
      rs,
      '*nat\n:b - [0:0]\n:B - [0:0]\n:a - [0:0]\nCOMMIT\n*security\n:INPUT ACCEPT [0:0]\nCOMMIT\n*raw\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n*mangle\n:INPUT ACCEPT [0:0]\nCOMMIT\n',
    );
    const out = save(rs);
    expect(out.match(/^\*\w+/gm)).toEqual(['*mangle', '*security', '*raw', '*nat']);
    expect(out.match(/^:[abB] /gm)).toEqual([':B ', ':a ', ':b ']);
  });

  it('loads counters only with -c, and needs them on chain lines then', () => {
    const text = '*filter\n:INPUT DROP [5:300]\n[7:420] -A INPUT -j ACCEPT\nCOMMIT\n';
    const a = new Ruleset();
    runIptablesRestore(a, text);
    expect(save(a, { counters: true })).toContain(':INPUT DROP [0:0]\n');
    expect(save(a, { counters: true })).toContain('\n[0:0] -A INPUT -j ACCEPT\n');
    const b = new Ruleset();
    runIptablesRestore(b, text, { counters: true });
    expect(save(b, { counters: true })).toContain(':INPUT DROP [5:300]\n');
    expect(save(b, { counters: true })).toContain('\n[7:420] -A INPUT -j ACCEPT\n');
    const r = runIptablesRestore(new Ruleset(), '*filter\n:INPUT DROP\nCOMMIT\n', { counters: true });
    expect(r.stderr).toContain("invalid policy counters for chain 'INPUT'");
  });

  it('normalises what the kernel normalises', () => {
    const rs = new Ruleset();
    const r = runIptablesRestore(
      rs,
      `*filter
-A INPUT -s 1.2.3 -d 10.0.0.2/24 -p tcp --dport http -m multiport --dports ssh,https,1000:2000 -j ACCEPT
-A INPUT -p tcp --syn -m tcp ! --dport 80 ! --sport 1:2
-A INPUT -s 1.2.3.0/255.0.255.0 -p icmp --icmp-type port-unreachable -j REJECT
-A INPUT -p udp --sport 5: -m mark --mark 1337 -m comment --comment "it's \\"quoted\\"" -j MARK --set-mark 0x5
-A INPUT -m statistic --mode random --probability 0.3333333333 -j MARK --or-mark 0x4000
-A INPUT -p 47 -j CONNMARK --save-mark
COMMIT
`,
    );
    expect(r.stderr).toBe('');
    expect(
      save(rs, { table: 'filter' })
        .split('\n')
        .filter((l) => l.startsWith('-A')),
    ).toEqual([
      '-A INPUT -s 1.2.3.0/32 -d 10.0.0.0/24 -p tcp -m tcp --dport 80 -m multiport --dports 22,443,1000:2000 -j ACCEPT',
      '-A INPUT -p tcp -m tcp ! --sport 1:2 ! --dport 80 --tcp-flags FIN,SYN,RST,ACK SYN',
      '-A INPUT -s 1.0.3.0/255.0.255.0 -p icmp -m icmp --icmp-type 3/3 -j REJECT --reject-with icmp-port-unreachable',
      `-A INPUT -p udp -m udp --sport 5:65535 -m mark --mark 0x539 -m comment --comment "it\\'s \\"quoted\\"" -j MARK --set-xmark 0x5/0xffffffff`,
      '-A INPUT -m statistic --mode random --probability 0.33333333349 -j MARK --set-xmark 0x4000/0x4000',
      '-A INPUT -p gre -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff',
    ]);
  });
});
