import { describe, expect, it } from 'vitest';
import { Ruleset } from './rule.js';
import { runIptablesRestore } from './iptables/restore.js';
import { save } from './iptables/save.js';
import { runTable } from './evaluate.js';
import type { RuleStep } from './types.js';
import { makeEnv, makeSkb, tcpPacket, udpPacket } from './testing/packets.js';

function load(text: string): Ruleset {
  const rs = new Ruleset();
  const r = runIptablesRestore(rs, text);
  expect(r.stderr).toBe('');
  return rs;
}

const RULES = `*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:WEB - [0:0]
:GO - [0:0]
:LOGDROP - [0:0]
-A INPUT -p tcp -j WEB
-A INPUT -p udp -g GO
-A INPUT -s 10.0.0.0/8 -j ACCEPT
-A WEB -p tcp -m tcp --dport 22 -j RETURN
-A WEB -j LOG --log-prefix "web: "
-A WEB -p tcp -m tcp --dport 80 -j ACCEPT
-A GO -p udp -m udp --dport 53
-A GO -p udp -m udp --dport 54 -j LOGDROP
-A LOGDROP -j DROP
COMMIT
`;

describe('runTable', () => {
  it('follows a jump, reports steps in order and ends on the rule verdict', () => {
    const rs = load(RULES);
    const steps: RuleStep[] = [];
    const env = makeEnv();
    const v = runTable(rs, 'filter', 'INPUT', makeSkb(tcpPacket('192.0.2.1', 40000, '192.0.2.2', 80)), env, (s) => steps.push(s));
    expect(v).toBe('ACCEPT');
    expect(steps.map((s) => [s.chain, s.rule, s.verdict, s.target])).toEqual([
      ['INPUT', 1, 'JUMP:WEB', undefined],
      ['WEB', 2, 'CONTINUE', 'LOG'],
      ['WEB', 3, 'ACCEPT', undefined],
    ]);
    expect(steps[1].ruleText).toBe('-A WEB -j LOG --log-prefix "web: "');
    expect(env.logs[0]).toMatch(
      /^web: IN=eth0 OUT= SRC=192\.0\.2\.1 DST=192\.0\.2\.2 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=40000 DPT=80 WINDOW=64240 RES=0x00 SYN URGP=0 $/,
    );
  });

  it('returns from a user chain and falls through to the policy, counting bytes as IP total length', () => {
    const rs = load(RULES);
    const steps: RuleStep[] = [];
    const pkt = tcpPacket('192.0.2.1', 40000, '192.0.2.2', 22);
    const v = runTable(rs, 'filter', 'INPUT', makeSkb(pkt), makeEnv(), (s) => steps.push(s));
    expect(v).toBe('DROP');
    expect(steps.map((s) => s.verdict)).toEqual(['JUMP:WEB', 'RETURN', 'DROP']);
    expect(steps[2].policy).toBe(true);
    const saved = save(rs, { counters: true });
    expect(saved).toContain(':INPUT DROP [1:44]');
    expect(saved).toContain('[1:44] -A INPUT -p tcp -j WEB');
    expect(saved).toContain('[1:44] -A WEB -p tcp -m tcp --dport 22 -j RETURN');
    expect(saved).toContain('[0:0] -A WEB -j LOG');
  });

  it('a goto chain that ends returns to the built-in chain policy, skipping the rest of INPUT', () => {
    const rs = load(RULES);
    const steps: RuleStep[] = [];
    const v = runTable(rs, 'filter', 'INPUT', makeSkb(udpPacket('10.1.1.1', 5000, '192.0.2.2', 53)), makeEnv(), (s) => steps.push(s));
    // INPUT rule 3 would accept 10/8, but the goto never comes back to INPUT.
    expect(v).toBe('DROP');
    expect(steps.map((s) => `${s.chain}:${s.rule}:${s.verdict}`)).toEqual(['INPUT:2:GOTO:GO', 'GO:1:CONTINUE', 'INPUT:null:DROP']);
  });

  it('walks without a sink and without building rule text', () => {
    const rs = load(RULES);
    const v = runTable(rs, 'filter', 'INPUT', makeSkb(udpPacket('10.1.1.1', 5000, '192.0.2.2', 54)), makeEnv(), null);
    expect(v).toBe('DROP');
    expect(rs.table('filter')!.chains.get('LOGDROP')!.rules[0].pkts).toBe(1);
  });

  it('NAT targets end the chain with ACCEPT and report the target', () => {
    const rs = load(`*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
COMMIT
`);
    const steps: RuleStep[] = [];
    const env = makeEnv({ hook: 'PREROUTING', table: 'nat', local: ['198.51.100.1'] });
    const v = runTable(rs, 'nat', 'PREROUTING', makeSkb(tcpPacket('198.51.100.10', 40000, '198.51.100.1', 8080)), env, (s) =>
      steps.push(s),
    );
    expect(v).toBe('ACCEPT');
    expect(steps.map((s) => [s.verdict, s.target ?? null])).toEqual([
      ['JUMP:DOCKER', null],
      ['ACCEPT', 'DNAT'],
    ]);
    expect(env.nats[0].kind).toBe('DNAT');
    expect(env.nats[0].range).toMatchObject({ mapIps: true, minIp: 0xac110002, protoSpecified: true, minPort: 80, maxPort: 80 });
  });

  it('an absent table or chain lets the packet through', () => {
    expect(runTable(new Ruleset(), 'raw', 'PREROUTING', makeSkb(tcpPacket('1.1.1.1', 1, '2.2.2.2', 2)), makeEnv(), null)).toBe('ACCEPT');
  });
});

describe('built-in chains iptables-nft has not created', () => {
  it('let packets through uncounted and unreported until a rule, a policy or a :CHAIN line creates them', () => {
    // `* nat` with `-A OUTPUT` only, as istio-iptables writes it: the kernel has no PREROUTING base chain.
    const rs = load('*nat\n-N X\n-A OUTPUT -j X\nCOMMIT\n');
    const steps: RuleStep[] = [];
    const skb = makeSkb(tcpPacket('192.0.2.1', 40000, '192.0.2.2', 80));
    expect(runTable(rs, 'nat', 'PREROUTING', skb, makeEnv(), (s) => steps.push(s))).toBe('ACCEPT');
    expect(steps).toEqual([]);
    runTable(rs, 'nat', 'OUTPUT', skb, makeEnv(), (s) => steps.push(s));
    expect(steps.map((s) => `${s.chain}:${s.verdict}`)).toEqual(['OUTPUT:JUMP:X', 'OUTPUT:ACCEPT']);
    // iptables-save still prints every built-in chain, the absent ones with zero counters; a chain a rule created has no policy counter.
    expect(save(rs, { counters: true })).toContain(':PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]');
    expect(save(rs, { counters: true })).toContain('[1:44] -A OUTPUT -j X');
    const declared = load('*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n');
    runTable(declared, 'nat', 'PREROUTING', skb, makeEnv(), null);
    expect(save(declared, { counters: true })).toContain(':PREROUTING ACCEPT [1:44]');
  });
});
