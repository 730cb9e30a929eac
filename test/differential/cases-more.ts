/** Cases for packet-property matches, rate and state matches, NAT, mangling targets, notrack and routing. */
import { filter, pair, routed, table } from './builders.js';
import type { DiffCase } from './model.js';
import { NAT_AND_ROUTING_CASES } from './cases-nat.js';

const S = '10.0.0.2';
const RS = '10.0.2.2';
const LONG = 'x'.repeat(200);

const MATCH_CASES: DiffCase[] = [
  {
    name: 'statistic --mode nth',
    covers: ['-m statistic --mode nth --every --packet'],
    topology: pair('nth', {
      server: { rules: filter(['-A INPUT -p udp -m udp --dport 53 -m statistic --mode nth --every 3 --packet 1 -j DROP']) },
    }),
    steps: [{ kind: 'send', from: 'client', to: `${S}:53`, repeat: 6 }],
  },
  {
    name: 'length',
    covers: ['-m length --length', 'SYN length (TCP options)'],
    topology: pair('length', {
      server: {
        rules: filter([
          '-A INPUT -p udp -m length --length 0:40 -j DROP',
          '-A INPUT -p udp -m length ! --length 0:100 -j REJECT',
          '-A INPUT -p tcp -m tcp --dport 8080 --syn -m length --length 0:59 -j DROP',
          '-A INPUT -p tcp -m tcp --dport 8081 --syn -m length --length 60 -j DROP',
        ]),
      },
    }),
    steps: [
      { kind: 'send', from: 'client', to: `${S}:53` },
      { kind: 'send', from: 'client', to: `${S}:53`, line: 'x'.repeat(30) },
      { kind: 'send', from: 'client', to: `${S}:53`, line: LONG },
      { kind: 'connect', from: 'client', to: `${S}:8080` },
      { kind: 'connect', from: 'client', to: `${S}:8081` },
    ],
  },
  {
    name: 'ttl match after one hop',
    covers: ['-m ttl --ttl-eq', '--ttl-lt', '--ttl-gt'],
    topology: routed('ttl-match', {
      server: {
        rules: filter([
          '-A INPUT -p tcp -m tcp --dport 8080 -m ttl --ttl-eq 63 -j DROP',
          '-A INPUT -p udp -m ttl --ttl-gt 63 -j DROP',
          '-A INPUT -p icmp -m ttl --ttl-lt 64 -j REJECT',
        ]),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${RS}:80` },
      { kind: 'connect', from: 'client', to: `${RS}:8080` },
      { kind: 'send', from: 'client', to: `${RS}:53` },
      { kind: 'ping', from: 'client', to: RS },
    ],
  },
  {
    name: 'tos and dscp, set by TOS and DSCP targets',
    covers: ['-m tos --tos', '-m dscp', '-j TOS --set-tos', '-j DSCP --set-dscp'],
    topology: pair('tos', {
      client: {
        rules: table('mangle', [
          '-A OUTPUT -p tcp -m tcp --dport 8080 -j TOS --set-tos 0x10',
          '-A OUTPUT -p tcp -m tcp --dport 8081 -j DSCP --set-dscp 0x0a',
        ]),
      },
      server: {
        rules: filter(['-A INPUT -m tos --tos 0x10/0x3f -j DROP', '-A INPUT -p tcp -m dscp --dscp 0x0a -j REJECT --reject-with tcp-reset']),
      },
    }),
    // The kernel side marks traced packets with a DSCP value: these probes are not traced.
    steps: [
      { kind: 'connect', from: 'client', to: `${S}:80`, trace: false },
      { kind: 'connect', from: 'client', to: `${S}:8080`, trace: false },
      { kind: 'connect', from: 'client', to: `${S}:8081`, trace: false },
    ],
  },
  {
    name: 'pkttype',
    covers: ['-m pkttype --pkt-type'],
    topology: pair('pkttype', {
      server: {
        rules: filter(['-A INPUT -m pkttype ! --pkt-type unicast -j DROP', '-A INPUT -p udp -m pkttype --pkt-type unicast -j REJECT']),
      },
    }),
    steps: [
      { kind: 'send', from: 'client', to: `${S}:53` },
      { kind: 'connect', from: 'client', to: `${S}:80` },
    ],
  },
  {
    name: 'mac source',
    covers: ['-m mac --mac-source', '! --mac-source'],
    topology: pair('mac', {
      client: { mac: '02:00:00:00:00:01', moreAddrs: ['10.0.0.3/24'] },
      server: {
        rules: filter([
          '-A INPUT -p tcp -m tcp --dport 8080 -m mac --mac-source 02:00:00:00:00:01 -j DROP',
          '-A INPUT -p udp -m mac ! --mac-source 02:00:00:00:00:01 -j DROP',
        ]),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${S}:80` },
      { kind: 'connect', from: 'client', to: `${S}:8080` },
      { kind: 'send', from: 'client', to: `${S}:53` },
    ],
  },
  {
    name: 'limit with a burst',
    covers: ['-m limit --limit --limit-burst'],
    topology: pair('limit', {
      server: { rules: filter(['-A INPUT -p icmp -m limit --limit 1/min --limit-burst 2 -j ACCEPT', '-A INPUT -p icmp -j DROP']) },
    }),
    steps: [{ kind: 'ping', from: 'client', to: S, repeat: 4 }],
  },
  {
    name: 'recent: port knocking',
    covers: ['-m recent --set', '--rcheck', '! --rcheck'],
    topology: pair('recent', {
      server: {
        rules: filter([
          '-A INPUT -p tcp -m tcp --dport 8080 -m recent --set --name knock --rsource',
          '-A INPUT -p tcp -m tcp --dport 80 -m recent ! --rcheck --name knock --rsource -j DROP',
        ]),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${S}:80` },
      { kind: 'connect', from: 'client', to: `${S}:8080` },
      { kind: 'connect', from: 'client', to: `${S}:80` },
    ],
  },
  {
    name: 'ipset match-set',
    covers: ['-m set --match-set src', 'hash:ip'],
    needs: ['ipset'],
    topology: pair('ipset', {
      client: { moreAddrs: ['10.0.0.3/24'] },
      server: {
        yaml: ['ipsets:', '  blocked: { type: "hash:ip", members: [10.0.0.3] }'],
        rules: filter(['-A INPUT -m set --match-set blocked src -j DROP']),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${S}:80`, src: '10.0.0.1' },
      { kind: 'connect', from: 'client', to: `${S}:80`, src: '10.0.0.3' },
    ],
  },
  {
    name: 'comment and LOG change no fate but count',
    covers: ['-m comment', '-j LOG'],
    topology: pair('log', {
      server: {
        rules: filter([
          '-A INPUT -p tcp -m tcp --dport 80 -m comment --comment "web traffic" -j LOG --log-prefix "web: "',
          '-A INPUT -p udp -j LOG --log-level 4',
          '-A INPUT -p udp -m comment --comment "dns only" -m udp ! --dport 53 -j DROP',
        ]),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${S}:80` },
      { kind: 'send', from: 'client', to: `${S}:53` },
      { kind: 'send', from: 'client', to: `${S}:54` },
    ],
  },
];

export const MORE_CASES: DiffCase[] = [...MATCH_CASES, ...NAT_AND_ROUTING_CASES];
