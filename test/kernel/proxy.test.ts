/**
 * An Istio-like inbound sidecar built for real: the exported transparent proxy
 * reads SO_ORIGINAL_DST, runs as its own uid and binds 127.0.0.6 upstream; and a
 * lab that cannot be built fails clearly and leaves nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iface, listen, node } from '../../src/export/testing/topologies.js';
import type { Topology } from '../../src/topology/model.js';
import { KernelLab, kernelAvailable, namespacesWithPrefix } from './harness.js';

const pos = { file: '<test>', line: 1, col: 1 };
const NAT = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:ISTIO_INBOUND - [0:0]
:ISTIO_IN_REDIRECT - [0:0]
:ISTIO_OUTPUT - [0:0]
-A PREROUTING -p tcp -j ISTIO_INBOUND
-A OUTPUT -p tcp -j ISTIO_OUTPUT
-A ISTIO_INBOUND -p tcp -m tcp --dport 15006 -j RETURN
-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT
-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006
-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN
-A ISTIO_OUTPUT -m owner --uid-owner istio-proxy -j RETURN
COMMIT
`;

function sidecar(route = 'default via 10.0.0.1'): Topology {
  return {
    name: 'sidecar',
    description: '',
    file: '<test>',
    nodes: [
      node('client', { interfaces: [iface('eth0', '10.0.0.1/24')] }),
      node('pod', {
        interfaces: [iface('eth0', '10.0.0.2/24')],
        routes: [{ text: route, pos }],
        users: new Map([['istio-proxy', 1337]]),
        iptables: { text: NAT, pos, file: '<test>', lineOffset: 0 },
        listen: [listen('tcp', 15006, { app: 'proxy', uid: 1337, source: 0x7f000006 }), listen('tcp', 8080, { uid: 1000 })],
      }),
    ],
    links: [{ a: { node: 'client', iface: 'eth0' }, b: { node: 'pod', iface: 'eth0' }, latency: 0, bandwidth: 0, loss: 0, mtu: 1500, pos }],
  };
}

const k = kernelAvailable();

describe.skipIf(!k.ok)(`kernel: transparent proxy (${k.why})`, () => {
  let lab: KernelLab;
  beforeAll(() => {
    lab = KernelLab.up(sidecar());
  });
  afterAll(() => lab?.down());

  it('redirects inbound traffic through the proxy, which reaches the app from 127.0.0.6', () => {
    const a = lab.connect('client', '10.0.0.2', 8080);
    expect(a.result).toBe('connected');
    expect(a.server).toBe('pod');
    expect(a.serverSees?.split(':')[0]).toBe('127.0.0.6');
  });

  it('runs the listeners as their uids (the owner rule was loaded with the number)', () => {
    const ps = lab.exec('pod', ['ps', '-o', 'uid=,args=', '-e']).stdout;
    expect(ps).toMatch(/^\s*1337 .*apps\.py serve pod proxy tcp/m);
    expect(ps).toMatch(/^\s*1000 .*apps\.py serve pod echo tcp/m);
    expect(lab.save('pod', { table: 'nat' })).toContain('-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN');
  });

  it('traces the SYN into the REDIRECT', async () => {
    const t = await lab.trace({ kind: 'connect', from: 'client', ip: '10.0.0.2', port: 8080 });
    const pod = t.steps.filter((s) => s.node === 'pod' && s.table === 'nat');
    expect(pod.map((s) => [s.chain, s.rule, s.verdict, s.target])).toEqual([
      ['PREROUTING', 1, 'JUMP:ISTIO_INBOUND', undefined],
      ['ISTIO_INBOUND', 2, 'JUMP:ISTIO_IN_REDIRECT', undefined],
      ['ISTIO_IN_REDIRECT', 1, 'ACCEPT', 'REDIRECT'],
      ['INPUT', null, 'ACCEPT', undefined],
    ]);
  });
});

describe.skipIf(!k.ok)(`kernel: a lab that cannot be built (${k.why})`, () => {
  it('fails with the script’s message and removes what it built', () => {
    const prefix = `nfk${process.pid}xbad`;
    expect(() => KernelLab.up(sidecar('10.9.9.0/24 via 192.0.2.1'), { prefix })).toThrow(/up failed at line \d+: ip -n .* route add/);
    expect(namespacesWithPrefix(prefix)).toEqual([]);
  });
});
