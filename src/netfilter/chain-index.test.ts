import { afterEach, describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { Ruleset } from './rule.js';
import { runIptablesRestore } from './iptables/restore.js';
import { save } from './iptables/save.js';
import { runTable } from './evaluate.js';
import { chainIndex, setChainIndexing } from './chain-index.js';
import type { RuleStep } from './types.js';
import { makeEnv, makeSkb, tcpPacket, udpPacket } from './testing/packets.js';

/** A KUBE-SERVICES-like chain: long runs of exact-destination and exact-port rules, duplicates, and rules that break the runs. */
function rules(rng: Rng): string {
  const lines = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':SVC - [0:0]',
    ':NP - [0:0]',
    ':X - [0:0]',
  ];
  lines.push('-A PREROUTING -j SVC');
  for (let i = 0; i < 120; i++) {
    const ip = `10.96.0.${rng.int(1, 40)}`;
    const port = [80, 443, 53][rng.int(0, 2)];
    const target = ['-j X', '-j MARK --set-xmark 0x1/0xff', '-j RETURN', ''][rng.int(0, 3)];
    lines.push(`-A SVC -d ${ip}/32 -p tcp -m tcp --dport ${port} ${target}`.trim());
    if (i === 60) lines.push('-A SVC -p udp -j X');
  }
  lines.push('-A SVC -j NP');
  for (let i = 0; i < 40; i++)
    lines.push(
      `-A NP -p ${i % 3 ? 'tcp' : 'udp'} -m ${i % 3 ? 'tcp' : 'udp'} --dport ${30000 + rng.int(0, 20)} -j ${i % 2 ? 'X' : 'RETURN'}`,
    );
  lines.push('-A X -j MARK --set-xmark 0x2/0xff', 'COMMIT');
  return lines.join('\n') + '\n';
}

function walkAll(text: string, packets: ReturnType<typeof tcpPacket>[]) {
  const rs = new Ruleset();
  expect(runIptablesRestore(rs, text).stderr).toBe('');
  const out = packets.map((p) => {
    const steps: RuleStep[] = [];
    const skb = makeSkb(p);
    const v = runTable(rs, 'nat', 'PREROUTING', skb, makeEnv({ hook: 'PREROUTING', table: 'nat' }), (s) => steps.push(s));
    return { v, mark: skb.mark, steps: steps.map((s) => `${s.chain}#${s.rule}:${s.verdict}`) };
  });
  return { out, saved: save(rs, { counters: true }), rs };
}

describe('chain index', () => {
  afterEach(() => setChainIndexing(true));

  it('gives exactly the linear walk: verdicts, marks, steps and counters, over random rule sets and packets', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const rng = new Rng(seed);
      const text = rules(rng);
      const packets = Array.from({ length: 300 }, () =>
        rng.int(0, 3) === 0
          ? udpPacket('192.0.2.1', 1000, `10.96.0.${rng.int(1, 45)}`, 30000 + rng.int(0, 25))
          : tcpPacket(
              '192.0.2.1',
              1000,
              `10.96.0.${rng.int(1, 45)}`,
              rng.int(0, 1) ? [80, 443, 53, 22][rng.int(0, 3)] : 30000 + rng.int(0, 25),
            ),
      );
      setChainIndexing(true);
      const indexed = walkAll(text, packets);
      expect(chainIndex(indexed.rs.table('nat')!.chains.get('SVC')!)).not.toBeNull();
      setChainIndexing(false);
      const linear = walkAll(text, packets);
      expect(indexed.out).toEqual(linear.out);
      expect(indexed.saved).toBe(linear.saved);
    }
  });

  it('follows changes to the chain', () => {
    const rs = new Ruleset();
    const many = Array.from({ length: 20 }, (_, i) => `-A PREROUTING -d 10.0.0.${i + 1}/32 -j ACCEPT`).join('\n');
    runIptablesRestore(rs, `*nat\n:PREROUTING DROP [0:0]\n${many}\nCOMMIT\n`);
    const skb = () => makeSkb(tcpPacket('192.0.2.1', 1, '10.0.0.99', 80));
    expect(runTable(rs, 'nat', 'PREROUTING', skb(), makeEnv(), null)).toBe('DROP');
    runIptablesRestore(rs, '*nat\n-I PREROUTING 5 -d 10.0.0.99/32 -j ACCEPT\nCOMMIT\n', { noflush: true });
    expect(runTable(rs, 'nat', 'PREROUTING', skb(), makeEnv(), null)).toBe('ACCEPT');
  });
});
