/**
 * Cases where nflab and the kernel once disagreed, each settled on the kernel:
 * conntrack switching off with its last rule, a loopback source leaving the
 * host, who answers a ping, REJECT in the client's own OUTPUT chain.
 */
import { filter, pair, routed, table } from './builders.js';
import type { DiffCase } from './model.js';

const S = '10.0.0.2';
const RS = '10.0.2.2';

export const ISSUE14_CASES: DiffCase[] = [
  {
    name: 'conntrack switches off with its last rule',
    covers: ['conntrack off', 'nat chains without conntrack', 'conntrack on again'],
    topology: pair('ct-off', {
      server: {
        rules: [
          table('nat', ['-A PREROUTING -p udp -m udp --dport 5353 -j DNAT --to-destination 10.0.0.2:53', '-A POSTROUTING -j ACCEPT']),
          filter(['-A INPUT -p udp -j ACCEPT']),
        ].join('\n'),
      },
    }),
    steps: [
      { kind: 'send', from: 'client', to: `${S}:5353`, sport: 40000 },
      { kind: 'connect', from: 'client', to: `${S}:80` },
      { kind: 'exec', on: 'server', cmd: 'iptables -t nat -D PREROUTING 1' },
      { kind: 'send', from: 'client', to: `${S}:5353`, sport: 40000 },
      { kind: 'send', from: 'client', to: `${S}:53`, sport: 40001 },
      { kind: 'exec', on: 'server', cmd: 'iptables -I INPUT -m conntrack --ctstate INVALID -j DROP' },
      { kind: 'send', from: 'client', to: `${S}:5353`, sport: 40000 },
      { kind: 'send', from: 'client', to: `${S}:53`, sport: 40002 },
      { kind: 'exec', on: 'server', cmd: 'iptables -D INPUT 1' },
      { kind: 'connect', from: 'client', to: `${S}:8080` },
    ],
  },
  {
    name: 'a nat table alone does not track',
    covers: ['nat table without NAT targets'],
    topology: pair('ct-nat-only', {
      server: { rules: table('nat', ['-A PREROUTING -p tcp -j ACCEPT', '-A INPUT -j ACCEPT']) },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${S}:80` },
      { kind: 'exec', on: 'server', cmd: 'iptables -t nat -A PREROUTING -p tcp -m tcp --dport 8081 -j REDIRECT --to-ports 8080' },
      { kind: 'connect', from: 'client', to: `${S}:8081` },
      { kind: 'exec', on: 'server', cmd: 'iptables -t nat -F' },
      { kind: 'connect', from: 'client', to: `${S}:8081` },
    ],
  },
  {
    name: 'loopback source sent away by nat OUTPUT',
    covers: ['loopback source', 'route_localnet', 'nat OUTPUT reroute'],
    topology: pair('lo-src', {
      client: {
        rules: [
          table('nat', [
            '-A OUTPUT -d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:80',
            '-A OUTPUT -d 127.0.0.1/32 -p udp -m udp --dport 5353 -j DNAT --to-destination 10.0.0.2:53',
            '-A POSTROUTING -j ACCEPT',
          ]),
          filter(['-A OUTPUT -d 10.0.0.2/32 -j ACCEPT']),
        ].join('\n'),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: '127.0.0.1:8080' },
      { kind: 'send', from: 'client', to: '127.0.0.1:5353' },
      { kind: 'send', from: 'client', to: '10.0.0.2:53', src: '127.0.0.1' },
      { kind: 'exec', on: 'client', cmd: 'sysctl -w net.ipv4.conf.all.route_localnet=1' },
      { kind: 'connect', from: 'client', to: '127.0.0.1:8080' },
      { kind: 'send', from: 'client', to: '127.0.0.1:5353' },
      { kind: 'send', from: 'client', to: '10.0.0.2:53', src: '127.0.0.1' },
    ],
  },
  {
    name: 'ping: the node that answered and the source it saw',
    covers: ['ping server', 'ping server_sees', 'DNAT of an echo request', 'SNAT of an echo request'],
    topology: routed('ping-who', {
      router: {
        rules: table('nat', [
          '-A PREROUTING -d 10.0.1.1/32 -p icmp -j DNAT --to-destination 10.0.2.2',
          '-A POSTROUTING -o eth1 -s 10.0.1.3/32 -j MASQUERADE',
        ]),
      },
      client: { moreAddrs: ['10.0.1.3/24'] },
    }),
    steps: [
      { kind: 'ping', from: 'client', to: '10.0.2.1' },
      { kind: 'ping', from: 'client', to: RS },
      { kind: 'ping', from: 'client', to: '10.0.1.1' },
      { kind: 'ping', from: 'client', to: RS, src: '10.0.1.3' },
      { kind: 'ping', from: 'client', to: '10.0.1.2' },
      { kind: 'ping', from: 'client', to: '127.0.0.1' },
      { kind: 'ping', from: 'router', to: RS },
    ],
  },
  {
    name: 'REJECT in the client\u2019s own OUTPUT chain',
    covers: ['REJECT on OUTPUT', 'tcp-reset on OUTPUT'],
    topology: pair('reject-output', {
      client: {
        rules: filter([
          '-A OUTPUT -p tcp -m tcp --dport 8080 -j REJECT --reject-with tcp-reset',
          '-A OUTPUT -p tcp -m tcp --dport 8081 -j REJECT',
          '-A OUTPUT -p tcp -m tcp --dport 81 -j REJECT --reject-with icmp-host-prohibited',
          '-A OUTPUT -p udp -m udp --dport 53 -j REJECT',
          '-A OUTPUT -p udp -m udp --dport 54 -j REJECT --reject-with icmp-admin-prohibited',
          '-A OUTPUT -p icmp -j REJECT --reject-with icmp-net-unreachable',
        ]),
      },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${S}:8080` },
      { kind: 'connect', from: 'client', to: `${S}:8081` },
      { kind: 'connect', from: 'client', to: `${S}:81` },
      { kind: 'send', from: 'client', to: `${S}:53` },
      { kind: 'send', from: 'client', to: `${S}:54` },
      { kind: 'ping', from: 'client', to: S },
      { kind: 'connect', from: 'client', to: `${S}:80` },
    ],
  },
];
