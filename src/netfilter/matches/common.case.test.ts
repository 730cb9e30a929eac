/**
 * One case table every match and target passes: it parses, saves canonically,
 * inverts, decides a packet as expected, and never throws on odd packets
 * (no L4 header, non-first fragments, ICMP without a quoted packet).
 */
import { describe, expect, it } from 'vitest';
import { Ruleset } from '../rule.js';
import { runIptablesRestore } from '../iptables/restore.js';
import { save } from '../iptables/save.js';
import { runTable } from '../evaluate.js';
import { MATCHES, TARGETS } from '../registry.js';
import type { Packet } from '../../packet/packet.js';
import { icmpPacket, makeEnv, makeSkb, rawPacket, tcpPacket, udpPacket } from '../testing/packets.js';
import type { Skb, TableName, Hook } from '../types.js';

interface Case {
  ext: string;
  /** Rule options as written, and as iptables-save prints them. */
  spec: string;
  saved: string;
  table?: TableName;
  chain?: Hook;
  /** A packet the rule must match, and one it must not (optional for targets). */
  hit?: () => Skb;
  miss?: () => Skb;
}

const tcp80 = () => makeSkb(tcpPacket('10.0.0.1', 40000, '10.0.0.2', 80));
const udp53 = () => makeSkb(udpPacket('10.0.0.1', 5353, '10.0.0.2', 53));

const CASES: Case[] = [
  {
    ext: 'tcp',
    spec: '-p tcp --dport 80',
    saved: '-p tcp -m tcp --dport 80',
    hit: tcp80,
    miss: () => makeSkb(tcpPacket('10.0.0.1', 1, '10.0.0.2', 81)),
  },
  {
    ext: 'udp',
    spec: '-p udp ! --sport 1:1000',
    saved: '-p udp -m udp ! --sport 1:1000',
    hit: udp53,
    miss: () => makeSkb(udpPacket('10.0.0.1', 53, '10.0.0.2', 53)),
  },
  {
    ext: 'icmp',
    spec: '-p icmp --icmp-type echo-request',
    saved: '-p icmp -m icmp --icmp-type 8',
    hit: () => makeSkb(icmpPacket('1.1.1.1', '2.2.2.2')),
    miss: () => makeSkb(icmpPacket('1.1.1.1', '2.2.2.2', 0)),
  },
  { ext: 'sctp', spec: '-p sctp --dport 5', saved: '-p sctp -m sctp --dport 5' },
  {
    ext: 'dccp',
    spec: '-p dccp ! --dport 5:6 --dccp-types request,INVALID --dccp-option 3',
    saved: '-p dccp -m dccp ! --dport 5:6 --dccp-types REQUEST,INVALID --dccp-option 3',
  },
  {
    ext: 'conntrack',
    spec: '-m conntrack --ctstate NEW,ESTABLISHED',
    saved: '-m conntrack --ctstate NEW,ESTABLISHED',
    hit: tcp80,
    miss: () => makeSkb(tcpPacket('1.1.1.1', 1, '2.2.2.2', 2), { ctState: 'INVALID' }),
  },
  {
    ext: 'state',
    spec: '-m state ! --state invalid',
    saved: '-m state ! --state INVALID',
    hit: tcp80,
    miss: () => makeSkb(tcpPacket('1.1.1.1', 1, '2.2.2.2', 2), { ctState: 'INVALID' }),
  },
  {
    ext: 'addrtype',
    spec: '-m addrtype --dst-type LOCAL',
    saved: '-m addrtype --dst-type LOCAL',
    hit: () => makeSkb(tcpPacket('1.1.1.1', 1, '9.9.9.9', 2)),
    miss: tcp80,
  },
  {
    ext: 'owner',
    spec: '-m owner --uid-owner 1337',
    saved: '-m owner --uid-owner 1337',
    chain: 'OUTPUT',
    hit: () => makeSkb(tcpPacket('1.1.1.1', 1, '2.2.2.2', 2), { socket: { uid: 1337, gid: 0, groups: [] } }),
    miss: tcp80,
  },
  {
    ext: 'multiport',
    spec: '-p tcp -m multiport --destination-ports 22,80:90',
    saved: '-p tcp -m multiport --dports 22,80:90',
    hit: tcp80,
    miss: () => makeSkb(tcpPacket('1.1.1.1', 1, '2.2.2.2', 23)),
  },
  {
    ext: 'mark',
    spec: '-m mark --mark 0x4000/0x4000',
    saved: '-m mark --mark 0x4000/0x4000',
    hit: () => makeSkb(tcpPacket('1.1.1.1', 1, '2.2.2.2', 2), { mark: 0x4001 }),
    miss: tcp80,
  },
  { ext: 'comment', spec: '-m comment --comment "a b"', saved: '-m comment --comment "a b"', hit: tcp80 },
  { ext: 'limit', spec: '-m limit --limit 5/min --limit-burst 7', saved: '-m limit --limit 5/min --limit-burst 7', hit: tcp80 },
  { ext: 'recent', spec: '-m recent --set', saved: '-m recent --set --name DEFAULT --mask 255.255.255.255 --rsource', hit: tcp80 },
  {
    ext: 'statistic',
    spec: '-m statistic --mode random --probability 1',
    saved: '-m statistic --mode random --probability 1.00000000000',
    hit: tcp80,
  },
  { ext: 'connmark', spec: '-m connmark --mark 1', saved: '-m connmark --mark 0x1', miss: tcp80 },
  {
    ext: 'iprange',
    spec: '-m iprange --src-range 10.0.0.0-10.0.0.9',
    saved: '-m iprange --src-range 10.0.0.0-10.0.0.9',
    hit: tcp80,
    miss: () => makeSkb(tcpPacket('10.0.0.10', 1, '2.2.2.2', 2)),
  },
  {
    ext: 'mac',
    spec: '-m mac --mac-source 02:00:00:00:00:0A',
    saved: '-m mac --mac-source 02:00:00:00:00:0a',
    hit: () => makeSkb(tcpPacket('1.1.1.1', 1, '2.2.2.2', 2), { srcMac: '02:00:00:00:00:0a' }),
    miss: tcp80,
  },
  {
    ext: 'pkttype',
    spec: '-m pkttype --pkt-type broadcast',
    saved: '-m pkttype --pkt-type broadcast',
    hit: () => makeSkb(udpPacket('1.1.1.1', 1, '255.255.255.255', 2), { pktType: 'broadcast' }),
    miss: tcp80,
  },
  {
    ext: 'length',
    spec: '-m length --length :100',
    saved: '-m length --length 0:100',
    hit: tcp80,
    miss: () => makeSkb(udpPacket('1.1.1.1', 1, '2.2.2.2', 2, 500)),
  },
  { ext: 'ttl', spec: '-m ttl --ttl-gt 10', saved: '-m ttl --ttl-gt 10', hit: tcp80 },
  { ext: 'tos', spec: '-m tos --tos 0x10/0x3f', saved: '-m tos --tos 0x10/0x3f', miss: tcp80 },
  { ext: 'dscp', spec: '-m dscp --dscp 0', saved: '-m dscp --dscp 0x00', hit: tcp80 },
  { ext: 'dscp', spec: '-m dscp --dscp 10', saved: '-m dscp --dscp 0x0a', miss: tcp80 },
  {
    ext: 'physdev',
    spec: '-m physdev --physdev-is-bridged',
    saved: '-m physdev --physdev-is-bridged',
    chain: 'FORWARD',
    hit: () => makeSkb(tcpPacket('1.1.1.1', 1, '2.2.2.2', 2), { bridged: true, physIn: 'veth0', physOut: 'veth1' }),
    miss: tcp80,
  },
  { ext: 'set', spec: '-m set --match-set S dst', saved: '-m set --match-set S dst', miss: tcp80 },
  {
    ext: 'hashlimit',
    spec: '-m hashlimit --hashlimit-upto 10/sec --hashlimit-mode srcip --hashlimit-name h',
    saved: '-m hashlimit --hashlimit-upto 10/sec --hashlimit-burst 5 --hashlimit-mode srcip --hashlimit-name h',
    hit: tcp80,
  },
  {
    ext: 'connlimit',
    spec: '-m connlimit --connlimit-above 2',
    saved: '-m connlimit --connlimit-above 2 --connlimit-mask 32 --connlimit-saddr',
    miss: tcp80,
  },
  { ext: 'nfacct', spec: '-m nfacct --nfacct-name acc', saved: '-m nfacct --nfacct-name  acc', hit: tcp80 },
  { ext: 'rpfilter', spec: '-m rpfilter --invert', saved: '-m rpfilter --invert', table: 'raw', chain: 'PREROUTING', miss: tcp80 },
  { ext: 'REJECT', spec: '-p tcp -j REJECT --reject-with tcp-reset', saved: '-p tcp -j REJECT --reject-with tcp-reset' },
  { ext: 'LOG', spec: '-j LOG --log-level debug --log-uid', saved: '-j LOG --log-level 7 --log-uid' },
  { ext: 'NFLOG', spec: '-j NFLOG --nflog-group 5', saved: '-j NFLOG --nflog-group 5' },
  { ext: 'MARK', spec: '-j MARK --and-mark 0xff', saved: '-j MARK --set-xmark 0x0/0xffffff00' },
  { ext: 'CONNMARK', spec: '-j CONNMARK --restore-mark --mask 0xff', saved: '-j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff' },
  { ext: 'CT', spec: '-j CT --zone 2', saved: '-j CT --zone 2', table: 'raw', chain: 'PREROUTING' },
  { ext: 'NOTRACK', spec: '-j NOTRACK', saved: '-j NOTRACK', table: 'raw', chain: 'PREROUTING' },
  { ext: 'TRACE', spec: '-j TRACE', saved: '-j TRACE', table: 'raw', chain: 'PREROUTING' },
  {
    ext: 'CHECKSUM',
    spec: '-p udp -j CHECKSUM --checksum-fill',
    saved: '-p udp -j CHECKSUM --checksum-fill',
    table: 'mangle',
    chain: 'POSTROUTING',
  },
  { ext: 'TCPMSS', spec: '-p tcp -j TCPMSS --clamp-mss-to-pmtu', saved: '-p tcp -j TCPMSS --clamp-mss-to-pmtu', chain: 'FORWARD' },
  { ext: 'TTL', spec: '-j TTL --ttl-dec 1', saved: '-j TTL --ttl-dec 1', table: 'mangle', chain: 'PREROUTING' },
  { ext: 'DSCP', spec: '-j DSCP --set-dscp-class EF', saved: '-j DSCP --set-dscp 0x2e', table: 'mangle', chain: 'PREROUTING' },
  { ext: 'TOS', spec: '-j TOS --set-tos 0x10', saved: '-j TOS --set-tos 0x10/0xff', table: 'mangle', chain: 'PREROUTING' },
  { ext: 'TOS', spec: '-j TOS --set-tos 0x8', saved: '-j TOS --set-tos 0x08/0xff', table: 'mangle', chain: 'PREROUTING' },
  { ext: 'DSCP', spec: '-j DSCP --set-dscp 5', saved: '-j DSCP --set-dscp 0x05', table: 'mangle', chain: 'PREROUTING' },
  { ext: 'NFQUEUE', spec: '-j NFQUEUE --queue-num 3 --queue-bypass', saved: '-j NFQUEUE --queue-num 3 --queue-bypass' },
  {
    ext: 'DNAT',
    spec: '-p tcp -j DNAT --to-destination 1.2.3.4:80',
    saved: '-p tcp -j DNAT --to-destination 1.2.3.4:80',
    table: 'nat',
    chain: 'PREROUTING',
  },
  {
    ext: 'SNAT',
    spec: '-j SNAT --to-source 1.2.3.4 --persistent',
    saved: '-j SNAT --to-source 1.2.3.4 --persistent',
    table: 'nat',
    chain: 'POSTROUTING',
  },
  {
    ext: 'MASQUERADE',
    spec: '-p udp -j MASQUERADE --to-ports 1024-2048 --random',
    saved: '-p udp -j MASQUERADE --to-ports 1024-2048 --random',
    table: 'nat',
    chain: 'POSTROUTING',
  },
  {
    ext: 'REDIRECT',
    spec: '-p tcp -j REDIRECT --to-port 15001',
    saved: '-p tcp -j REDIRECT --to-ports 15001',
    table: 'nat',
    chain: 'OUTPUT',
  },
  { ext: 'NETMAP', spec: '-j NETMAP --to 10.1.0.0/16', saved: '-j NETMAP --to 10.1.0.0/16', table: 'nat', chain: 'PREROUTING' },
  {
    ext: 'TPROXY',
    spec: '-p tcp -j TPROXY --on-port 15006 --tproxy-mark 1337',
    saved: '-p tcp -j TPROXY --on-port 15006 --on-ip 0.0.0.0 --tproxy-mark 0x539/0xffffffff',
    table: 'mangle',
    chain: 'PREROUTING',
  },
];

function load(c: Case): Ruleset | string {
  const table = c.table ?? 'filter';
  const chain = c.chain ?? 'INPUT';
  const rs = new Ruleset();
  const r = runIptablesRestore(rs, `*${table}\n-A ${chain} ${c.spec}\nCOMMIT\n`, { ipsets: ['S'], nfacct: ['acc'] });
  return r.ok ? rs : r.stderr;
}

const ODD: (() => Packet)[] = [
  () => rawPacket('1.1.1.1', '2.2.2.2', 6),
  () => rawPacket('1.1.1.1', '2.2.2.2', 17),
  () => rawPacket('1.1.1.1', '2.2.2.2', 1),
  () => ({ ...tcpPacket('1.1.1.1', 1, '2.2.2.2', 80), fragOffset: 100 }),
  () => ({ ...icmpPacket('1.1.1.1', '2.2.2.2', 3, 3), quoted: undefined }),
  () => rawPacket('1.1.1.1', '2.2.2.2', 47, 3),
];

describe('every match and target', () => {
  it('has a case', () => {
    const covered = new Set(CASES.map((c) => c.ext));
    for (const name of [...MATCHES.keys(), ...TARGETS.keys()]) expect(covered.has(name), name).toBe(true);
  });
  for (const c of CASES) {
    describe(c.ext, () => {
      it('parses and saves canonically', () => {
        const rs = load(c);
        expect(typeof rs === 'string' ? rs : '').toBe('');
        const out = save(rs as Ruleset, { table: c.table ?? 'filter' });
        expect(out).toContain(`-A ${c.chain ?? 'INPUT'} ${c.saved}\n`);
        // What save prints loads back to the same text.
        const again = new Ruleset();
        expect(runIptablesRestore(again, out, { ipsets: ['S'], nfacct: ['acc'] }).stderr).toBe('');
        expect(save(again)).toBe(out);
      });
      const env = () => makeEnv({ table: c.table ?? 'filter', hook: c.chain ?? 'INPUT', local: ['9.9.9.9'] });
      const hits = (skb: Skb) => {
        const rs = load(c) as Ruleset;
        const steps: unknown[] = [];
        runTable(rs, c.table ?? 'filter', c.chain ?? 'INPUT', skb, env(), (s) => steps.push(s));
        return steps.length === 2; // the rule step and then the policy step, or only the policy
      };
      if (c.hit) it('matches its packet', () => expect(hits(c.hit!())).toBe(true));
      if (c.miss) it('does not match another', () => expect(hits(c.miss!())).toBe(false));
      it('never throws on odd packets', () => {
        const rs = load(c) as Ruleset;
        for (const mk of ODD)
          expect(() => runTable(rs, c.table ?? 'filter', c.chain ?? 'INPUT', makeSkb(mk()), env(), () => {})).not.toThrow();
      });
    });
  }
  it('inverts with !', () => {
    const rs = new Ruleset();
    runIptablesRestore(rs, '*filter\n-A INPUT -p tcp ! --dport 80 -j DROP\n-A INPUT ! -s 10.0.0.0/8 ! -i eth1 -j ACCEPT\nCOMMIT\n');
    expect(runTable(rs, 'filter', 'INPUT', tcp80(), makeEnv(), null)).toBe('ACCEPT');
    expect(runTable(rs, 'filter', 'INPUT', makeSkb(tcpPacket('10.0.0.1', 1, '2.2.2.2', 81)), makeEnv(), null)).toBe('DROP');
  });
});
