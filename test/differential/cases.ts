/**
 * The suite's own cases: each a small topology and the probes that show one
 * match, target or routing behaviour changing (or not changing) a packet's
 * fate. Topologies: `pair` (client 10.0.0.1 ⟷ server 10.0.0.2, listening on
 * tcp 80, 8080, 8081 and udp 53) and `routed` (client 10.0.1.2 ⟷ router ⟷
 * server 10.0.2.2, listening on tcp 80, 8080 and udp 53).
 */
import { filter, pair, routed, table } from './builders.js';
import type { DiffCase } from './model.js';
import { MORE_CASES } from './cases-more.js';
import { ISSUE14_CASES } from './cases-issue14.js';

const S = '10.0.0.2';
const RS = '10.0.2.2';

const FILTER_CASES: DiffCase[] = [
  {
    name: 'filter DROP and ACCEPT by port',
    covers: ['DROP', 'ACCEPT', '-p tcp --dport'],
    topology: pair('drop-accept', {
      server: { rules: filter(['-A INPUT -p tcp -m tcp --dport 8080 -j DROP', '-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT']) },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${S}:80` },
      { kind: 'connect', from: 'client', to: `${S}:8080` },
      { kind: 'connect', from: 'client', to: `${S}:81` },
      { kind: 'send', from: 'client', to: `${S}:53` },
      { kind: 'ping', from: 'client', to: S },
    ],
  },
  {
    name: 'chain policies DROP on INPUT and OUTPUT',
    covers: ['policy DROP', 'OUTPUT EPERM'],
    topology: pair('policies', {
      server: { rules: filter(['-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT'], { input: 'DROP' }) },
      client: { rules: filter(['-A OUTPUT -p tcp -j ACCEPT', '-A OUTPUT -p icmp -j ACCEPT'], { output: 'DROP' }) },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${S}:80` },
      { kind: 'connect', from: 'client', to: `${S}:8080` },
      { kind: 'send', from: 'client', to: `${S}:53` },
      // Without -v: the connected exchange's packet count depends on ACK timing.
      { kind: 'exec', on: 'server', cmd: 'iptables -L INPUT -n --line-numbers' },
      { kind: 'ping', from: 'client', to: S },
    ],
  },
  {
    name: 'REJECT with every --reject-with, on INPUT',
    covers: [
      'REJECT',
      '--reject-with icmp-port-unreachable',
      'icmp-net-unreachable',
      'icmp-host-unreachable',
      'icmp-proto-unreachable',
      'icmp-net-prohibited',
      'icmp-host-prohibited',
      'icmp-admin-prohibited',
      'tcp-reset',
    ],
    topology: pair('reject-input', {
      server: {
        listen: [],
        rules: filter([
          '-A INPUT -p udp -m udp --dport 1001 -j REJECT',
          '-A INPUT -p udp -m udp --dport 1002 -j REJECT --reject-with icmp-net-unreachable',
          '-A INPUT -p udp -m udp --dport 1003 -j REJECT --reject-with icmp-host-unreachable',
          '-A INPUT -p udp -m udp --dport 1004 -j REJECT --reject-with icmp-proto-unreachable',
          '-A INPUT -p udp -m udp --dport 1005 -j REJECT --reject-with icmp-net-prohibited',
          '-A INPUT -p udp -m udp --dport 1006 -j REJECT --reject-with icmp-host-prohibited',
          '-A INPUT -p udp -m udp --dport 1007 -j REJECT --reject-with icmp-admin-prohibited',
          '-A INPUT -p tcp -m tcp --dport 1008 -j REJECT --reject-with tcp-reset',
          '-A INPUT -p tcp -m tcp --dport 1009 -j REJECT',
          '-A INPUT -p tcp -m tcp --dport 1010 -j REJECT --reject-with icmp-host-prohibited',
          '-A INPUT -p icmp -j REJECT --reject-with icmp-net-prohibited',
        ]),
      },
    }),
    steps: [
      ...[1001, 1002, 1003, 1004, 1005, 1006, 1007].map((p) => ({ kind: 'send' as const, from: 'client', to: `${S}:${p}` })),
      ...[1008, 1009, 1010].map((p) => ({ kind: 'connect' as const, from: 'client', to: `${S}:${p}` })),
      { kind: 'ping', from: 'client', to: S },
    ],
  },
  {
    name: 'user chains: RETURN, -j and -g',
    covers: ['user chain', 'RETURN', '-g goto', 'implicit return'],
    topology: pair('user-chains', {
      server: {
        rules: filter(
          [
            '-A INPUT -p tcp -j CHK',
            '-A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT',
            '-A INPUT -p tcp -j DROP',
            '-A CHK -p tcp -m tcp --dport 80 -j RETURN',
            '-A CHK -p tcp -m tcp --dport 8080 -g EMPTY',
            '-A CHK -p tcp -m tcp --dport 8081 -j EMPTY',
            '-A CHK -j ACCEPT',
          ],
          { chains: ['CHK', 'EMPTY'] },
        ),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${S}:80` },
      { kind: 'connect', from: 'client', to: `${S}:8080` },
      { kind: 'connect', from: 'client', to: `${S}:8081` },
    ],
  },
  {
    name: 'addresses, interfaces and protocols, with !',
    covers: ['-s', '-d', '-i', '! -s', '! -d', '! -i', '! -p'],
    topology: pair('negation', {
      client: { moreAddrs: ['10.0.0.3/24'] },
      server: {
        rules: filter([
          '-A INPUT -s 10.0.0.3/32 -p tcp -m tcp --dport 80 -j DROP',
          '-A INPUT ! -s 10.0.0.1/32 -p udp -j REJECT',
          '-A INPUT ! -d 10.0.0.2/32 -j DROP',
          '-A INPUT ! -i eth0 -j DROP',
          '-A INPUT -i eth0 ! -p icmp -j ACCEPT',
          '-A INPUT -p icmp -j DROP',
        ]),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${S}:80`, src: '10.0.0.1' },
      { kind: 'connect', from: 'client', to: `${S}:80`, src: '10.0.0.3' },
      { kind: 'send', from: 'client', to: `${S}:53`, src: '10.0.0.1' },
      { kind: 'send', from: 'client', to: `${S}:53`, src: '10.0.0.3' },
      { kind: 'connect', from: 'server', to: `${S}:80` },
      { kind: 'ping', from: 'client', to: S },
    ],
  },
  {
    name: 'forwarding by -i and -o',
    covers: ['-i', '-o', '! -o', 'FORWARD'],
    topology: routed('in-out', {
      router: {
        rules: filter([
          '-A FORWARD -i eth0 -o eth1 -p udp -j DROP',
          '-A FORWARD -i eth1 ! -o eth1 -p icmp -m icmp --icmp-type 0 -j DROP',
          '-A FORWARD -i eth0 -o eth1 -p tcp -m tcp --dport 8080 -j REJECT --reject-with tcp-reset',
        ]),
      },
    }),
    steps: [
      { kind: 'send', from: 'client', to: `${RS}:53` },
      { kind: 'ping', from: 'client', to: RS },
      { kind: 'connect', from: 'client', to: `${RS}:80` },
      { kind: 'connect', from: 'client', to: `${RS}:8080` },
      { kind: 'ping', from: 'server', to: '10.0.1.2' },
    ],
  },
  {
    name: 'tcp flags and --syn',
    covers: ['--tcp-flags', '--syn', '! --syn'],
    topology: pair('tcp-flags', {
      server: {
        rules: filter([
          '-A INPUT -p tcp -m tcp --dport 8080 --tcp-flags SYN,ACK SYN -j DROP',
          '-A INPUT -p tcp -m tcp --dport 8081 ! --syn -j DROP',
          '-A INPUT -p tcp -m tcp --dport 80 --tcp-flags ALL SYN -j ACCEPT',
          '-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK ACK -j ACCEPT',
        ]),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${S}:80` },
      { kind: 'connect', from: 'client', to: `${S}:8080` },
      { kind: 'connect', from: 'client', to: `${S}:8081` },
    ],
  },
  {
    name: 'udp ports and ranges, with a fixed source port',
    covers: ['-p udp --dport', '--sport', 'port range', '! --dport'],
    topology: pair('udp-ports', {
      server: {
        listen: ['udp:53', 'udp:1500', 'udp:3000'],
        rules: filter([
          '-A INPUT -p udp -m udp --sport 5000 -j DROP',
          '-A INPUT -p udp -m udp --dport 1000:2000 -j REJECT',
          '-A INPUT -p udp -m udp ! --dport 53 -j DROP',
        ]),
      },
    }),
    steps: [
      { kind: 'send', from: 'client', to: `${S}:53`, sport: 5000 },
      { kind: 'send', from: 'client', to: `${S}:53`, sport: 5001 },
      { kind: 'send', from: 'client', to: `${S}:1500`, sport: 5002 },
      { kind: 'send', from: 'client', to: `${S}:3000`, sport: 5003 },
    ],
  },
  {
    name: 'icmp types',
    covers: ['-p icmp --icmp-type', 'icmp errors filtered at the client'],
    topology: pair('icmp-types', {
      server: {
        rules: filter(['-A INPUT -p icmp -m icmp --icmp-type echo-request -j DROP', '-A INPUT -p udp -m udp --dport 9 -j REJECT']),
      },
      client: {
        rules: filter(['-A INPUT -p icmp -m icmp --icmp-type 3/3 -j DROP', '-A INPUT -p icmp -m icmp ! --icmp-type echo-reply -j ACCEPT']),
      },
    }),
    steps: [
      { kind: 'ping', from: 'client', to: S },
      { kind: 'send', from: 'client', to: `${S}:9` },
      { kind: 'send', from: 'client', to: `${S}:53` },
      { kind: 'ping', from: 'server', to: '10.0.0.1' },
    ],
  },
  {
    name: 'multiport',
    covers: ['-m multiport --dports', '--sports', '--ports', 'port range in multiport'],
    topology: pair('multiport', {
      server: {
        listen: ['tcp:22', 'tcp:80', 'tcp:8080', 'tcp:8081', 'udp:53'],
        rules: filter([
          '-A INPUT -p tcp -m multiport --dports 80,8080:8081 -j DROP',
          '-A INPUT -p udp -m multiport ! --ports 53,54 -j DROP',
          '-A INPUT -p udp -m multiport --sports 6000:6010 -j REJECT',
        ]),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${S}:22` },
      { kind: 'connect', from: 'client', to: `${S}:80` },
      { kind: 'connect', from: 'client', to: `${S}:8081` },
      { kind: 'send', from: 'client', to: `${S}:53`, sport: 6005 },
      { kind: 'send', from: 'client', to: `${S}:53`, sport: 7000 },
    ],
  },
  {
    name: 'conntrack: an ESTABLISHED-only INPUT firewall',
    covers: ['-m conntrack --ctstate ESTABLISHED,RELATED', '--ctstate NEW', 'policy DROP', 'conntrack tuples'],
    topology: pair('established', {
      client: { listen: ['tcp:80', 'udp:53'] },
      server: {
        rules: filter(
          [
            '-A INPUT -i lo -j ACCEPT',
            '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
            '-A INPUT -p tcp -m tcp --dport 80 -m conntrack --ctstate NEW -j ACCEPT',
          ],
          { input: 'DROP' },
        ),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${S}:80` },
      { kind: 'connect', from: 'client', to: `${S}:8080` },
      { kind: 'connect', from: 'server', to: '10.0.0.1:80' },
      { kind: 'send', from: 'server', to: '10.0.0.1:53' },
      { kind: 'send', from: 'server', to: '10.0.0.1:54' },
      { kind: 'ping', from: 'server', to: '10.0.0.1' },
      { kind: 'ping', from: 'client', to: S },
    ],
  },
  {
    name: 'state: a stateful forwarding firewall',
    covers: ['-m state --state', 'RELATED ICMP errors', 'FORWARD policy DROP'],
    topology: routed('stateful-router', {
      client: { listen: ['tcp:80'] },
      router: {
        rules: filter(
          ['-A FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT', '-A FORWARD -i eth0 -o eth1 -m state --state NEW -j ACCEPT'],
          { forward: 'DROP' },
        ),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${RS}:80` },
      { kind: 'connect', from: 'server', to: '10.0.1.2:80' },
      { kind: 'ping', from: 'client', to: RS },
      { kind: 'ping', from: 'server', to: '10.0.1.2' },
      { kind: 'send', from: 'client', to: `${RS}:54` },
      { kind: 'connect', from: 'client', to: `${RS}:81` },
    ],
  },
  {
    name: 'addrtype',
    covers: ['-m addrtype --dst-type LOCAL', '--src-type LOCAL', '! --dst-type'],
    topology: routed('addrtype', {
      router: {
        listen: ['tcp:80'],
        rules: [
          table('nat', ['-A PREROUTING -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.2.2:80']),
          filter([
            '-A INPUT -m addrtype ! --dst-type LOCAL -j DROP',
            '-A OUTPUT -m addrtype --src-type LOCAL -p udp -m udp --dport 53 -j DROP',
          ]),
        ].join('\n'),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: '10.0.1.1:8080' },
      { kind: 'connect', from: 'client', to: `${RS}:8080` },
      { kind: 'connect', from: 'client', to: '10.0.1.1:80' },
      { kind: 'send', from: 'router', to: `${RS}:53` },
    ],
  },
  {
    name: 'owner: --uid-owner and --gid-owner',
    covers: ['-m owner --uid-owner', '--gid-owner', 'REJECT in OUTPUT'],
    topology: pair('owner', {
      client: {
        rules: filter([
          '-A OUTPUT -m owner --uid-owner 1000 -j DROP',
          '-A OUTPUT -p tcp -m owner --uid-owner 2000 -j REJECT --reject-with tcp-reset',
          '-A OUTPUT -p udp -m owner --gid-owner 3000 -j REJECT',
          '-A OUTPUT -m owner ! --uid-owner 0 -p tcp -m tcp --dport 8081 -j DROP',
        ]),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${S}:80` },
      { kind: 'connect', from: 'client', to: `${S}:80`, uid: 1000 },
      { kind: 'connect', from: 'client', to: `${S}:80`, uid: 2000 },
      { kind: 'send', from: 'client', to: `${S}:53`, uid: 3000 },
      { kind: 'send', from: 'client', to: `${S}:53`, uid: 1000 },
      { kind: 'connect', from: 'client', to: `${S}:8081`, uid: 4000 },
      { kind: 'connect', from: 'client', to: `${S}:8080`, uid: 4000 },
    ],
  },
  {
    name: 'mark, MARK and CONNMARK',
    covers: ['-j MARK --set-mark', '-m mark', '-j CONNMARK --set-mark', '--restore-mark', '-m connmark', 'conntrack mark'],
    topology: routed('marks', {
      server: { listen: ['tcp:80', 'tcp:81', 'udp:53', 'udp:54', 'udp:55'] },
      router: {
        rules: [
          table('mangle', [
            '-A PREROUTING -p tcp -m tcp --dport 81 -j MARK --set-mark 0x1',
            '-A PREROUTING -p udp -j CONNMARK --set-mark 0x5',
            '-A PREROUTING -j CONNMARK --restore-mark',
          ]),
          filter([
            '-A FORWARD -m mark --mark 0x1 -j DROP',
            '-A FORWARD -p udp -m connmark --mark 0x5 -m udp --dport 54 -j REJECT',
            '-A FORWARD -p udp -m mark --mark 0x5 -m udp --dport 55 -j DROP',
          ]),
        ].join('\n'),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${RS}:80` },
      { kind: 'connect', from: 'client', to: `${RS}:81` },
      { kind: 'send', from: 'client', to: `${RS}:53` },
      { kind: 'send', from: 'client', to: `${RS}:54` },
      { kind: 'send', from: 'client', to: `${RS}:55` },
    ],
  },
  {
    name: 'iprange',
    covers: ['-m iprange --src-range', '--dst-range', '! --src-range'],
    topology: pair('iprange', {
      client: { moreAddrs: ['10.0.0.4/24', '10.0.0.9/24'] },
      server: {
        moreAddrs: ['10.0.0.20/24'],
        rules: filter([
          '-A INPUT -m iprange --src-range 10.0.0.3-10.0.0.5 -j DROP',
          '-A INPUT -p tcp -m iprange --dst-range 10.0.0.10-10.0.0.30 -j REJECT',
          '-A INPUT -p udp -m iprange ! --src-range 10.0.0.1-10.0.0.2 -j DROP',
        ]),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${S}:80`, src: '10.0.0.1' },
      { kind: 'connect', from: 'client', to: `${S}:80`, src: '10.0.0.4' },
      { kind: 'connect', from: 'client', to: '10.0.0.20:80', src: '10.0.0.1' },
      { kind: 'send', from: 'client', to: `${S}:53`, src: '10.0.0.9' },
      { kind: 'send', from: 'client', to: `${S}:53`, src: '10.0.0.1' },
    ],
  },
];

export const CASES: DiffCase[] = [...FILTER_CASES, ...MORE_CASES, ...ISSUE14_CASES];
