/** Cases for NAT targets, mangling targets, notrack, routing decisions, bridges and TTL expiry. */
import { filter, pair, routed, table } from './builders.js';
import type { DiffCase } from './model.js';

const RS = '10.0.2.2';

const NAT_CASES: DiffCase[] = [
  {
    name: 'DNAT on PREROUTING and OUTPUT',
    covers: ['-j DNAT --to-destination', 'nat OUTPUT', 'conntrack reply tuple'],
    topology: routed('dnat', {
      router: {
        rules: table('nat', [
          '-A PREROUTING -d 10.0.1.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.2.2:80',
          '-A PREROUTING -d 10.0.1.1/32 -p udp -m udp --dport 5353 -j DNAT --to-destination 10.0.2.2:53',
          '-A OUTPUT -d 10.0.1.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.2.2:8080',
        ]),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: '10.0.1.1:8080' },
      { kind: 'send', from: 'client', to: '10.0.1.1:5353' },
      { kind: 'connect', from: 'router', to: '10.0.1.1:8080' },
      { kind: 'connect', from: 'client', to: '10.0.1.1:8081' },
    ],
  },
  {
    name: 'SNAT to an address and a port range',
    covers: ['-j SNAT --to-source', 'SNAT port range', 'nat POSTROUTING'],
    topology: routed('snat', {
      router: {
        rules: table('nat', [
          '-A POSTROUTING -o eth1 -p udp -j SNAT --to-source 10.0.2.1:2000-2010',
          '-A POSTROUTING -o eth1 -j SNAT --to-source 10.0.2.1',
        ]),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${RS}:80` },
      { kind: 'send', from: 'client', to: `${RS}:53` },
      { kind: 'ping', from: 'client', to: RS },
    ],
  },
  {
    name: 'MASQUERADE',
    covers: ['-j MASQUERADE', '! -o'],
    topology: routed('masquerade', { router: { rules: table('nat', ['-A POSTROUTING -s 10.0.1.0/24 ! -o eth0 -j MASQUERADE']) } }),
    steps: [
      { kind: 'connect', from: 'client', to: `${RS}:80`, sport: 40123 },
      { kind: 'send', from: 'client', to: `${RS}:53` },
      { kind: 'connect', from: 'server', to: '10.0.1.2:80' },
    ],
  },
  {
    name: 'REDIRECT inbound and from the host itself',
    covers: ['-j REDIRECT --to-ports', 'nat OUTPUT REDIRECT'],
    topology: pair('redirect', {
      server: {
        rules: table('nat', [
          '-A PREROUTING -p tcp -m tcp --dport 9999 -j REDIRECT --to-ports 8080',
          '-A OUTPUT -p tcp -m tcp --dport 9998 -j REDIRECT --to-ports 8081',
          '-A PREROUTING -p udp -m udp --dport 5353 -j REDIRECT --to-ports 53',
        ]),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: '10.0.0.2:9999' },
      { kind: 'send', from: 'client', to: '10.0.0.2:5353' },
      { kind: 'connect', from: 'server', to: '10.0.0.2:9998' },
      { kind: 'connect', from: 'server', to: '127.0.0.1:9998' },
    ],
  },
  {
    name: 'NETMAP',
    covers: ['-j NETMAP --to'],
    topology: routed('netmap', {
      router: {
        rules: table('nat', [
          '-A PREROUTING -d 10.0.9.0/24 -j NETMAP --to 10.0.2.0/24',
          '-A POSTROUTING -s 10.0.1.0/24 -o eth1 -j NETMAP --to 10.0.7.0/24',
        ]),
      },
      server: { routes: ['default via 10.0.2.1'] },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: '10.0.9.2:80' },
      { kind: 'send', from: 'client', to: '10.0.9.2:53' },
      { kind: 'ping', from: 'client', to: '10.0.9.2' },
    ],
  },
  {
    name: 'TTL and TCPMSS targets',
    covers: ['-j TTL --ttl-set', '--ttl-inc', '-j TCPMSS', 'time exceeded from a rewritten TTL'],
    topology: routed('ttl-target', {
      router: {
        rules: table('mangle', [
          '-A PREROUTING -p udp -m udp --dport 53 -j TTL --ttl-set 1',
          '-A PREROUTING -p tcp -m tcp --dport 8080 -j TTL --ttl-set 1',
          '-A PREROUTING -p icmp -j TTL --ttl-inc 1',
          '-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 500',
        ]),
      },
      server: { rules: filter(['-A INPUT -p icmp -m ttl --ttl-eq 64 -j DROP']) },
    }),
    steps: [
      { kind: 'send', from: 'client', to: `${RS}:53` },
      { kind: 'connect', from: 'client', to: `${RS}:8080` },
      { kind: 'connect', from: 'client', to: `${RS}:80` },
      { kind: 'ping', from: 'client', to: RS },
    ],
  },
  {
    name: 'NOTRACK and CT --notrack: state UNTRACKED',
    covers: ['-j NOTRACK', '-j CT --notrack', '--ctstate UNTRACKED', 'raw table'],
    topology: pair('notrack', {
      server: {
        rules: [
          table('raw', ['-A PREROUTING -p udp -m udp --dport 53 -j CT --notrack', '-A PREROUTING -p tcp -m tcp --dport 8080 -j NOTRACK']),
          filter(
            [
              '-A INPUT -m conntrack --ctstate UNTRACKED -p udp -j ACCEPT',
              '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
              '-A INPUT -p tcp -m tcp --dport 80 -m conntrack --ctstate NEW -j ACCEPT',
            ],
            { input: 'DROP' },
          ),
        ].join('\n'),
      },
    }),
    steps: [
      { kind: 'send', from: 'client', to: '10.0.0.2:53' },
      { kind: 'connect', from: 'client', to: '10.0.0.2:8080' },
      { kind: 'connect', from: 'client', to: '10.0.0.2:80' },
    ],
  },
];

const ROUTING_CASES: DiffCase[] = [
  {
    name: 'forwarding off',
    covers: ['net.ipv4.ip_forward 0', 'sysctl exec'],
    topology: routed('no-forward', { router: { sysctl: { 'net.ipv4.ip_forward': 0 } } }),
    steps: [
      { kind: 'ping', from: 'client', to: RS },
      { kind: 'connect', from: 'client', to: `${RS}:80` },
      { kind: 'ping', from: 'client', to: '10.0.2.1' },
      { kind: 'exec', on: 'router', cmd: 'sysctl -w net.ipv4.ip_forward=1' },
      { kind: 'connect', from: 'client', to: `${RS}:80` },
    ],
  },
  {
    name: 'blackhole, unreachable and prohibit routes',
    covers: ['blackhole route', 'unreachable route', 'prohibit route', 'no-route at the sender'],
    topology: routed('error-routes', {
      client: { routes: ['default via 10.0.1.1', 'blackhole 10.0.8.0/24', 'unreachable 10.0.9.0/24'] },
      router: { routes: ['blackhole 10.0.5.0/24', 'unreachable 10.0.6.0/24', 'prohibit 10.0.7.0/24'] },
    }),
    steps: [
      { kind: 'ping', from: 'client', to: '10.0.5.1' },
      { kind: 'ping', from: 'client', to: '10.0.6.1' },
      { kind: 'ping', from: 'client', to: '10.0.7.1' },
      { kind: 'connect', from: 'client', to: '10.0.6.1:80' },
      { kind: 'send', from: 'client', to: '10.0.7.1:53' },
      { kind: 'connect', from: 'client', to: '10.0.8.1:80' },
      { kind: 'connect', from: 'client', to: '10.0.9.1:80' },
      { kind: 'send', from: 'router', to: '10.0.7.1:53' },
    ],
  },
  {
    name: 'rp_filter strict and loose',
    covers: ['rp_filter'],
    topology: routed('rp-filter', {
      client: { moreAddrs: ['10.0.3.5/24'] },
      router: { sysctl: { 'net.ipv4.conf.all.rp_filter': 1 }, routes: ['10.0.3.0/24 via 10.0.2.2'] },
    }),
    steps: [
      { kind: 'send', from: 'client', to: `${RS}:53`, src: '10.0.1.2' },
      { kind: 'send', from: 'client', to: `${RS}:53`, src: '10.0.3.5' },
      { kind: 'exec', on: 'router', cmd: 'sysctl -w net.ipv4.conf.all.rp_filter=2' },
      { kind: 'send', from: 'client', to: `${RS}:53`, src: '10.0.3.5' },
    ],
  },
  {
    name: 'route_localnet and DNAT to loopback',
    covers: ['route_localnet', 'DNAT to 127.0.0.1'],
    topology: routed('localnet', {
      router: {
        listen: ['tcp:80'],
        rules: table('nat', ['-A PREROUTING -i eth0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 127.0.0.1:80']),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: '10.0.1.1:8080' },
      { kind: 'exec', on: 'router', cmd: 'sysctl -w net.ipv4.conf.all.route_localnet=1' },
      { kind: 'connect', from: 'client', to: '10.0.1.1:8080' },
    ],
  },
  {
    name: 'bridge with br_netfilter',
    covers: ['br_netfilter', 'bridge-nf-call-iptables', 'bridged FORWARD'],
    topology: [
      'name: bridge',
      'hosts:',
      '  a:',
      '    interfaces: { eth0: { addr: 10.0.0.1/24 } }',
      '  b:',
      '    interfaces: { eth0: { addr: 10.0.0.2/24 } }',
      '    listen: [ tcp:80, tcp:8080, udp:53 ]',
      '  sw:',
      '    sysctl: { net.bridge.bridge-nf-call-iptables: 1 }',
      '    interfaces:',
      '      br0: { kind: bridge }',
      '      p1: { master: br0 }',
      '      p2: { master: br0 }',
      '    iptables: |',
      ...filter(['-A FORWARD -p tcp -m tcp --dport 8080 -j DROP', '-A FORWARD -p udp -j REJECT'])
        .split('\n')
        .map((l) => `      ${l}`),
      'links:',
      '  - [a:eth0, sw:p1]',
      '  - [b:eth0, sw:p2]',
      '',
    ].join('\n'),
    steps: [
      { kind: 'connect', from: 'a', to: '10.0.0.2:80' },
      { kind: 'connect', from: 'a', to: '10.0.0.2:8080' },
      { kind: 'send', from: 'a', to: '10.0.0.2:53' },
      { kind: 'ping', from: 'a', to: '10.0.0.2' },
      { kind: 'exec', on: 'sw', cmd: 'sysctl -w net.bridge.bridge-nf-call-iptables=0' },
      { kind: 'connect', from: 'a', to: '10.0.0.2:8080' },
    ],
  },
  {
    name: 'TTL expiry in a routing loop',
    covers: ['TTL expiry', 'time exceeded', 'routing loop'],
    topology: routed('ttl-loop', { router: { routes: ['10.0.9.0/24 via 10.0.2.2'] }, server: { sysctl: { 'net.ipv4.ip_forward': 1 } } }),
    steps: [
      { kind: 'ping', from: 'client', to: '10.0.9.1' },
      { kind: 'send', from: 'client', to: '10.0.9.1:53' },
      { kind: 'connect', from: 'client', to: '10.0.9.1:80' },
    ],
  },
  {
    // A SYN rejected after DNAT never confirms its entry; the kernel attaches that unconfirmed entry to the
    // answer (nf_ct_attach), so the error is RELATED and leaves with the service address, not the backend's.
    name: 'REJECT after DNAT answers from the service address',
    covers: ['REJECT after DNAT', 'tcp-reset after DNAT', 'ICMP error RELATED to an unconfirmed entry', 'nf_nat_icmp_reply_translation'],
    topology: routed('reject-dnat', {
      // The client counts what comes back from the service address: the outer header is un-DNATed too.
      client: {
        rules: filter([
          '-A INPUT -s 10.0.9.10/32 -p icmp',
          '-A INPUT -s 10.0.9.10/32 -p tcp -m tcp --sport 2 --tcp-flags RST RST',
          '-A INPUT -s 10.0.9.10/32 -p tcp -m tcp --sport 5 --tcp-flags RST RST',
        ]),
      },
      router: {
        rules: [
          table('mangle', [
            '-A PREROUTING -d 10.0.9.10/32 -p tcp -m tcp --dport 6 -j TTL --ttl-set 1',
            '-A OUTPUT -p icmp -m conntrack --ctstate RELATED',
            '-A OUTPUT -p icmp -m conntrack --ctstate INVALID',
            '-A POSTROUTING -p icmp -m conntrack --ctstate RELATED,DNAT --ctdir REPLY',
            '-A POSTROUTING -p tcp -m tcp --tcp-flags RST RST -m conntrack --ctstate RELATED --ctdir REPLY',
            '-A POSTROUTING -p tcp -m tcp --tcp-flags RST RST -m conntrack --ctstate INVALID',
            '-A INPUT -s 10.0.9.10/32 -p icmp -m conntrack --ctstate RELATED',
            '-A INPUT -s 10.0.9.10/32 -p tcp -m tcp --sport 9 --tcp-flags RST RST -m conntrack --ctstate RELATED',
          ]),
          table('nat', [
            '-A PREROUTING -d 10.0.9.10/32 -p tcp -m tcp --dport 1 -j DNAT --to-destination 10.0.2.2:81',
            '-A PREROUTING -d 10.0.9.10/32 -p tcp -m tcp --dport 2 -j DNAT --to-destination 10.0.2.2:82',
            '-A PREROUTING -d 10.0.9.10/32 -p tcp -m tcp --dport 3 -j DNAT --to-destination 10.0.2.2:83',
            '-A PREROUTING -d 10.0.9.10/32 -p tcp -m tcp --dport 4 -j DNAT --to-destination 10.0.1.1:84',
            '-A PREROUTING -d 10.0.9.10/32 -p tcp -m tcp --dport 5 -j DNAT --to-destination 10.0.1.1:85',
            '-A PREROUTING -d 10.0.9.10/32 -p tcp -m tcp --dport 6 -j DNAT --to-destination 10.0.2.2:80',
            '-A PREROUTING -d 10.0.9.10/32 -p tcp -m tcp --dport 7 -j DNAT --to-destination 10.0.2.2:80',
            '-A PREROUTING -d 10.0.9.10/32 -p udp -m udp --dport 53 -j DNAT --to-destination 10.0.2.2:54',
            '-A OUTPUT -d 10.0.9.10/32 -p tcp -m tcp --dport 8 -j DNAT --to-destination 10.0.2.2:88',
            '-A OUTPUT -d 10.0.9.10/32 -p tcp -m tcp --dport 9 -j DNAT --to-destination 10.0.2.2:89',
            '-A POSTROUTING -p tcp -m tcp --tcp-flags RST RST',
            '-A POSTROUTING -p icmp',
          ]),
          filter([
            '-A INPUT -p tcp -m tcp --dport 84 -j REJECT --reject-with icmp-port-unreachable',
            '-A INPUT -p tcp -m tcp --dport 85 -j REJECT --reject-with tcp-reset',
            '-A FORWARD -p tcp -m tcp --dport 81 -j REJECT --reject-with icmp-port-unreachable',
            '-A FORWARD -p tcp -m tcp --dport 82 -j REJECT --reject-with tcp-reset',
            '-A FORWARD -p tcp -m tcp --dport 83 -j REJECT --reject-with icmp-host-prohibited',
            '-A FORWARD -p udp -m udp --dport 54 -j REJECT --reject-with icmp-port-unreachable',
            '-A OUTPUT -p tcp -m tcp --dport 88 -j REJECT --reject-with icmp-port-unreachable',
            '-A OUTPUT -p tcp -m tcp --dport 89 -j REJECT --reject-with tcp-reset',
          ]),
        ].join('\n'),
        // The router's own connects need a route towards the service address before nat OUTPUT rewrites it.
        routes: ['default via 10.0.2.2'],
      },
      server: { listen: ['tcp:80', 'tcp:81', 'tcp:82', 'tcp:83', 'udp:54'] },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: '10.0.9.10:1' },
      { kind: 'connect', from: 'client', to: '10.0.9.10:2' },
      { kind: 'connect', from: 'client', to: '10.0.9.10:3' },
      { kind: 'connect', from: 'client', to: '10.0.9.10:4' },
      { kind: 'connect', from: 'client', to: '10.0.9.10:5' },
      { kind: 'connect', from: 'client', to: '10.0.9.10:6' },
      { kind: 'send', from: 'client', to: '10.0.9.10:53' },
      { kind: 'connect', from: 'client', to: '10.0.9.10:7' },
      { kind: 'connect', from: 'router', to: '10.0.9.10:8' },
      { kind: 'connect', from: 'router', to: '10.0.9.10:9' },
    ],
  },
];

export const NAT_AND_ROUTING_CASES: DiffCase[] = [...NAT_CASES, ...ROUTING_CASES];
