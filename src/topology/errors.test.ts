/** One test per kind of mistake, each asserting file:line:col and the message. */
import { describe, expect, test } from 'vitest';
import { errors } from './testing/testkit.js';

describe('shape', () => {
  test('unknown keys at every level, with a suggestion', () => {
    expect(
      errors(`
        hosts:
          a:
            interfce:
              eth0: {}
            interfaces:
              eth0: { adr: 10.0.0.1/24 }
        linkz: []
      `),
    ).toEqual([
      '/lab/t.yaml:3:5: unknown key "interfce" in host a (did you mean "interfaces"?); expected one of: interfaces, routes, ip_rules, sysctl, iptables, iptables_cmds, nftables, listen, ipsets, nfacct, users, groups, namespaces, iptables_backend',
      '/lab/t.yaml:6:15: unknown key "adr" in interface a:eth0 (did you mean "addr"?); expected one of: addr, kind, master, mtu, mac, hairpin',
      '/lab/t.yaml:7:1: unknown key "linkz" in the topology (did you mean "links"?); expected one of: name, description, hosts, links, rule_updates',
    ]);
  });

  test('rule update settings: known backends and timings, iptables_backend on hosts only', () => {
    expect(
      errors(`
        rule_updates: { backend: iptables, timing: slow, speed: 1 }
        hosts:
          a:
            iptables_backend: nf
            namespaces:
              n:
                iptables_backend: legacy
      `),
    ).toEqual([
      '/lab/t.yaml:1:26: `rule_updates.backend` must be nft or legacy, not "iptables"',
      '/lab/t.yaml:1:44: `rule_updates.timing` must be instant or modelled, not "slow"',
      '/lab/t.yaml:1:50: unknown key "speed" in `rule_updates`; expected one of: backend, timing',
      '/lab/t.yaml:4:23: `iptables_backend` must be nft or legacy, not "nf"',
      '/lab/t.yaml:7:9: `iptables_backend` is not allowed in namespace a/n: the namespaces of a host run its iptables binary: move this to host a',
    ]);
  });

  test('wrong types say what was expected and what was found', () => {
    expect(
      errors(`
        hosts:
          a:
            interfaces:
              eth0: { kind: vet }
            routes: default via 10.0.0.1
          b: []
      `),
    ).toEqual([
      '/lab/t.yaml:4:21: kind of interface a:eth0 must be one of veth, bridge, dummy, not "vet"',
      '/lab/t.yaml:5:13: routes of a must be a list, not "default via 10.0.0.1"',
      '/lab/t.yaml:6:6: host b must be a mapping, not a list',
    ]);
  });

  test('a topology without hosts', () => {
    expect(errors(`name: x`)).toEqual(['/lab/t.yaml:1:1: the topology needs `hosts:` (at least one host)']);
  });

  test('host and namespace names; host-only keys inside a namespace', () => {
    expect(
      errors(`
        hosts:
          bad name: {}
          h:
            namespaces:
              "n/s": {}
              ok:
                users: {}
                namespaces: {}
      `),
    ).toEqual([
      '/lab/t.yaml:2:3: host name "bad name" may only contain letters, digits, "_", "." and "-"',
      '/lab/t.yaml:5:7: namespace name "n/s" may only contain letters, digits, "_", "." and "-"',
      '/lab/t.yaml:7:9: `users` is not allowed in namespace h/ok: users belong to the host (namespaces share its /etc/passwd and /etc/group): move this to host h',
      '/lab/t.yaml:8:9: `namespaces` is not allowed in namespace h/ok: namespaces do not nest: list them all under the host',
    ]);
  });
});

describe('interfaces', () => {
  test('bad addresses, CIDRs, MTUs and MACs', () => {
    expect(
      errors(`
        hosts:
          a:
            interfaces:
              eth0: { addr: 10.0.0.300/24 }
              eth1: { addr: [10.0.0.1/33, 0.0.0.0/8, 5] }
              eth2: { mtu: 67, mac: 01:00:00:00:00:01 }
              eth3: { mtu: big, mac: zz }
              a-very-long-name0: {}
      `),
    ).toEqual([
      '/lab/t.yaml:4:21: address of interface a:eth0 must be an IPv4 address with its prefix length, such as 10.0.0.1/24, not "10.0.0.300/24"',
      '/lab/t.yaml:5:22: address of interface a:eth1 must be an IPv4 address with its prefix length, such as 10.0.0.1/24, not "10.0.0.1/33"',
      '/lab/t.yaml:5:35: 0.0.0.0 cannot be an interface address (interface a:eth1)',
      '/lab/t.yaml:5:46: address of interface a:eth1 must be an IPv4 address with its prefix length, such as 10.0.0.1/24, not 5',
      '/lab/t.yaml:6:20: interface a:eth2: mtu must be an integer from 68 to 65535, not 67',
      '/lab/t.yaml:6:29: interface a:eth2: MAC 01:00:00:00:00:01 is a multicast address (the low bit of the first byte is set)',
      '/lab/t.yaml:7:20: interface a:eth3: mtu must be an integer from 68 to 65535, not "big"',
      '/lab/t.yaml:7:30: interface a:eth3: expected a MAC address such as 02:00:00:00:00:01, not "zz"',
      '/lab/t.yaml:8:7: interface name "a-very-long-name0" must be 1 to 15 characters long (IFNAMSIZ)',
    ]);
  });

  test('duplicate addresses in one namespace, and 127.0.0.1 off lo', () => {
    expect(
      errors(`
        hosts:
          a:
            interfaces:
              eth0: { addr: 10.0.0.1/24 }
              eth1: { addr: [10.0.0.1/16, 127.0.0.1/8] }
          b:
            interfaces:
              eth0: { addr: 10.0.0.1/24 }
      `),
    ).toEqual([
      '/lab/t.yaml:5:22: address 10.0.0.1 is already on eth0 (line 4) in a; an address may be held once per node',
      '/lab/t.yaml:5:35: 127.0.0.1 already belongs to lo in a',
    ]);
  });

  test('lo takes only addresses', () => {
    expect(
      errors(`
        hosts:
          a: { interfaces: { lo: { mtu: 1500 } } }
      `),
    ).toEqual(['/lab/t.yaml:2:28: lo is the loopback device nflab creates in every node; only `addr` may be given for it']);
  });

  test('bridge ports: master missing, not a bridge, on a bridge; a veth without a link', () => {
    expect(
      errors(`
        hosts:
          a:
            interfaces:
              br0: { kind: bridge, master: br1 }
              br1: { kind: bridge }
              p1: { master: brx }
              p2: { master: p1 }
              p3: { master: br1 }
              v: { kind: veth }
      `),
    ).toEqual([
      '/lab/t.yaml:4:36: br0 is a bridge and cannot have a master (the kernel: "Can not enslave a bridge to a bridge")',
      '/lab/t.yaml:6:21: master "brx" of p1: a has no interface "brx" (did you mean "br0"?)',
      '/lab/t.yaml:7:21: master "p1" of p2 is a dummy, not a bridge (give it `kind: bridge`)',
      '/lab/t.yaml:9:7: interface a:v is a veth but no link uses it; a veth is one end of a pair (add it to `links`, or drop `kind` to make it a dummy)',
    ]);
  });
});

describe('links', () => {
  test('endpoints naming missing nodes, malformed endpoints', () => {
    expect(
      errors(`
        hosts:
          a: {}
          b: { namespaces: { web: {} } }
        links:
          - [a:eth0, c:eth0]
          - [a:eth1, b/wbe:eth0]
          - [a-eth0, b:eth0]
          - [a:eth2]
          - { latency: 1ms }
      `),
    ).toEqual([
      '/lab/t.yaml:5:14: link endpoint c:eth0: no node "c" (did you mean "a"?); nodes are a, b, b/web',
      '/lab/t.yaml:6:14: link endpoint b/wbe:eth0: no node "b/wbe" (did you mean "b/web"?); nodes are a, b, b/web',
      '/lab/t.yaml:7:6: a link endpoint is NODE:INTERFACE such as client:eth0 or docker-host/web:eth0, not "a-eth0"',
      '/lab/t.yaml:8:5: a link has exactly two endpoints, not 1',
      '/lab/t.yaml:9:5: a link needs `endpoints: [NODE:IF, NODE:IF]`',
    ]);
  });

  test('an interface used by two links, a bridge or lo as a link end', () => {
    expect(
      errors(`
        hosts:
          a:
            interfaces:
              br0: { kind: bridge }
          b: {}
        links:
          - [a:eth0, b:eth0]
          - [a:eth0, b:eth1]
          - [a:br0, b:eth2]
          - [a:lo, b:eth3]
      `),
    ).toEqual([
      '/lab/t.yaml:8:6: interface a:eth0 is already the end of the link at line 7; an interface can be on one link only',
      '/lab/t.yaml:9:6: interface a:br0 is a bridge; a link end is one side of a veth pair (add a veth port with `master: br0` to connect a bridge)',
      '/lab/t.yaml:10:6: link endpoint a:lo: the loopback device cannot be a link end',
    ]);
  });

  test('bad latency, bandwidth, loss and mtu', () => {
    expect(
      errors(`
        hosts: { a: {}, b: {} }
        links:
          - { endpoints: [a:e3, b:e3], latency: 5, bandwidth: 1Gbps2, loss: 2, mtu: 70000 }
          - { endpoints: [a:e4, b:e4], latency: 1 hour, bandwidth: -3, loss: x }
      `),
    ).toEqual([
      '/lab/t.yaml:3:41: link latency: expected a latency with a unit, such as 50us, 1ms or 0.5ms, not 5',
      '/lab/t.yaml:3:55: link bandwidth: "1Gbps2" is not a rate in bits per second such as 1Gbit, 100Mbit or 10kbit (0 for unlimited)',
      '/lab/t.yaml:3:69: link loss: loss 2 is out of range: expected a loss probability from 0 to 1 (or a percentage such as 1%)',
      '/lab/t.yaml:3:77: link mtu: mtu must be an integer from 68 to 65535, not 70000',
      '/lab/t.yaml:4:41: link latency: "1 hour" is not a latency with a unit, such as 50us, 1ms or 0.5ms',
      '/lab/t.yaml:4:60: link bandwidth: expected a rate in bits per second such as 1Gbit, 100Mbit or 10kbit (0 for unlimited), not -3',
      '/lab/t.yaml:4:70: link loss: expected a loss probability from 0 to 1 (or a percentage such as 1%), not "x"',
    ]);
  });
});

describe('routes', () => {
  test('a via gateway off every connected network, and through the wrong device', () => {
    expect(
      errors(`
        hosts:
          a:
            interfaces:
              eth0: { addr: 10.0.0.1/24 }
              eth2: { addr: 10.0.2.1/24 }
            routes:
              - default via 10.9.9.9
              - 192.0.2.0/24 via 10.0.0.2 dev eth2
              - "198.51.101.0/24 via 10.99.0.1 dev eth2"
              - 192.0.3.0/24 via 10.0.0.2 dev eth0
              - 192.0.4.0/24 via 10.0.2.254
      `),
    ).toEqual([
      '/lab/t.yaml:7:21: route "default via 10.9.9.9": gateway 10.9.9.9 is not on a network connected to a (the kernel: "Nexthop has invalid gateway"); give an interface an address in its subnet, add a `PREFIX dev IF` route before this one, or use `onlink` with `dev`',
      '/lab/t.yaml:8:26: route "192.0.2.0/24 via 10.0.0.2 dev eth2": gateway 10.0.0.2 is not on a network connected to a through eth2 (the kernel: "Nexthop has invalid gateway"); give an interface an address in its subnet, add a `PREFIX dev IF` route before this one, or use `onlink` with `dev`',
      '/lab/t.yaml:9:30: route "198.51.101.0/24 via 10.99.0.1 dev eth2": gateway 10.99.0.1 is not on a network connected to a through eth2 (the kernel: "Nexthop has invalid gateway"); give an interface an address in its subnet, add a `PREFIX dev IF` route before this one, or use `onlink` with `dev`',
    ]);
  });

  test('an earlier link route makes a gateway reachable, in main or in its own table, as on Linux', () => {
    expect(
      errors(`
        hosts:
          a:
            interfaces:
              eth0: { addr: 10.0.0.1/24 }
            routes:
              - 198.51.100.0/24 via 10.50.0.1
              - 10.50.0.0/16 dev eth0
              - 198.51.101.0/24 via 10.50.0.1
              - 10.60.0.0/16 dev eth0 table 100
              - 198.51.102.0/24 via 10.60.0.1 table 100
              - 198.51.103.0/24 via 10.60.0.1
              - default via 10.0.0.254 table 100
      `),
    ).toEqual([
      '/lab/t.yaml:6:29: route "198.51.100.0/24 via 10.50.0.1": gateway 10.50.0.1 is not on a network connected to a (the kernel: "Nexthop has invalid gateway"); give an interface an address in its subnet, add a `PREFIX dev IF` route before this one, or use `onlink` with `dev`',
      '/lab/t.yaml:11:29: route "198.51.103.0/24 via 10.60.0.1": gateway 10.60.0.1 is not on a network connected to a (the kernel: "Nexthop has invalid gateway"); give an interface an address in its subnet, add a `PREFIX dev IF` route before this one, or use `onlink` with `dev`',
    ]);
  });

  test('dev naming a missing interface; onlink skips the gateway check but needs dev', () => {
    expect(
      errors(`
        hosts:
          a:
            interfaces:
              eth0: { addr: 10.0.0.1/24 }
            routes:
              - 192.0.3.0/24 dev eth9
              - 192.0.4.0/24 via 10.9.9.9 onlink
              - 192.0.5.0/24 via 10.9.9.9 dev eth0 onlink
              - blackhole 192.0.6.0/24
              - 127.0.0.0/8 via 127.0.0.2 dev lo
      `),
    ).toEqual([
      '/lab/t.yaml:6:26: route "192.0.3.0/24 dev eth9": Cannot find device "eth9" in a (did you mean "eth0"?)',
      '/lab/t.yaml:7:26: route "192.0.4.0/24 via 10.9.9.9 onlink": `onlink` needs `dev IF` (the kernel: "Nexthop device required for onlink")',
    ]);
  });
});

describe('listen', () => {
  test('bad proto, port, app, uid, addr; duplicates', () => {
    expect(
      errors(`
        hosts:
          a:
            users: { app: 1000 }
            interfaces:
              eth0: { addr: 10.0.0.1/24 }
            listen:
              - tcp:80
              - sctp:80
              - tcp:0
              - tcp80
              - { socket: tcp:81, uid: ap }
              - { socket: tcp:82, app: echoo }
              - { socket: udp:83, source: 127.0.0.6 }
              - { socket: tcp:80, addr: 10.0.0.1 }
              - { socket: tcp:84, uid: -1 }
              - { uid: 5 }
              - { socket: tcp:85, addr: 10.0.0.9 }
              - { socket: udp:80, uid: app, addr: 127.0.0.6 }
      `),
    ).toEqual([
      '/lab/t.yaml:8:9: listen protocol must be tcp or udp, not "sctp"',
      '/lab/t.yaml:9:9: listen port must be from 1 to 65535, not 0',
      '/lab/t.yaml:10:9: a listen socket is PROTO:PORT such as tcp:80 or udp:53, not "tcp80"',
      '/lab/t.yaml:11:32: unknown user "ap" (did you mean "app"?): add it to `users:` of host a, or give a number',
      '/lab/t.yaml:12:32: app must be one of echo, sink, proxy, not "echoo"',
      '/lab/t.yaml:13:35: `source` is the upstream bind address of a proxy; it needs app: proxy',
      '/lab/t.yaml:14:9: tcp:80 is already listened on at line 7 in a (EADDRINUSE)',
      "/lab/t.yaml:15:32: uid must be a number from 0 to 4294967294 or a user name from the host's `users`, not -1",
      '/lab/t.yaml:16:9: a listen entry needs `socket: PROTO:PORT` (for example socket: tcp:80)',
      '/lab/t.yaml:17:33: 10.0.0.9 is not an address of a, so a socket cannot bind it (EADDRNOTAVAIL)',
    ]);
  });
});

describe('ipsets, nfacct, users', () => {
  test('ipset type and member syntax per type', () => {
    expect(
      errors(`
        hosts:
          a:
            ipsets:
              s1: { type: hash:nett, members: [10.0.0.0/8] }
              s2: { type: hash:net, members: [10.0.0.0/0, 10.0.0.0/8, x] }
              s3: { type: hash:ip,port, members: [] }
              s4:
                type: hash:ip,port
                members: [10.0.0.1,tcp:80, "10.0.0.1,udp:53", "10.0.0.1,icmpx:80"]
              s5: { type: bitmap:port, members: [80, 8000-8100, 9000-8000] }
              s6: { members: [] }
            nfacct: [a, a]
            users: { 1x: 5, ok: many }
      `),
    ).toEqual([
      '/lab/t.yaml:4:19: ipset type must be one of hash:net, hash:ip, hash:ip,port, hash:net,port, bitmap:port, not "hash:nett"',
      '/lab/t.yaml:5:39: ipset s2 (hash:net): expected a CIDR with prefix 1..32, or an address, not "10.0.0.0/0"',
      '/lab/t.yaml:5:63: ipset s2 (hash:net): expected a CIDR with prefix 1..32, or an address, not "x"',
      '/lab/t.yaml:6:27: unknown key "port" in ipset s3; expected type, members; inside `{ }` a comma ends a value, so quote the type: "hash:ip,port"',
      '/lab/t.yaml:9:19: ipset s4 (hash:ip,port): expected IP,[PROTO:]PORT such as "10.0.0.1,tcp:80" (inside [ ] a comma separates items, so quote each member), not "10.0.0.1"',
      '/lab/t.yaml:9:28: ipset s4 (hash:ip,port): expected IP,[PROTO:]PORT such as "10.0.0.1,tcp:80" (inside [ ] a comma separates items, so quote each member), not "tcp:80"',
      '/lab/t.yaml:9:55: ipset s4 (hash:ip,port): expected IP,[PROTO:]PORT such as "10.0.0.1,tcp:80", not "10.0.0.1,icmpx:80"',
      '/lab/t.yaml:10:57: ipset s5 (bitmap:port): expected a port or a range such as 8000-8100, not "9000-8000"',
      '/lab/t.yaml:11:7: ipset s6 needs a `type` (one of hash:net, hash:ip, hash:ip,port, hash:net,port, bitmap:port)',
      '/lab/t.yaml:12:17: nfacct object "a" is listed twice',
      '/lab/t.yaml:13:14: user name "1x" must start with a letter or "_" and hold letters, digits, "_", "." or "-"',
      '/lab/t.yaml:13:25: the uid of user ok must be an integer from 0 to 4294967294, not "many"',
    ]);
  });
});

describe('sysctl', () => {
  test('unknown names, bad values, missing interfaces', () => {
    const e = errors(`
      hosts:
        a:
          interfaces: { eth0.100: {} }
          sysctl:
            net.ipv4.ip_forwarding: 1
            net.ipv4.ip_forward: 2
            net.ipv4.conf.eth1.rp_filter: 1
            net.ipv4.conf.all.rp_filter: 3
            net/ipv4/conf/eth0.100/route_localnet: 1
            net.ipv4.conf.eth0.100.accept_local: 1
            net.ipv4.ip_unprivileged_port_start: 40000
            net.netfilter.nf_conntrack_udp_timeout: 30s
            net.bridge.bridge-nf-call-iptables: 1
    `);
    expect(e[0]).toMatch(
      /^\/lab\/t\.yaml:5:7: unknown sysctl "net\.ipv4\.ip_forwarding" \(did you mean "net\.ipv4\.ip_forward"\?\); nflab knows net\.ipv4\.ip_forward, /,
    );
    expect(e.slice(1)).toEqual([
      '/lab/t.yaml:6:28: net.ipv4.ip_forward = 2: expected 0 or 1',
      '/lab/t.yaml:7:7: sysctl net.ipv4.conf.eth1.rp_filter: a has no interface "eth1"',
      '/lab/t.yaml:8:36: net.ipv4.conf.all.rp_filter = 3: expected an integer from 0 to 2',
      '/lab/t.yaml:11:44: net.ipv4.ip_unprivileged_port_start = 40000: expected an integer from 0 to 32768, at most the low end of ip_local_port_range',
      '/lab/t.yaml:12:47: net.netfilter.nf_conntrack_udp_timeout: expected an integer from 0 to 2147483 (seconds), not "30s"',
    ]);
  });
});

describe('iptables', () => {
  test('a missing rules file is reported at the file: value; other mistakes too', () => {
    expect(
      errors(`
        hosts:
          a:
            iptables: { file: nope.rules }
          b:
            iptables: [x]
          c:
            iptables: >
              *filter
              COMMIT
          d:
            iptables_cmds: [iptables -F, { a: 1 }]
      `),
    ).toEqual([
      expect.stringMatching(/^\/lab\/t\.yaml:3:23: cannot read iptables file "nope\.rules" \(\/.*\/fixtures\/nope\.rules\): no such file$/),
      '/lab/t.yaml:5:15: iptables must be iptables-restore text (`iptables: |`) or { file: PATH }, not a list',
      '/lab/t.yaml:7:15: iptables text must be a literal block (`iptables: |`): folding would join the rule lines',
      '/lab/t.yaml:11:34: an iptables_cmds entry must be a string, not a mapping',
    ]);
  });
});
