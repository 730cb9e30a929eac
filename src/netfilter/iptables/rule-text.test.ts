/**
 * How iptables-nft 1.8.9 reads, stores and compares a rule where the rule fuzzer found nflab
 * wrong (each answer measured on Linux 6.18; the fuzzer's cases in
 * test/differential/fuzz-rules/cases/ hold the kernel's full answers).
 */
import { describe, expect, it } from 'vitest';
import type { NfEnv, Skb } from '../types.js';
import { Ruleset } from '../rule.js';
import { runIptables } from './command.js';
import { runIptablesRestore } from './restore.js';

const run = (rs: Ruleset, line: string) => runIptables(rs, line.split(' '));
const rules = (rs: Ruleset) => run(rs, '-S INPUT').stdout.split('\n').slice(1, -1);

describe('limit --limit-burst 0', () => {
  it('is stored as burst 5, so -C and -D with 0 never find the rule', () => {
    const rs = new Ruleset();
    expect(run(rs, '-A INPUT -m limit --limit-burst 0 -j ACCEPT').exitCode).toBe(0);
    expect(rules(rs)).toEqual(['-A INPUT -m limit --limit 3/hour -j ACCEPT']);
    expect(run(rs, '-C INPUT -m limit --limit-burst 0 -j ACCEPT').exitCode).toBe(1);
    expect(run(rs, '-D INPUT -m limit --limit-burst 0 -j ACCEPT').exitCode).toBe(1);
    expect(run(rs, '-C INPUT -m limit --limit-burst 5 -j ACCEPT').exitCode).toBe(0);
    expect(run(rs, '-D INPUT -m limit -j ACCEPT').exitCode).toBe(0);
    expect(rules(rs)).toEqual([]);
  });

  it('in a restore block, compares as built with the rules the block added', () => {
    const rs = new Ruleset();
    const block = (lines: string, noflush = false) => runIptablesRestore(rs, `*filter\n${lines}\nCOMMIT\n`, { noflush });
    const same = block(
      '-A INPUT -m limit --limit-burst 0 -j ACCEPT\n-D INPUT -m limit --limit-burst 0 -j ACCEPT\n-A INPUT -m limit --limit-burst 0 -j DROP',
    );
    expect(same.exitCode).toBe(0);
    expect(rules(rs)).toEqual(['-A INPUT -m limit --limit 3/hour -j DROP']);
    // A later block reads the rule back from the kernel: burst 5.
    expect(block('-D INPUT -m limit --limit-burst 0 -j DROP', true).stderr).toBe(
      'iptables-restore: line 2 failed: Bad rule (does a matching rule exist in that chain?).\n',
    );
    expect(block('-D INPUT -m limit -j DROP', true).exitCode).toBe(0);
    expect(block('-A INPUT -m limit --limit-burst 0 -j DROP\n-D INPUT -m limit -j DROP').exitCode).toBe(1);
  });
});

describe('several tcp/udp matches with ports', () => {
  // Each row: the two options, what iptables -S prints (measured for udp and tcp, --sport and --dport alike).
  const MERGED: [string, string, string][] = [
    ['--dport 1:1024', '--dport 0:65534', '--dport 1:65534'],
    ['--dport 1:1024', '--dport 5:65535', '--dport 5:65535'],
    ['! --dport 7', '--dport 5:65535', '! --dport 5:65535'],
    ['--dport 1:1024', '! --dport 5:65535', '! --dport 5:65535'],
    ['--dport 7', '! --dport 0:100', '--dport 101:7'],
    ['! --dport 1:1024', '! --dport 0:100', '! --dport 101:1024'],
    ['! --dport 0', '--dport 0:65534', '! --dport 0:65534'],
    ['! --dport 0:100', '--dport 5:65535', '--dport 5:65535'],
    ['--dport 1:1024', '--dport 0:0', '--dport 0'],
    ['--sport 200:300', '--sport 0:100', '--sport 200:100'],
  ];
  for (const [a, b, printed] of MERGED)
    for (const p of ['udp', 'tcp'])
      it(`${p}: ${a} then ${b} prints ${printed}`, () => {
        const rs = new Ruleset();
        expect(run(rs, `-A INPUT -p ${p} -m ${p} ${a} -m ${p} ${b}`).stderr).toBe('');
        expect(rules(rs)).toEqual([`-A INPUT -p ${p} -m ${p} ${printed}`]);
      });

  it('keeps a match of full ranges apart (an xt match), and drops an inverted full range', () => {
    const rs = new Ruleset();
    run(rs, '-A INPUT -p udp -m udp --dport 1:1024 -m udp --dport 0:65535');
    run(rs, '-A INPUT -p udp -m udp --dport 0:65535 -m udp --dport 1:1024');
    run(rs, '-A INPUT -p udp -m udp --dport 1:1024 -m udp ! --dport 0:65535');
    expect(rules(rs)).toEqual([
      '-A INPUT -p udp -m udp --dport 1:1024 -m udp',
      '-A INPUT -p udp -m udp -m udp --dport 1:1024',
      '-A INPUT -p udp -m udp --dport 1:1024',
    ]);
  });

  it('a packet must still pass every compare, not the printed range', () => {
    const rs = new Ruleset();
    run(rs, '-A INPUT -p udp -m udp --dport 7 -m udp ! --dport 0:100');
    const rule = rs.table('filter')!.chains.get('INPUT')!.rules[0];
    const pass = (dport: number) =>
      rule.matches.every((m) => m.test({ pkt: { udp: { sport: 1, dport }, fragOffset: 0 } } as unknown as Skb, {} as NfEnv));
    // 7 fails the second compare (> 100), 101 the first (== 7): nothing passes, whatever `101:7` suggests.
    expect([7, 101, 150].map(pass)).toEqual([false, false, false]);
    run(rs, '-F INPUT');
    run(rs, '-A INPUT -p udp -m udp --dport 1:1024 -m udp --dport 0:65534');
    const wide = rs.table('filter')!.chains.get('INPUT')!.rules[0];
    const passWide = (dport: number) =>
      wide.matches.every((m) => m.test({ pkt: { udp: { sport: 1, dport }, fragOffset: 0 } } as unknown as Skb, {} as NfEnv));
    expect([0, 1, 1024, 1025].map(passWide)).toEqual([false, true, true, false]);
  });
});

describe('an option without its argument', () => {
  const err = (line: string) => run(new Ruleset(), line).stderr.split('\n')[0];
  it('is named as typed', () => {
    expect(err('-A INPUT -m multiport --dport')).toBe('iptables v1.8.9 (nf_tables): option "--dport" requires an argument');
    expect(err('-A INPUT -s')).toBe('iptables v1.8.9 (nf_tables): option "-s" requires an argument');
    expect(err('-A INPUT --sour')).toBe('iptables v1.8.9 (nf_tables): option "--sour" requires an argument');
  });
  it('a second argument starting with - or ! is missing, in the words of each option', () => {
    expect(err('-A INPUT -p tcp --tcp-flags SYN -j ACCEPT')).toBe('iptables v1.8.9 (nf_tables): --tcp-flags requires two args.');
    expect(err('-A INPUT -m set --match-set foo !')).toBe('iptables v1.8.9 (nf_tables): --match-set requires two args.');
    expect(err('-P INPUT')).toBe('iptables v1.8.9 (nf_tables): -P requires a chain and a policy');
    expect(err('-c 1 !2 -A INPUT')).toBe('iptables v1.8.9 (nf_tables): -c requires packet and byte counter');
    expect(err('-E foo')).toBe('iptables v1.8.9 (nf_tables): -E requires old-chain-name and new-chain-name');
  });
});

describe('DSCP', () => {
  const err = (line: string) => run(new Ruleset(), `-t mangle -A INPUT -j DSCP ${line}`).stderr.split('\n')[0];
  it('checks each value as read, and the two options together at the end', () => {
    expect(err('--set-dscp 64 --bogus')).toBe(
      'iptables v1.8.9 (nf_tables): DSCP: bad value for option "--set-dscp", or out of range (0-63).',
    );
    expect(err('--set-dscp 3 --set-dscp 99')).toBe('iptables v1.8.9 (nf_tables): DSCP: option "--set-dscp" can only be used once.');
    expect(err('--set-dscp 3 --set-dscp-class EF --bogus')).toBe('iptables v1.8.9 (nf_tables): unknown option "--bogus"');
    expect(err('--set-dscp-class EF --set-dscp 3')).toBe(
      'iptables v1.8.9 (nf_tables): DSCP: option "--set-dscp" cannot be used together with "--set-dscp-class".',
    );
  });
});

describe('a chain name longer than 28 characters in a rule command', () => {
  const LONG = 'a-chain-name-that-is-far-too-long-x';
  const err = (line: string) => run(new Ruleset(), line.replace('L', LONG)).stderr.split('\n')[0];
  it('is reported after the final checks, the addresses and -c, before the rest', () => {
    expect(err('-I L -m hashlimit --hashlimit-upto 1/s -j ACCEPT')).toBe(
      'iptables v1.8.9 (nf_tables): hashlimit: option "--hashlimit-name" must be specified',
    );
    expect(err('-A L -s 1.2.3.400')).toBe("iptables v1.8.9 (nf_tables): host/network `1.2.3.400' not found");
    expect(err('-D L -c 1 2 -j ACCEPT')).toBe("iptables v1.8.9 (nf_tables): Illegal option `-c' with this command");
    expect(err('-A L -j nochain')).toBe(`iptables v1.8.9 (nf_tables): chain name \`${LONG}' too long (must be under 29 chars)`);
  });
});

describe('an option name two loaded extensions share', () => {
  const mangle = (rest: string) => {
    const rs = new Ruleset();
    const r = run(rs, `-t mangle -A PREROUTING ${rest}`);
    return r.exitCode === 0 ? run(rs, '-t mangle -S PREROUTING').stdout.split('\n')[1] : r.stderr.split('\n')[0];
  };
  it('belongs to the kind loaded first most recently; a prefix of it is ambiguous', () => {
    expect(mangle('-m recent --set -j CONNMARK --restore-mark --mask 255.255.255.0')).toBe(
      'iptables v1.8.9 (nf_tables): CONNMARK: bad value for option "--mask", or out of range (0-4294967295).',
    );
    expect(mangle('-j CONNMARK --restore-mark -m recent --set --mask 255.255.255.0')).toBe(
      '-A PREROUTING -m recent --set --name DEFAULT --mask 255.255.255.0 --rsource -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff',
    );
    // A second -m recent does not put recent's options in front again.
    expect(mangle('-m recent --rcheck -j CONNMARK --save-mark -m recent --set --mask 255.0.0.0')).toBe(
      'iptables v1.8.9 (nf_tables): CONNMARK: bad value for option "--mask", or out of range (0-4294967295).',
    );
    expect(mangle('-m recent --set -j CONNMARK --restore-mark --mas 0xff')).toBe('iptables v1.8.9 (nf_tables): unknown option "--mas"');
  });
});

describe('hashlimit', () => {
  it('rate-match stores an expiry of its unit, which -L prints beside a rate divided by the interval', () => {
    const rs = new Ruleset();
    run(rs, '-A INPUT -m hashlimit --hashlimit-upto 7 --hashlimit-name a1 --hashlimit-rate-match --hashlimit-rate-interval 5');
    expect(rules(rs)).toEqual([
      '-A INPUT -m hashlimit --hashlimit-upto 7/sec --hashlimit-burst 5 --hashlimit-name a1 --hashlimit-rate-match --hashlimit-rate-interval 5',
    ]);
    expect(run(rs, '-L INPUT -n').stdout.split('\n')[2]).toMatch(
      /limit: up to 84\/min burst 5 htable-expire 1000 rate-match rate-interval 5$/,
    );
  });

  it('two matches of one name in one rule must have the same mode', () => {
    const rs = new Ruleset();
    const hl = (name: string, extra = '') => `-m hashlimit --hashlimit-upto 7 --hashlimit-name ${name}${extra}`;
    expect(run(rs, `-A INPUT ${hl('h1')} ${hl('h1', ' --hashlimit-rate-match')} -j DROP`).stderr).toBe(
      'iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain INPUT\n',
    );
    expect(run(rs, `-A INPUT ${hl('h2')} ${hl('h2', ' --hashlimit-htable-size 5')} -j DROP`).exitCode).toBe(0);
  });
});

describe('the operation a refused rule names', () => {
  const refusal = (op: string, chain: string, errno: string) =>
    `iptables v1.8.9 (nf_tables):  ${op} failed (${errno}): rule in chain ${chain}\n`;
  it('-I N inserts before rule N, and appends after rule N-1 only when there is no rule N', () => {
    const rs = new Ruleset();
    const nope = '-m nfacct --nfacct-name nope -j ACCEPT';
    run(rs, '-A FORWARD -j ACCEPT');
    expect(run(rs, `-I FORWARD 2 ${nope}`).stderr).toBe(refusal('RULE_APPEND', 'FORWARD', 'No such file or directory'));
    run(rs, '-A FORWARD -j ACCEPT');
    expect(run(rs, `-I FORWARD 2 ${nope}`).stderr).toBe(refusal('RULE_INSERT', 'FORWARD', 'No such file or directory'));
    expect(run(rs, `-I FORWARD 3 ${nope}`).stderr).toBe(refusal('RULE_APPEND', 'FORWARD', 'No such file or directory'));
  });

  it('a jump to a built-in chain: EOPNOTSUPP once it is made, ENOENT before, after the matches', () => {
    const rs = new Ruleset();
    run(rs, '-N c');
    expect(run(rs, '-A c -j OUTPUT').stderr).toBe(refusal('RULE_APPEND', 'c', 'No such file or directory'));
    expect(run(rs, '-A INPUT -g INPUT').stderr).toBe(refusal('RULE_APPEND', 'INPUT', 'Operation not supported'));
    expect(run(rs, '-t raw -A OUTPUT -m rpfilter -j OUTPUT').stderr).toBe(refusal('RULE_APPEND', 'OUTPUT', 'Invalid argument'));
    expect(run(rs, '-t nat -A PREROUTING -j POSTROUTING').stderr).toBe(refusal('RULE_APPEND', 'PREROUTING', 'No such file or directory'));
  });
});

describe('multiport with three port options', () => {
  it('names the first two in its order of definition', () => {
    const err = (opts: string) => run(new Ruleset(), `-A INPUT -p tcp -m multiport ${opts}`).stderr.split('\n')[0];
    const msg = (a: string, b: string) => `iptables v1.8.9 (nf_tables): multiport: option "--${a}" cannot be used together with "--${b}".`;
    expect(err('--dports 3 --ports 1 --sports 2')).toBe(msg('source-ports', 'destination-ports'));
    expect(err('--ports 1 --dports 2')).toBe(msg('destination-ports', 'ports'));
  });
});

describe('a restore block zeroing rules it added with counters', () => {
  const restore = (lines: string) => runIptablesRestore(new Ruleset(), `*filter\n${lines}\nCOMMIT\n`);
  const refused = (line: number, chain: string) =>
    `iptables-restore v1.8.9 (nf_tables): \nline ${line}: RULE_REPLACE failed (Invalid argument): rule in chain ${chain}\n`;
  it('fails at COMMIT, unless -F CHAIN took their replacement out of the batch', () => {
    expect(restore('-A INPUT -c 1 2 -j ACCEPT\n-Z\n-D INPUT 1').stderr).toBe(refused(3, 'INPUT'));
    expect(restore('-N x\n-A x -c 1 2 -j ACCEPT\n-Z x\n-F x\n-A x -c 5 6 -j ACCEPT').exitCode).toBe(0);
    expect(restore('-A INPUT -c 1 2 -j ACCEPT\n-Z\n-F INPUT\n-A INPUT -c 1 1 -j ACCEPT\n-Z INPUT').stderr).toBe(refused(6, 'INPUT'));
    expect(restore('-A INPUT -c 1 2 -j ACCEPT\n-A OUTPUT -c 1 2 -j ACCEPT\n-Z\n-F INPUT').stderr).toBe(refused(4, 'OUTPUT'));
  });
});
