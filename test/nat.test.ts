/**
 * Conntrack and NAT end to end. The second block builds the same lab with real
 * namespaces and checks that Linux gives the same answers (it does on 6.18).
 */
import { describe, expect, it } from 'vitest';
import { labFrom, probe } from '../src/lab/testing/labs.js';

const twoClientsBehindMasquerade = `
name: masquerade-clash
hosts:
  c1:
    interfaces: { eth0: { addr: 10.0.0.11/24 } }
    routes: [ default via 10.0.0.1 ]
  c2:
    interfaces: { eth0: { addr: 10.0.0.12/24 } }
    routes: [ default via 10.0.0.1 ]
  sw:
    interfaces:
      br0: { kind: bridge }
      p1: { master: br0 }
      p2: { master: br0 }
      p3: { master: br0 }
  router:
    sysctl: { net.ipv4.ip_forward: 1 }
    interfaces:
      eth0: { addr: 10.0.0.1/24 }
      eth1: { addr: 203.0.113.1/24 }
    iptables: |
      *nat
      :PREROUTING ACCEPT [0:0]
      :INPUT ACCEPT [0:0]
      :OUTPUT ACCEPT [0:0]
      :POSTROUTING ACCEPT [0:0]
      -A POSTROUTING -o eth1 -j MASQUERADE
      COMMIT
      *filter
      :INPUT ACCEPT [0:0]
      :FORWARD DROP [0:0]
      :OUTPUT ACCEPT [0:0]
      -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
      -A FORWARD -i eth0 -o eth1 -j ACCEPT
      -A FORWARD -i eth0 -o eth1 -p udp -m udp --dport 9 -j REJECT --reject-with icmp-port-unreachable
      COMMIT
  server:
    interfaces: { eth0: { addr: 203.0.113.2/24 } }
    listen: [ tcp:80, udp:53 ]
links:
  - [c1:eth0, sw:p1]
  - [c2:eth0, sw:p2]
  - [router:eth0, sw:p3]
  - [router:eth1, server:eth0]
`;

describe('conntrack and NAT', () => {
  it('keeps the source port of the first client and moves the second one that would clash', () => {
    const lab = labFrom(twoClientsBehindMasquerade);
    const a = probe(lab, 'connect', 'c1', '203.0.113.2:80', { sport: 40000 });
    const b = probe(lab, 'connect', 'c2', '203.0.113.2:80', { sport: 40000 });
    expect(a.result).toBe('connected');
    expect(b.result).toBe('connected');
    // Kernel: the first keeps 203.0.113.1:40000, the second gets another port (random there, seeded here).
    expect(a.serverSees).toBe('203.0.113.1:40000');
    expect(b.serverSees?.startsWith('203.0.113.1:')).toBe(true);
    expect(b.serverSees).not.toBe('203.0.113.1:40000');
    const entries = lab
      .node('router')!
      .views.conntrack()
      .filter((e) => e.proto === 'tcp');
    expect(entries.map((e) => [e.orig.src, e.orig.sport, e.reply.dst, e.reply.dport === 40000])).toEqual([
      ['10.0.0.11', 40000, '203.0.113.1', true],
      ['10.0.0.12', 40000, '203.0.113.1', false],
    ]);
  });

  it('forgets masqueraded connections when the address they used goes away', () => {
    const lab = labFrom(twoClientsBehindMasquerade);
    expect(probe(lab, 'send', 'c1', '203.0.113.2:53').result).toBe('delivered');
    const router = lab.node('router')!;
    expect(router.views.conntrack().filter((e) => e.reply.dst === '203.0.113.1')).toHaveLength(1);
    expect(lab.exec('router', 'ip addr del 203.0.113.1/24 dev eth1').exitCode).toBe(0);
    expect(router.views.conntrack().filter((e) => e.reply.dst === '203.0.113.1')).toHaveLength(0);
  });

  it('lets replies back only as ESTABLISHED: the server cannot open a connection inwards', () => {
    const lab = labFrom(twoClientsBehindMasquerade);
    expect(probe(lab, 'connect', 'c1', '203.0.113.2:80').result).toBe('connected');
    // The server has no route to 10/8 at all, so ask the router's own view: a NEW packet from eth1 to eth0 meets FORWARD's DROP policy.
    lab.exec('server', 'ip route add 10.0.0.0/24 via 203.0.113.1');
    const r = probe(lab, 'ping', 'server', '10.0.0.11');
    expect(r.result).toBe('timeout');
    expect(r.trace!.steps.some((s) => 'hook' in s && s.chain === 'FORWARD' && s.policy === true && s.verdict === 'DROP')).toBe(true);
  });

  it('translates a RELATED ICMP error back through the NAT, quoted header included', () => {
    const lab = labFrom(twoClientsBehindMasquerade);
    // UDP to a closed port on the server: the port-unreachable comes back to 203.0.113.1 and is un-NATed to the client.
    const r = probe(lab, 'send', 'c1', '203.0.113.2:5353', { sport: 41000 });
    expect(r.result).toBe('refused');
    const ct = lab
      .node('router')!
      .views.conntrack()
      .find((e) => e.proto === 'udp');
    expect(ct).toMatchObject({ orig: { src: '10.0.0.11', sport: 41000 }, reply: { dst: '203.0.113.1' } });
  });

  it('sends REJECT replies from the router back to the client (before any NAT happened)', () => {
    const lab = labFrom(twoClientsBehindMasquerade.replace('-A FORWARD -i eth0 -o eth1 -j ACCEPT\n', ''));
    const r = probe(lab, 'send', 'c1', '203.0.113.2:9');
    expect(r.result).toBe('refused');
    expect(r.trace!.outcome).toBe('rejected');
  });
});

import { kernelAvailable, KernelLab } from './kernel/harness.js';
import { loadTopologyText } from '../src/topology/load.js';

const kernel = kernelAvailable();

describe.skipIf(!kernel.ok)(`the same NAT cases on the kernel${kernel.ok ? '' : ` (skipped: ${kernel.why})`}`, () => {
  // One retry on a fresh lab: a loaded machine's kernel can answer later than the probe waits.
  it('agrees on port preservation, the clash, ESTABLISHED-only filtering, the RELATED error and REJECT', { retry: 1 }, () => {
    const topo = loadTopologyText(twoClientsBehindMasquerade, '<nat-test>', process.cwd());
    if (!topo.ok) throw new Error('topology');
    const k = KernelLab.up(topo.value);
    try {
      const a = k.connect('c1', '203.0.113.2', 80, { sport: 40000 });
      const b = k.connect('c2', '203.0.113.2', 80, { sport: 40000 });
      expect([a.result, b.result]).toEqual(['connected', 'connected']);
      expect(a.serverSees).toBe('203.0.113.1:40000');
      expect(b.serverSees?.startsWith('203.0.113.1:')).toBe(true);
      expect(b.serverSees).not.toBe('203.0.113.1:40000');
      expect(k.send('c1', '203.0.113.2', 5353, { sport: 41000 }).result).toBe('refused');
      k.exec('server', ['ip', 'route', 'add', '10.0.0.0/24', 'via', '203.0.113.1']);
      expect(k.ping('server', '10.0.0.11')).toBe('timeout');
    } finally {
      k.down();
    }
    const rejecting = loadTopologyText(
      twoClientsBehindMasquerade.replace('-A FORWARD -i eth0 -o eth1 -j ACCEPT\n', ''),
      '<nat-test>',
      process.cwd(),
    );
    if (!rejecting.ok) throw new Error('topology');
    const k2 = KernelLab.up(rejecting.value);
    try {
      expect(k2.send('c1', '203.0.113.2', 9).result).toBe('refused');
    } finally {
      k2.down();
    }
  });
});
