/**
 * Native nftables cases: the same lab on the kernel (tables loaded with `nft -f`)
 * and in nflab, with traces compared against `nft -a monitor trace` (rule text,
 * handle and verdict of every native step, interleaved with iptables-nft's steps),
 * rule counters of both kinds of table, conntrack after every probe, results,
 * and the native listing at the end.
 */
import { filter, pair, routed, table } from './builders.js';
import type { DiffCase } from './model.js';

/** YAML lines that give a builder's host an `nftables:` block. */
const nft = (text: string): string[] => [
  'nftables: |',
  ...text
    .trim()
    .split('\n')
    .map((l) => `  ${l}`),
];

/**
 * kube-proxy's nftables mode as it writes it, for three Services on a node that
 * routes to its pods: one endpoint (numgen mod 1), two endpoints chosen in turn
 * (numgen inc, so both sides pick the same), one without endpoints (rejected
 * before DNAT), and a NodePort. Pod CIDR 10.0.2.0/24; anything from outside it
 * is marked and masqueraded.
 */
const KUBE_PROXY = `
table ip kube-proxy {
  comment "rules for kube-proxy"
  set cluster-ips {
    type ipv4_addr
    elements = { 172.30.0.10, 172.30.0.11, 172.30.0.12 }
  }
  map service-ips {
    type ipv4_addr . inet_proto . inet_service : verdict
    elements = { 172.30.0.10 . tcp . 80 : goto service-A, 172.30.0.12 . tcp . 80 : goto service-B }
  }
  map service-nodeports {
    type inet_proto . inet_service : verdict
    elements = { tcp . 30080 : goto external-A }
  }
  map no-endpoint-services {
    type ipv4_addr . inet_proto . inet_service : verdict
    elements = { 172.30.0.11 . tcp . 80 : goto reject-chain }
  }
  chain filter-forward {
    type filter hook forward priority -110; policy accept;
    ct state new jump service-endpoints-check
  }
  chain service-endpoints-check {
    ip daddr . meta l4proto . th dport vmap @no-endpoint-services
  }
  chain reject-chain {
    reject
  }
  chain nat-prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    jump services
  }
  chain nat-postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    jump masquerading
  }
  chain mark-for-masquerade {
    meta mark set meta mark | 0x4000
  }
  chain masquerading {
    meta mark & 0x4000 == 0 return
    meta mark set meta mark ^ 0x4000
    masquerade fully-random
  }
  chain services {
    ip daddr . meta l4proto . th dport vmap @service-ips
    fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports
  }
  chain service-A {
    ip daddr 172.30.0.10 tcp dport 80 ip saddr != 10.0.2.0/24 jump mark-for-masquerade
    numgen random mod 1 vmap { 0 : goto endpoint-A1 }
  }
  chain external-A {
    jump mark-for-masquerade
    goto service-A
  }
  chain endpoint-A1 {
    ip saddr 10.0.2.2 jump mark-for-masquerade
    meta l4proto tcp counter dnat to 10.0.2.2:80
  }
  chain service-B {
    numgen inc mod 2 vmap { 0 : goto endpoint-B1, 1 : goto endpoint-B2 }
  }
  chain endpoint-B1 {
    meta l4proto tcp counter dnat to 10.0.2.2:8080
  }
  chain endpoint-B2 {
    meta l4proto tcp counter dnat to 10.0.2.3:80
  }
}
`;

/** Docker's nftables backend for one bridge (eth1 here) and a port published on 8080, trimmed from moby's own ruleset. */
const DOCKER = `
table ip docker-bridges {
  map filter-forward-in-jumps {
    type ifname : verdict
    elements = { "eth1" : jump filter-forward-in__eth1 }
  }
  map filter-forward-out-jumps {
    type ifname : verdict
    elements = { "eth1" : jump filter-forward-out__eth1 }
  }
  chain filter-FORWARD {
    type filter hook forward priority filter; policy accept;
    oifname vmap @filter-forward-in-jumps
    iifname vmap @filter-forward-out-jumps
  }
  chain raw-PREROUTING {
    type filter hook prerouting priority raw; policy accept;
    ip daddr 10.0.2.2 iifname != "eth1" counter drop comment "DROP DIRECT ACCESS"
  }
  chain nat-PREROUTING {
    type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local counter jump nat-prerouting-and-output
  }
  chain nat-OUTPUT {
    type nat hook output priority -100; policy accept;
    ip daddr != 127.0.0.0/8 fib daddr type local counter jump nat-prerouting-and-output
  }
  chain nat-POSTROUTING {
    type nat hook postrouting priority srcnat; policy accept;
    iifname "eth1" oifname != "eth1" ip saddr 10.0.2.0/24 counter masquerade
  }
  chain nat-prerouting-and-output {
    iifname != "eth1" tcp dport 8080 counter dnat to 10.0.2.2:80 comment "DNAT"
  }
  chain filter-forward-in__eth1 {
    ct state established,related counter accept
    iifname "eth1" counter accept comment "ICC"
    ip daddr 10.0.2.2 tcp dport 80 counter accept
    counter drop comment "UNPUBLISHED PORT DROP"
  }
  chain filter-forward-out__eth1 {
    ct state established,related counter accept
    oifname != "eth1" counter accept comment "OUTGOING"
  }
}
`;

/** A host firewall in the inet family, stateful, with a default-drop input. */
const INET_FILTER = `
table inet filter {
  chain input {
    type filter hook input priority filter; policy drop;
    ct state established,related counter accept
    ct state invalid counter drop
    iifname "lo" accept
    tcp dport 80 ct state new counter accept
    udp dport 53 counter accept
    icmp type echo-request counter accept
    counter comment "falls to the policy"
  }
  chain output {
    type filter hook output priority filter; policy accept;
    ct state new tcp dport 8080 counter reject with tcp reset
  }
}
`;

/**
 * Native chains beside iptables' filter and nat tables: an nft accept at the
 * filter priority runs first (registered later) and does not stop iptables'
 * DROP; an nft drop after iptables' ACCEPT is final; a native mark set at the
 * mangle priority is seen by an iptables match; a native nat chain before
 * iptables' nat binds the connection, so iptables' REDIRECT for it never runs.
 */
const MIXED_NFT = `
table inet host {
  chain pre {
    type filter hook prerouting priority mangle; policy accept;
    tcp dport 8081 meta mark set 0x5 counter
  }
  chain in-first {
    type filter hook input priority filter; policy accept;
    tcp dport 8080 counter accept comment "iptables still runs"
  }
  chain in-last {
    type filter hook input priority filter + 10; policy accept;
    tcp dport 80 counter drop comment "after iptables ACCEPT: final"
  }
}
table ip hostnat {
  chain prerouting {
    type nat hook prerouting priority dstnat - 10; policy accept;
    tcp dport 2222 counter redirect to :8081
  }
}
`;

const MIXED_IPT = [
  filter([
    '-A INPUT -p tcp -m tcp --dport 8080 -j DROP',
    '-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT',
    '-A INPUT -m mark --mark 0x5 -j ACCEPT',
    '-A INPUT -p tcp -m tcp --dport 8081 -j DROP',
  ]),
  table('nat', [
    '-A PREROUTING -p tcp -m tcp --dport 2222 -j REDIRECT --to-ports 8080',
    '-A PREROUTING -p tcp -m tcp --dport 3333 -j REDIRECT --to-ports 8081',
  ]),
].join('\n');

const REJECTS = `
table inet rej {
  chain input {
    type filter hook input priority filter; policy accept;
    tcp dport 81 counter reject
    tcp dport 82 counter reject with tcp reset
    tcp dport 83 counter reject with icmp type host-unreachable
    tcp dport 84 counter reject with icmpx type admin-prohibited
    udp dport 54 counter reject
    udp dport 55 counter reject with icmp type net-prohibited
  }
}
table ip rej4 {
  chain forward-ish {
    type filter hook input priority filter + 5; policy accept;
    tcp dport 85 counter reject
    icmp type echo-request counter reject with icmp type prot-unreachable
  }
}
`;

export const NFT_CASES: DiffCase[] = [
  {
    name: 'nft kube-proxy nftables mode',
    covers: [
      'nft vmap concatenation',
      'nft numgen random',
      'nft numgen inc',
      'nft masquerade fully-random',
      'nft fib daddr type',
      'nft reject',
      'nft goto',
    ],
    needs: ['nft'],
    conntrackEveryProbe: true,
    topology: routed('nft-kube-proxy', {
      router: { routes: ['172.30.0.0/16 via 10.0.2.2'], yaml: nft(KUBE_PROXY) },
      server: { moreAddrs: ['10.0.2.3/24'] },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: '172.30.0.10:80' },
      { kind: 'connect', from: 'client', to: '172.30.0.12:80', repeat: 2 },
      { kind: 'connect', from: 'client', to: '172.30.0.11:80' },
      { kind: 'connect', from: 'client', to: '10.0.1.1:30080' },
      { kind: 'connect', from: 'server', to: '172.30.0.10:80' },
    ],
  },
  {
    name: 'nft Docker nftables backend',
    covers: ['nft ifname verdict map', 'nft raw priority drop', 'nft dnat', 'nft nat output', 'nft masquerade', 'nft ct state'],
    needs: ['nft'],
    conntrackEveryProbe: true,
    topology: routed('nft-docker', { router: { yaml: nft(DOCKER) }, client: { listen: ['tcp:9000'] } }),
    steps: [
      { kind: 'connect', from: 'client', to: '10.0.1.1:8080' },
      { kind: 'connect', from: 'client', to: '10.0.2.2:80' },
      { kind: 'connect', from: 'client', to: '10.0.2.2:8080' },
      { kind: 'connect', from: 'server', to: '10.0.1.2:9000' },
      { kind: 'connect', from: 'router', to: '10.0.1.1:8080' },
    ],
  },
  {
    name: 'nft inet filter with ct state',
    covers: ['nft inet family', 'nft ct state established', 'nft policy drop', 'nft reject with tcp reset', 'nft icmp type'],
    needs: ['nft'],
    conntrackEveryProbe: true,
    topology: pair('nft-inet-filter', { server: { yaml: nft(INET_FILTER) }, client: { listen: ['tcp:8080'] } }),
    steps: [
      { kind: 'connect', from: 'client', to: '10.0.0.2:80' },
      { kind: 'connect', from: 'client', to: '10.0.0.2:8080' },
      { kind: 'send', from: 'client', to: '10.0.0.2:53' },
      { kind: 'ping', from: 'client', to: '10.0.0.2' },
      { kind: 'connect', from: 'server', to: '10.0.0.1:8080' },
    ],
  },
  {
    name: 'nft and iptables at the same hook',
    covers: [
      'nft beside iptables',
      'nft accept is not final',
      'nft drop is final',
      'nft meta mark set',
      'nft nat before iptables nat',
      'nft redirect',
    ],
    needs: ['nft'],
    conntrackEveryProbe: true,
    topology: pair('nft-mixed', { server: { rules: MIXED_IPT, yaml: nft(MIXED_NFT) } }),
    steps: [
      { kind: 'connect', from: 'client', to: '10.0.0.2:80' },
      { kind: 'connect', from: 'client', to: '10.0.0.2:8080' },
      { kind: 'connect', from: 'client', to: '10.0.0.2:8081' },
      { kind: 'connect', from: 'client', to: '10.0.0.2:2222' },
      { kind: 'connect', from: 'client', to: '10.0.0.2:3333' },
    ],
  },
  {
    name: 'nft reject variants',
    covers: ['nft reject default', 'nft reject icmp type', 'nft reject icmpx', 'nft reject udp', 'nft reject icmp echo'],
    needs: ['nft'],
    topology: pair('nft-reject', {
      server: { yaml: nft(REJECTS), listen: ['tcp:81', 'tcp:82', 'tcp:83', 'tcp:84', 'tcp:85', 'udp:54', 'udp:55'] },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: '10.0.0.2:81' },
      { kind: 'connect', from: 'client', to: '10.0.0.2:82' },
      { kind: 'connect', from: 'client', to: '10.0.0.2:83' },
      { kind: 'connect', from: 'client', to: '10.0.0.2:84' },
      { kind: 'connect', from: 'client', to: '10.0.0.2:85' },
      { kind: 'send', from: 'client', to: '10.0.0.2:54' },
      { kind: 'send', from: 'client', to: '10.0.0.2:55' },
      { kind: 'ping', from: 'client', to: '10.0.0.2' },
    ],
  },
  {
    name: 'nft numgen inc keeps counting across a rule change',
    covers: ['nft numgen inc', 'nft add element'],
    needs: ['nft'],
    conntrackEveryProbe: true,
    topology: routed('nft-numgen-inc', {
      router: {
        routes: ['172.30.0.0/16 via 10.0.2.2'],
        yaml: nft(`
table ip lb {
  set seen { type ipv4_addr; }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr 172.30.0.12 tcp dport 80 numgen inc mod 2 vmap { 0 : goto ep1, 1 : goto ep2 }
  }
  chain ep1 {
    meta l4proto tcp counter dnat to 10.0.2.2:8080
  }
  chain ep2 {
    meta l4proto tcp counter dnat to 10.0.2.3:80
  }
}`),
      },
      server: { moreAddrs: ['10.0.2.3/24'] },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: '172.30.0.12:80' },
      { kind: 'exec', on: 'router', cmd: 'nft add element ip lb seen { 10.9.9.9 }' },
      { kind: 'connect', from: 'client', to: '172.30.0.12:80' },
      { kind: 'connect', from: 'client', to: '172.30.0.12:80' },
    ],
  },
  {
    name: 'nft refuses a batch as nft does',
    covers: ['nft -f refusal', 'nft unknown table', 'nft jump to a missing chain'],
    needs: ['nft'],
    topology: pair('nft-refusals'),
    steps: [
      {
        kind: 'exec',
        on: 'server',
        cmd: 'nft -f -',
        stdin: 'table inet t {\n  chain c {\n    type filter hook input priority 0; policy accept;\n  }\n}\n',
      },
      { kind: 'exec', on: 'server', cmd: 'nft -f -', stdin: 'table inet t {\n  chain c { counter accept }\n}\n' },
      { kind: 'exec', on: 'server', cmd: 'nft add rule inet nosuch c accept' },
      { kind: 'exec', on: 'server', cmd: 'nft add rule inet t c jump nowhere' },
      {
        kind: 'exec',
        on: 'server',
        cmd: 'nft -f -',
        stdin: 'add rule inet t c tcp dport 80 counter drop\nadd rule inet t c udp dport 53 goto missing\n',
      },
      { kind: 'exec', on: 'server', cmd: 'nft list table inet t' },
      { kind: 'connect', from: 'client', to: '10.0.0.2:80' },
    ],
  },
  {
    name: 'nft commands change the rules between probes',
    covers: ['nft add rule', 'nft insert rule', 'nft delete rule handle', 'nft list table -a', 'nft flush chain', 'nft -c'],
    needs: ['nft'],
    topology: pair('nft-commands', {
      server: { yaml: nft('table inet fw {\n  chain input {\n    type filter hook input priority filter; policy accept;\n  }\n}') },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: '10.0.0.2:80' },
      { kind: 'exec', on: 'server', cmd: 'nft add rule inet fw input tcp dport 80 counter drop' },
      { kind: 'exec', on: 'server', cmd: 'nft insert rule inet fw input tcp dport 80 ip saddr 10.0.0.9 counter accept' },
      { kind: 'exec', on: 'server', cmd: 'nft -a list table inet fw' },
      { kind: 'connect', from: 'client', to: '10.0.0.2:80' },
      { kind: 'exec', on: 'server', cmd: 'nft -c add rule inet fw input tcp dport 81 drop' },
      { kind: 'exec', on: 'server', cmd: 'nft delete rule inet fw input handle 2' },
      { kind: 'exec', on: 'server', cmd: 'nft add rule inet fw input udp dport 53 counter reject' },
      { kind: 'connect', from: 'client', to: '10.0.0.2:80' },
      { kind: 'send', from: 'client', to: '10.0.0.2:53' },
      { kind: 'exec', on: 'server', cmd: 'nft flush chain inet fw input' },
      { kind: 'send', from: 'client', to: '10.0.0.2:53' },
      { kind: 'exec', on: 'server', cmd: 'nft list chain inet fw input' },
    ],
  },
];
