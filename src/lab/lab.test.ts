import { describe, expect, it } from 'vitest';
import { labFrom, probe } from './testing/labs.js';
import type { LabEvent } from '../trace/events.js';

/** client — router — server, with the router forwarding unless told otherwise. */
function threeHop(forward = 1, extra = '') {
  return labFrom(`
name: three-hop
hosts:
  client:
    interfaces: { eth0: { addr: 10.0.1.2/24 } }
    routes: [ default via 10.0.1.1 ]
  router:
    sysctl: { net.ipv4.ip_forward: ${forward} }
    interfaces:
      eth0: { addr: 10.0.1.1/24 }
      eth1: { addr: 10.0.2.1/24 }
${extra}
  server:
    interfaces: { eth0: { addr: 10.0.2.2/24 } }
    routes: [ default via 10.0.2.1 ]
    listen: [ tcp:80, udp:53 ]
links:
  - [client:eth0, router:eth0]
  - [router:eth1, server:eth0]
`);
}

describe('the lab', () => {
  it('connects over a forwarding router, and the server sees the client', () => {
    const lab = threeHop();
    const r = probe(lab, 'connect', 'client', '10.0.2.2:80');
    expect(r.result).toBe('connected');
    expect(r.server).toBe('server');
    expect(r.serverSees?.split(':')[0]).toBe('10.0.1.2');
    const steps = r.trace!.steps;
    expect(steps.filter((s) => 'link' in s).map((s) => ('link' in s ? s.link.to : ''))).toEqual(['router:eth0', 'server:eth0']);
    expect(r.trace!.outcome).toBe('delivered');
  });

  it('gets a reset from a port nobody listens on', () => {
    const r = probe(threeHop(), 'connect', 'client', '10.0.2.2:81');
    expect(r.result).toBe('refused');
    expect(r.trace!.outcome).toBe('rejected');
  });

  it('gets ICMP port unreachable for a UDP datagram to a closed port, and an answer from an open one', () => {
    const lab = threeHop();
    expect(probe(lab, 'send', 'client', '10.0.2.2:5353').result).toBe('refused');
    const ok = probe(lab, 'send', 'client', '10.0.2.2:53');
    expect(ok.result).toBe('delivered');
    expect(ok.server).toBe('server');
  });

  it('answers ping, and drops what it may not forward', () => {
    expect(probe(threeHop(), 'ping', 'client', '10.0.2.2').result).toBe('reply');
    const off = threeHop(0);
    const r = probe(off, 'ping', 'client', '10.0.2.2');
    expect(r.result).toBe('timeout');
    expect(r.trace!.outcome).toBe('dropped');
  });

  it('reports no route at the sender', () => {
    const lab = labFrom(`
name: lonely
hosts:
  a:
    interfaces: { eth0: { addr: 10.0.0.1/24 } }
  b:
    interfaces: { eth0: { addr: 10.0.0.2/24 } }
links: [ [a:eth0, b:eth0] ]
`);
    expect(probe(lab, 'connect', 'a', '192.0.2.1:80').result).toBe('no-route');
    // On-link but nobody answers ARP: Linux gives up after 3 s; the probe times out first.
    expect(probe(lab, 'ping', 'a', '10.0.0.9').result).toBe('timeout');
  });

  it('uses the longest prefix, and routes by fwmark through a policy rule', () => {
    const lab = labFrom(`
name: lpm
hosts:
  r:
    interfaces:
      eth0: { addr: 10.0.1.1/24 }
      eth1: { addr: 10.0.2.1/24 }
    routes:
      - 192.0.2.0/24 via 10.0.1.2
      - 192.0.2.128/25 via 10.0.2.2
      - default via 10.0.2.2
      - default via 10.0.1.2 table 100
    ip_rules:
      - fwmark 0x1 lookup 100
    iptables: |
      *mangle
      :PREROUTING ACCEPT [0:0]
      :INPUT ACCEPT [0:0]
      :FORWARD ACCEPT [0:0]
      :OUTPUT ACCEPT [0:0]
      :POSTROUTING ACCEPT [0:0]
      -A OUTPUT -p udp -m udp --dport 9 -j MARK --set-mark 0x1
      COMMIT
  a:
    interfaces: { eth0: { addr: 10.0.1.2/24 } }
    listen: [ udp:9 ]
    routes: [ default via 10.0.1.1 ]
  b:
    interfaces: { eth0: { addr: 10.0.2.2/24 } }
    routes: [ default via 10.0.2.1 ]
links: [ [r:eth0, a:eth0], [r:eth1, b:eth0] ]
`);
    const route = (to: string, kind: 'send' | 'ping' = 'ping') => {
      const t = probe(lab, kind, 'r', to).trace!;
      const r = t.steps.find((s) => 'route' in s);
      return r && 'route' in r ? r.route : null;
    };
    expect(route('192.0.2.200')?.dev).toBe('eth1');
    expect(route('192.0.2.7')?.dev).toBe('eth0');
    expect(route('198.51.100.1')).toMatchObject({ dev: 'eth1', table: 'main' });
    // Marked in mangle OUTPUT, the packet is routed again through table 100.
    const marked = probe(lab, 'send', 'r', '198.51.100.1:9').trace!;
    const routes = marked.steps.filter((s) => 'route' in s && s.node === 'r').map((s) => ('route' in s ? s.route : null));
    expect(routes[0]).toMatchObject({ dev: 'eth1', table: 'main' });
    expect(routes.at(-1)).toMatchObject({ dev: 'eth0', via: '10.0.1.2', table: '100' });
  });

  it('sends ICMP time exceeded when a routing loop eats the TTL', () => {
    const lab = labFrom(`
name: loop
hosts:
  client:
    interfaces: { eth0: { addr: 10.0.1.2/24 } }
    routes: [ default via 10.0.1.1 ]
  r1:
    sysctl: { net.ipv4.ip_forward: 1 }
    interfaces: { eth0: { addr: 10.0.1.1/24 }, eth1: { addr: 10.0.9.1/24 } }
    routes: [ 203.0.113.0/24 via 10.0.9.2 ]
  r2:
    sysctl: { net.ipv4.ip_forward: 1 }
    interfaces: { eth0: { addr: 10.0.9.2/24 } }
    routes: [ 203.0.113.0/24 via 10.0.9.1, default via 10.0.9.1 ]
links: [ [client:eth0, r1:eth0], [r1:eth1, r2:eth0] ]
`);
    const r = probe(lab, 'connect', 'client', '203.0.113.5:80');
    expect(r.result).toBe('unreachable');
    expect(r.trace!.outcome).toBe('ttl-exceeded');
    const hops = r.trace!.steps.filter((s) => 'link' in s).length;
    expect(hops).toBe(64);
  });

  it('is deterministic: the same topology and seed give the same event log, byte for byte', () => {
    const run = () => {
      const lab = threeHop();
      const log: LabEvent[] = [];
      lab.tracer.subscribe((e) => log.push(e));
      probe(lab, 'connect', 'client', '10.0.2.2:80');
      probe(lab, 'send', 'client', '10.0.2.2:53');
      probe(lab, 'ping', 'client', '10.0.2.2');
      return JSON.stringify(log);
    };
    const a = run();
    expect(a.length).toBeGreaterThan(1000);
    expect(run()).toBe(a);
  });
});

describe('UDP datagram size', () => {
  it('refuses a payload over 65507 bytes (EMSGSIZE), so an echo loop between two nodes ends', () => {
    const lab = labFrom(`
name: udp-size
hosts:
  a:
    interfaces: { eth0: { addr: 10.0.1.1/24 } }
  b:
    interfaces: { eth0: { addr: 10.0.1.2/24 } }
links:
  - [a:eth0, b:eth0]
`);
    const a = lab.node('a')!;
    const from = { addr: 0x0a000101, port: 5000 };
    const to = { addr: 0x0a000102, port: 9 };
    expect(a.sockets.sendUdp(from, to, new Uint8Array(65508), null)).toBe('EMSGSIZE');
    expect(a.sockets.sendUdp(from, to, new Uint8Array(65507), null)).toBeNull();
  });
});
