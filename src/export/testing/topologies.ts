/**
 * Hand-built topologies for the export and kernel-harness tests, so they do not
 * depend on the YAML loader. `dockerPortMapping` is the bundled default lab
 * (topologies/docker-port-mapping.yaml): a client, a Docker host publishing port 8080, and a container.
 */
import { makeCidr, parseIpv4 } from '../../packet/ipv4.js';
import { emptyNodeSpec, type InterfaceSpec, type ListenSpec, type NodeSpec, type Topology } from '../../topology/model.js';

const pos = { file: '<fixture>', line: 1, col: 1 };

function ip(text: string): number {
  const a = parseIpv4(text);
  if (a === null) throw new Error(`bad fixture address ${text}`);
  return a;
}

export function iface(name: string, addr: string | null, extra: Partial<InterfaceSpec> = {}): InterfaceSpec {
  const addrs = addr === null ? [] : [{ addr: ip(addr.split('/')[0]), cidr: makeCidr(ip(addr.split('/')[0]), Number(addr.split('/')[1])) }];
  return { name, kind: 'veth', addrs, master: null, mtu: 1500, mac: '', pos, ...extra };
}

export function listen(proto: 'tcp' | 'udp', port: number, extra: Partial<ListenSpec> = {}): ListenSpec {
  return { proto, port, uid: 0, addr: 0, app: 'echo', source: null, pos, ...extra };
}

export function node(name: string, extra: Partial<NodeSpec> = {}): NodeSpec {
  const slash = name.indexOf('/');
  return { ...emptyNodeSpec(name, slash < 0 ? name : name.slice(0, slash), pos), ...extra };
}

export const DOCKER_NAT = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A DOCKER -i docker0 -j RETURN
-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
COMMIT
`;

export function dockerPortMapping(): Topology {
  const link = (a: string, ai: string, b: string, bi: string) => ({
    a: { node: a, iface: ai },
    b: { node: b, iface: bi },
    latency: 50,
    bandwidth: 0,
    loss: 0,
    mtu: 1500,
    pos,
  });
  return {
    name: 'docker-port-mapping',
    description: 'A client reaches a container through a published port.',
    file: '<fixture>',
    nodes: [
      node('client', {
        interfaces: [iface('eth0', '198.51.100.10/24')],
        routes: [{ text: 'default via 198.51.100.1', pos }],
      }),
      node('docker-host', {
        sysctl: new Map([['net.ipv4.ip_forward', { value: '1', pos }]]),
        interfaces: [
          iface('eth0', '198.51.100.1/24'),
          iface('docker0', '172.17.0.1/16', { kind: 'bridge' }),
          iface('veth-web', null, { master: 'docker0' }),
        ],
        iptables: { text: DOCKER_NAT, pos, file: '<fixture>', lineOffset: 0 },
      }),
      node('docker-host/web', {
        interfaces: [iface('eth0', '172.17.0.2/16')],
        routes: [{ text: 'default via 172.17.0.1', pos }],
        listen: [listen('tcp', 80), listen('udp', 53)],
      }),
    ],
    links: [link('client', 'eth0', 'docker-host', 'eth0'), link('docker-host/web', 'eth0', 'docker-host', 'veth-web')],
  };
}
