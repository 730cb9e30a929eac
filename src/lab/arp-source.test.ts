import { describe, expect, it } from 'vitest';
import { labFrom, probe } from './testing/labs.js';
import { formatIpv4 } from '../packet/ipv4.js';
import type { Lab } from './lab.js';

/** The sender address of every ARP request `node` sends, in order. */
function arpAsks(lab: Lab, node: string): string[] {
  const asks: string[] = [];
  lab.setTap((n, _dev, dir, f) => {
    if (n === node && dir === 'out' && f.type === 'arp' && f.arp.op === 'request') asks.push(formatIpv4(f.arp.senderIp));
  });
  return asks;
}

const pair = (clientIfaces: string, clientExtra = '') => `
name: arp-source
hosts:
  client:
    interfaces:
${clientIfaces}
${clientExtra}
  router:
    interfaces:
      eth0: { addr: [10.0.1.1/24] }
    listen: [ udp:53 ]
links:
  - [client:eth0, router:eth0]
`;

describe('ARP requests (arp_solicit, arp_announce 0)', () => {
  // Measured on Linux 6.18: "Who has 10.0.1.1? Tell 127.0.0.1", three times, unanswered; the neighbour FAILED.
  it('announce a loopback source that route_localnet let out, and the peer does not answer it', () => {
    const lab = labFrom(pair('      eth0: { addr: [10.0.1.2/24, 10.0.1.3/24] }', '    sysctl: { net.ipv4.conf.all.route_localnet: 1 }'));
    expect(lab.exec('client', 'iptables -t nat -I OUTPUT -j NETMAP --to 10.0.1.0/24').exitCode).toBe(0);
    const asks = arpAsks(lab, 'client');
    const r = probe(lab, 'send', 'client', '127.0.0.1:53');
    while (lab.scheduler.step());
    expect(r.result).toBe('timeout');
    expect(r.trace!.steps.some((s) => 'node' in s && s.node === 'router')).toBe(false);
    expect(asks).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
    expect(lab.node('client')!.neighbours.list()).toEqual([]);
  });

  it("announce the packet's source when it is an address of another device", () => {
    const lab = labFrom(pair('      eth0: { addr: [10.0.1.2/24] }\n      eth1: { kind: dummy, addr: [192.168.5.1/24] }'));
    const asks = arpAsks(lab, 'client');
    expect(probe(lab, 'send', 'client', '10.0.1.1:53', { src: '192.168.5.1' }).result).toBe('timeout');
    expect(asks[0]).toBe('192.168.5.1');
    // The router answered (rp_filter 0) and learnt the asker on eth0; its answer has no route back.
    expect(lab.node('router')!.neighbours.list()).toContain(
      `192.168.5.1 dev eth0 lladdr ${lab.node('client')!.dev('eth0')!.mac} REACHABLE`,
    );
  });

  it('otherwise announce the primary address of the subnet of the target (a forwarded packet)', () => {
    const lab = labFrom(`
name: arp-forward
hosts:
  client:
    interfaces: { eth0: { addr: 10.0.1.2/24 } }
    routes: [ default via 10.0.1.1 ]
  router:
    sysctl: { net.ipv4.ip_forward: 1 }
    interfaces:
      eth0: { addr: 10.0.1.1/24 }
      eth1: { addr: [192.168.9.1/24, 10.0.2.1/24] }
  server:
    interfaces: { eth0: { addr: 10.0.2.2/24 } }
    routes: [ default via 10.0.2.1 ]
    listen: [ udp:53 ]
links:
  - [client:eth0, router:eth0]
  - [router:eth1, server:eth0]
`);
    const asks = arpAsks(lab, 'router');
    expect(probe(lab, 'send', 'client', '10.0.2.2:53').result).toBe('delivered');
    expect(asks[0]).toBe('10.0.2.1');
  });
});
