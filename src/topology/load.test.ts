import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatCidr, formatIpv4 } from '../packet/ipv4.js';
import { loadTopologyFile } from './load.js';
import type { Topology } from './model.js';
import { errors, FIXTURES, load } from './testing/testkit.js';

function spec(): Topology {
  const r = loadTopologyFile(resolve(FIXTURES, 'docker-port-mapping.yaml'));
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

describe('the docker port mapping example', () => {
  test('nodes in file order, each host then its namespaces', () => {
    const t = spec();
    expect(t.name).toBe('docker-port-mapping');
    expect(t.description).toBe('A client reaches a container through a published port.');
    expect(t.file).toBe(resolve(FIXTURES, 'docker-port-mapping.yaml'));
    expect(t.nodes.map((n) => [n.name, n.host])).toEqual([
      ['client', 'client'],
      ['docker-host', 'docker-host'],
      ['docker-host/web', 'docker-host'],
    ]);
    expect(t.nodes.map((n) => n.pos.line)).toEqual([4, 9, 29]);
  });

  test('interfaces: addresses, kinds, masters, mtu, generated MACs', () => {
    const host = spec().nodes[1];
    const ifs = host.interfaces.map((i) => ({
      name: i.name,
      kind: i.kind,
      addrs: i.addrs.map((a) => `${formatIpv4(a.addr)} ${formatCidr(a.cidr)}`),
      master: i.master,
      mtu: i.mtu,
    }));
    expect(ifs).toEqual([
      { name: 'eth0', kind: 'veth', addrs: ['198.51.100.1 198.51.100.0/24'], master: null, mtu: 1500 },
      { name: 'docker0', kind: 'bridge', addrs: ['172.17.0.1 172.17.0.0/16'], master: null, mtu: 1500 },
      { name: 'veth-web', kind: 'veth', addrs: [], master: 'docker0', mtu: 1500 },
    ]);
    for (const i of host.interfaces) expect(i.mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    const macs = spec().nodes.flatMap((n) => n.interfaces.map((i) => i.mac));
    expect(new Set(macs).size).toBe(macs.length);
    expect(spec().nodes[1].interfaces[0].mac).toBe(host.interfaces[0].mac);
  });

  test('routes, sysctl, listen keep their text and positions', () => {
    const [client, host, web] = spec().nodes;
    expect(client.routes).toEqual([
      { text: 'default via 198.51.100.1', pos: { file: expect.stringMatching(/docker-port-mapping\.yaml$/), line: 8, col: 9 } },
    ]);
    expect(host.sysctl.get('net.ipv4.ip_forward')).toMatchObject({ value: '1', pos: { line: 11, col: 7 } });
    expect(web.listen).toEqual([
      { proto: 'tcp', port: 80, uid: 0, addr: 0, app: 'echo', source: null, pos: expect.objectContaining({ line: 35, col: 13 }) },
    ]);
    expect(web.routes.map((r) => r.text)).toEqual(['default via 172.17.0.1']);
  });

  test('iptables text maps back to its YAML lines', () => {
    const ipt = spec().nodes[1].iptables!;
    const lines = ipt.text.split('\n');
    expect(lines[0]).toBe('*nat');
    expect(lines[9]).toBe('-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80');
    // Rules line 10 is the DNAT rule, on line 26 of the file, indented 6.
    expect(10 + ipt.lineOffset).toBe(26);
    expect(ipt.colOffset).toBe(6);
    expect(ipt.pos).toMatchObject({ line: 17, col: 7 });
    expect(ipt.file).toBe(resolve(FIXTURES, 'docker-port-mapping.yaml'));
  });

  test('links in file order with defaults and the given latency', () => {
    const t = spec();
    expect(
      t.links.map((l) => ({
        a: `${l.a.node}:${l.a.iface}`,
        b: `${l.b.node}:${l.b.iface}`,
        latency: l.latency,
        bandwidth: l.bandwidth,
        loss: l.loss,
        mtu: l.mtu,
        line: l.pos.line,
      })),
    ).toEqual([
      { a: 'client:eth0', b: 'docker-host:eth0', latency: 50, bandwidth: 0, loss: 0, mtu: 1500, line: 37 },
      { a: 'docker-host/web:eth0', b: 'docker-host:veth-web', latency: 100, bandwidth: 0, loss: 0, mtu: 1500, line: 38 },
    ]);
  });
});

describe('defaults', () => {
  test('an unlisted link end is created as a veth; an unlinked interface without kind is a dummy', () => {
    const t = load(`
      hosts:
        a:
          interfaces:
            vip: { addr: 10.9.9.9/32 }
        b: {}
      links:
        - [a:eth0, b:eth0]
    `);
    expect(t.nodes[0].interfaces.map((i) => [i.name, i.kind, i.pos.line])).toEqual([
      ['vip', 'dummy', 4],
      ['eth0', 'veth', 7],
    ]);
    expect(t.nodes[1].interfaces.map((i) => [i.name, i.kind])).toEqual([['eth0', 'veth']]);
  });

  test('a link mtu is given to ends without their own; without one, the link takes the smaller end', () => {
    const t = load(`
      hosts:
        a: { interfaces: { e1: { mtu: 9000 }, e2: { mtu: 1400 } } }
        b: {}
      links:
        - { endpoints: [a:e1, b:e1], mtu: 1280 }
        - [a:e2, b:e2]
    `);
    expect(t.nodes[0].interfaces.map((i) => i.mtu)).toEqual([9000, 1400]);
    expect(t.nodes[1].interfaces.map((i) => i.mtu)).toEqual([1280, 1500]);
    expect(t.links.map((l) => l.mtu)).toEqual([1280, 1400]);
  });

  test('link parameters in their units', () => {
    const t = load(`
      hosts: { a: {}, b: {} }
      links:
        - { endpoints: [a:x, b:x], latency: 1ms, bandwidth: 100Mbit, loss: 0.01 }
        - { endpoints: [a:y, b:y], latency: 2.5ms, bandwidth: 10kbit, loss: 1% }
        - { endpoints: [a:z, b:z], latency: 0, bandwidth: 1Gbit }
    `);
    expect(t.links.map((l) => [l.latency, l.bandwidth, l.loss])).toEqual([
      [1000, 100_000_000, 0.01],
      [2500, 10_000, 0.01],
      [0, 1_000_000_000, 0],
    ]);
  });

  test('a given MAC is kept in lower case; name defaults to the file name', () => {
    const t = load(`
      hosts:
        a: { interfaces: { eth0: { mac: 02:AA:bb:00:00:01, addr: [10.0.0.1/24, 10.0.1.1] } } }
    `);
    expect(t.name).toBe('t');
    const i = t.nodes[0].interfaces[0];
    expect(i.mac).toBe('02:aa:bb:00:00:01');
    expect(i.addrs.map((a) => formatCidr(a.cidr) + ' ' + a.cidr.len)).toEqual(['10.0.0.0/24 24', '10.0.1.1/32 32']);
  });

  test('lo may get extra addresses; its implicit 127.0.0.1/8 is not repeated', () => {
    const t = load(`
      hosts:
        a:
          interfaces:
            lo: { addr: [127.0.0.1/8, 127.0.0.6/8] }
          listen:
            - { socket: tcp:15006, app: proxy, source: 127.0.0.6, uid: istio }
          users: { istio: 1337 }
    `);
    const lo = t.nodes[0].interfaces[0];
    expect([lo.name, lo.mtu, lo.addrs.map((a) => formatIpv4(a.addr))]).toEqual(['lo', 65536, ['127.0.0.6']]);
    expect(t.nodes[0].listen[0]).toMatchObject({ port: 15006, app: 'proxy', uid: 1337, source: 0x7f000006 });
  });

  test('namespaces share their host users and groups', () => {
    const t = load(`
      hosts:
        h:
          users: { app: 1000 }
          groups: { java: 2000 }
          namespaces:
            ns1:
              listen: [{ socket: udp:53, uid: app }]
    `);
    expect(t.nodes[1].users.get('app')).toBe(1000);
    expect(t.nodes[1].groups.get('java')).toBe(2000);
    expect(t.nodes[1].listen[0]).toMatchObject({ proto: 'udp', port: 53, uid: 1000 });
  });
});

describe('files', () => {
  test('a missing topology file is one diagnostic without a line', () => {
    const r = loadTopologyFile('/nonexistent/x.yaml');
    expect(r.ok ? [] : r.error).toEqual([{ file: '/nonexistent/x.yaml', message: 'cannot read topology: no such file' }]);
  });

  test('YAML syntax errors carry their position', () => {
    expect(
      errors(`
      hosts:
        a:
          interfaces: { eth0: { addr: 10.0.0.1/24 }
        b: {}
    `),
    ).toEqual([expect.stringMatching(/^\/lab\/t\.yaml:4:\d+: YAML syntax: /)]);
  });

  test('a duplicate key is a syntax error at the key', () => {
    expect(
      errors(`
      hosts:
        a: {}
        a: {}
    `),
    ).toEqual(['/lab/t.yaml:3:3: YAML syntax: Map keys must be unique']);
  });
});
