import { describe, expect, it } from 'vitest';
import { labFrom, probe } from './testing/labs.js';

const lab = () =>
  labFrom(`
name: route-error-limit
hosts:
  client:
    interfaces: { eth0: { addr: [10.0.1.2/24, 10.0.1.3/24] } }
    routes: [ default via 10.0.1.1 ]
  router:
    sysctl: { net.ipv4.ip_forward: 1 }
    interfaces: { eth0: { addr: 10.0.1.1/24 } }
links: [ [client:eth0, router:eth0] ]
`);

describe("ip_error's rate limit (a router's ICMP for what it cannot route)", () => {
  // Measured on Linux 6.18 with icmp_ratemask=0 (icmp_send unlimited): datagrams to an unroutable
  // address 100 ms apart got 5 net-unreachables, then none, then one again 1.2 s later.
  it('answers a burst of five from one source, then one a second', () => {
    const l = lab();
    const send = (timeoutUs: number, src?: string) =>
      probe(l, 'send', 'client', '192.0.2.9:53', { timeoutUs, ...(src ? { src } : {}) }).result;
    const burst = Array.from({ length: 5 }, () => send(100_000));
    expect(burst).toEqual(['unreachable', 'unreachable', 'unreachable', 'unreachable', 'unreachable']);
    expect(send(100_000)).toBe('timeout');
    // Another source has a bucket of its own.
    expect(send(100_000, '10.0.1.3')).toBe('unreachable');
    // Under a second of credit now; 1.2 s later there is a whole token again.
    expect(send(1_200_000)).toBe('timeout');
    expect(send(100_000)).toBe('unreachable');
    expect(send(100_000)).toBe('timeout');
  });
});
