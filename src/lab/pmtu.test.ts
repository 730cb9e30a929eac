import { describe, expect, it } from 'vitest';
import { labFrom, probe } from './testing/labs.js';
import type { Lab } from './lab.js';

/** client — router — server, the router's far link with a smaller MTU. */
const lab = () =>
  labFrom(`
name: pmtu
hosts:
  client:
    interfaces: { eth0: { addr: 10.0.1.2/24 } }
    routes: [ default via 10.0.1.1 ]
  router:
    sysctl: { net.ipv4.ip_forward: 1 }
    interfaces:
      eth0: { addr: 10.0.1.1/24 }
      eth1: { addr: 10.0.2.1/24, mtu: 1200 }
  server:
    interfaces: { eth0: { addr: 10.0.2.2/24, mtu: 1200 } }
    routes: [ default via 10.0.2.1 ]
    listen: [ udp:53 ]
links:
  - [client:eth0, router:eth0]
  - [router:eth1, server:eth0]
`);

/** The DF bit of every IPv4 packet `node` sends to `dst`. */
function dfBits(l: Lab, node: string): boolean[] {
  const out: boolean[] = [];
  l.setTap((n, _dev, dir, f) => {
    if (n === node && dir === 'out' && f.type === 'ipv4') out.push(f.ip.df);
  });
  return out;
}

describe('DF on datagrams a socket sends (IP_PMTUDISC_WANT)', () => {
  // Linux sets DF on a datagram that fits the route's MTU and fragments a longer one at the source,
  // without DF (measured on 6.18: a 2000-byte UDP datagram crosses a router as two fragments and is
  // answered). nflab sends it whole; a router must still forward it rather than answer frag-needed.
  it('leaves DF off a datagram longer than its route MTU, so routers forward it', () => {
    const l = lab();
    const df = dfBits(l, 'client');
    const r = probe(l, 'send', 'client', '10.0.2.2:53', { line: 'x'.repeat(2000) });
    expect(r.result).toBe('delivered');
    expect(df[0]).toBe(false);
  });

  it('sets DF on one that fits its route, and a router on a smaller link answers fragmentation-needed', () => {
    const l = lab();
    const df = dfBits(l, 'client');
    const r = probe(l, 'send', 'client', '10.0.2.2:53', { line: 'x'.repeat(1400) });
    expect(df[0]).toBe(true);
    expect(r.trace!.steps.some((s) => 'drop' in s && s.drop.reason === 'fragmentation needed')).toBe(true);
  });
});
