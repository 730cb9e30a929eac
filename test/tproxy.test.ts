/** TPROXY: a router intercepts forwarded connections for a local transparent listener, with the policy route that goes with it. */
import { describe, expect, it } from 'vitest';
import { labFrom, probe } from '../src/lab/testing/labs.js';

const lab = (withPolicyRoute: boolean) =>
  labFrom(`
name: tproxy
hosts:
  client:
    interfaces: { eth0: { addr: 10.0.0.2/24 } }
    routes: [ default via 10.0.0.1 ]
  router:
    sysctl: { net.ipv4.ip_forward: 1 }
    interfaces:
      eth0: { addr: 10.0.0.1/24 }
      eth1: { addr: 192.0.2.1/24 }
    routes:
${withPolicyRoute ? '      - local 0.0.0.0/0 dev lo table 100' : '      - 203.0.113.0/24 via 192.0.2.2'}
    ip_rules:
${withPolicyRoute ? '      - fwmark 0x1/0x1 lookup 100' : '      - from all lookup main priority 100'}
    iptables: |
      *mangle
      :PREROUTING ACCEPT [0:0]
      -A PREROUTING -p tcp -m tcp --dport 80 -j TPROXY --on-port 15001 --on-ip 0.0.0.0 --tproxy-mark 0x1/0x1
      COMMIT
    listen: [ tcp:15001 ]
  server:
    interfaces: { eth0: { addr: 192.0.2.2/24 } }
links: [ [client:eth0, router:eth0], [router:eth1, server:eth0] ]
`);

describe('TPROXY', () => {
  it('hands a forwarded connection to the local listener, which sees the original destination as its own address', () => {
    const r = probe(lab(true), 'connect', 'client', '203.0.113.5:80');
    expect(r.result).toBe('connected');
    expect(r.server).toBe('router');
    expect(r.answer).toContain('local=203.0.113.5:80');
    expect(r.trace!.steps.some((s) => 'hook' in s && s.table === 'mangle' && s.target === 'TPROXY')).toBe(true);
  });

  it('without the policy route the marked packet is simply forwarded, as on Linux', () => {
    const r = probe(lab(false), 'connect', 'client', '203.0.113.5:80');
    expect(r.server).not.toBe('router');
    expect(r.trace!.steps.some((s) => 'link' in s && s.link.from === 'router:eth1')).toBe(true);
  });
});
