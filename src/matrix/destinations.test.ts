/** `--to auto` on small nat tables: which jump paths give which destinations. */
import { describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.js';
import { join } from 'node:path';
import { loadTopologyFile } from '../topology/load.js';
import { load } from '../topology/testing/testkit.js';
import { autoDestinations, destinationText, type Proto } from './destinations.js';
import { decidingStep, runCell } from './cell.js';

function auto(nat: string, proto: Proto = 'tcp', listen = ''): string[] {
  const topo = load(`
    name: t
    hosts:
      gw:
        interfaces:
          eth0: { addr: 10.0.0.1/24 }
          eth1: { addr: [192.168.1.1/24, 192.168.2.1/24] }
        ${listen}
        iptables: |
          *nat
          :PREROUTING ACCEPT [0:0]
          :INPUT ACCEPT [0:0]
          :OUTPUT ACCEPT [0:0]
          :POSTROUTING ACCEPT [0:0]
          :SVC - [0:0]
          :EP - [0:0]
${nat
  .trim()
  .split('\n')
  .map((l) => `          ${l.trim()}`)
  .join('\n')}
          COMMIT
  `);
  const built = Lab.build(topo, { seed: 1, record: false });
  if (!built.ok) throw new Error(built.error[0].message);
  return autoDestinations(built.value, topo, proto).map((d) => `${destinationText(d)} ${d.why}`);
}

describe('--to auto', () => {
  it('combines -d and --dport along the jump path, whichever rule carries them', () => {
    expect(
      auto(`
        -A PREROUTING -d 10.96.0.1/32 -j SVC
        -A SVC -p tcp -m tcp --dport 80 -j EP
        -A EP -p tcp -j DNAT --to-destination 10.0.0.9:8080
      `),
    ).toEqual(['10.96.0.1:80 DNAT gw PREROUTING']);
  });

  it('takes a rule with no -d to every address of its node, and a REDIRECT with no --dport to its own port', () => {
    expect(
      auto(`
        -A PREROUTING -p tcp -m tcp --dport 30080 -j EP
        -A OUTPUT -p tcp -j REDIRECT --to-ports 15001
        -A EP -j DNAT --to-destination 10.0.0.9
      `),
    ).toEqual([
      '10.0.0.1:15001 REDIRECT gw OUTPUT',
      '10.0.0.1:30080 DNAT gw PREROUTING',
      '192.168.1.1:15001 REDIRECT gw OUTPUT',
      '192.168.1.1:30080 DNAT gw PREROUTING',
      '192.168.2.1:15001 REDIRECT gw OUTPUT',
      '192.168.2.1:30080 DNAT gw PREROUTING',
    ]);
  });

  it('keeps only the node addresses a -d network allows, and skips paths that cannot match', () => {
    expect(
      auto(`
        -A PREROUTING -d 192.168.0.0/16 -p tcp -m tcp --dport 443 -j EP
        -A PREROUTING ! -d 192.168.1.0/24 -p tcp -m tcp --dport 444 -j EP
        -A PREROUTING -p tcp -m tcp --dport 81 -j SVC
        -A SVC -p tcp -m tcp --dport 82 -j EP
        -A EP -j DNAT --to-destination 10.0.0.9
      `),
    ).toEqual([
      '10.0.0.1:444 DNAT gw PREROUTING',
      '192.168.1.1:443 DNAT gw PREROUTING',
      '192.168.2.1:443 DNAT gw PREROUTING',
      '192.168.2.1:444 DNAT gw PREROUTING',
    ]);
  });

  it('keeps to the protocol asked for, and adds listening sockets on their addresses', () => {
    const nat = `-A PREROUTING -d 10.96.0.2/32 -p udp -m udp --dport 53 -j DNAT --to-destination 10.0.0.9`;
    const listen = 'listen: [ tcp:22, { socket: udp:5353, addr: 192.168.2.1 } ]';
    expect(auto(nat, 'tcp', listen)).toEqual(['10.0.0.1:22 listen gw', '192.168.1.1:22 listen gw', '192.168.2.1:22 listen gw']);
    expect(auto(nat, 'udp', listen)).toEqual(['10.96.0.2:53 DNAT gw PREROUTING', '192.168.2.1:5353 listen gw']);
  });
});

describe('--to auto with -m multiport', () => {
  it('probes every listed port and both ends of each range', () => {
    expect(auto(`-A PREROUTING -d 10.96.0.3/32 -p tcp -m multiport --dports 80,443,8000:8100 -j DNAT --to-destination 10.0.0.9`)).toEqual([
      '10.96.0.3:80 DNAT gw PREROUTING',
      '10.96.0.3:443 DNAT gw PREROUTING',
      '10.96.0.3:8000 DNAT gw PREROUTING',
      '10.96.0.3:8100 DNAT gw PREROUTING',
    ]);
  });

  it('keeps only the ports every rule on the path allows, and no port an inverted list names', () => {
    expect(
      auto(`
        -A PREROUTING -d 10.96.0.4/32 -p tcp -m multiport --dports 80,443 -j SVC
        -A PREROUTING -d 10.96.0.5/32 -p tcp -m multiport --dports 80,443 -j EP
        -A PREROUTING -d 10.96.0.6/32 -p tcp -m multiport ! --dports 80,443 -j EP
        -A SVC -p tcp -m tcp --dport 443 -j EP
        -A SVC -p tcp -m tcp --dport 22 -j EP
        -A EP -p tcp -j DNAT --to-destination 10.0.0.9:8443
      `),
    ).toEqual([
      '10.96.0.4:443 DNAT gw PREROUTING',
      '10.96.0.5:80 DNAT gw PREROUTING',
      '10.96.0.5:443 DNAT gw PREROUTING',
      '10.96.0.6:8443 DNAT gw PREROUTING',
    ]);
  });
});

function nftAuto(nft: string, proto: Proto = 'tcp'): string[] {
  const topo = load(`
    name: t
    hosts:
      gw:
        interfaces:
          eth0: { addr: 10.0.0.1/24 }
          eth1: { addr: 192.168.1.1/24 }
        nftables: |
${nft
  .trim()
  .split('\n')
  .map((l) => `          ${l.trim()}`)
  .join('\n')}
  `);
  const built = Lab.build(topo, { seed: 1, record: false });
  if (!built.ok) throw new Error(built.error[0].message);
  return autoDestinations(built.value, topo, proto).map((d) => `${destinationText(d)} ${d.why}`);
}

describe('--to auto with nftables', () => {
  it("reads kube-proxy's nftables mode: ClusterIPs from the service-ips vmap, NodePorts on the nodeport-ips addresses", () => {
    const r = loadTopologyFile(join(import.meta.dirname, '..', '..', 'topologies', 'kube-proxy-nftables.yaml'));
    if (!r.ok) throw new Error(r.error[0].message);
    const built = Lab.build(r.value, { seed: 1, record: false });
    if (!built.ok) throw new Error(built.error[0].message);
    const got = autoDestinations(built.value, r.value, 'tcp').map((d) => `${destinationText(d)} ${d.why}`);
    expect(got).toEqual([
      '10.180.0.2:80 listen node/pod-a',
      '10.180.0.3:80 listen node/pod-b',
      ...Array.from({ length: 12 }, (_, i) => `172.30.0.${10 + i}:80 dnat node services`),
      '192.168.0.2:30000 dnat node services',
      '192.168.0.2:30001 dnat node services',
    ]);
    expect(autoDestinations(built.value, r.value, 'udp')).toEqual([]);
  });

  it('combines matches and jumps along the path; a redirect with no port match gives the port it leads to', () => {
    expect(
      nftAuto(`
        table ip t {
          chain pre {
            type nat hook prerouting priority dstnat; policy accept;
            ip daddr 10.96.0.7 jump svc
            tcp dport { 8080, 8443 } dnat to 10.0.0.9
            ip daddr 10.96.0.8 udp dport 53 dnat to 10.0.0.9
          }
          chain svc {
            tcp dport 80 goto ep
            tcp dport 81 ip daddr 10.96.0.9 goto ep
          }
          chain ep {
            meta l4proto tcp dnat to 10.0.0.9:8080
          }
          chain out {
            type nat hook output priority -100; policy accept;
            meta l4proto tcp redirect to :15001
          }
        }
      `),
    ).toEqual([
      '10.0.0.1:8080 dnat gw pre',
      '10.0.0.1:8443 dnat gw pre',
      '10.0.0.1:15001 redirect gw out',
      '10.96.0.7:80 dnat gw pre',
      '192.168.1.1:8080 dnat gw pre',
      '192.168.1.1:8443 dnat gw pre',
      '192.168.1.1:15001 redirect gw out',
    ]);
  });

  it('keeps to the protocol asked for', () => {
    const nft =
      'table ip t {\n  chain pre {\n    type nat hook prerouting priority dstnat; policy accept;\n    ip daddr 10.96.0.8 udp dport 53 dnat to 10.0.0.9\n  }\n}';
    expect(nftAuto(nft, 'udp')).toEqual(['10.96.0.8:53 dnat gw pre']);
    expect(nftAuto(nft, 'tcp')).toEqual([]);
  });
});

describe('a cell', () => {
  const topo = load(`
    name: t
    hosts:
      a:
        interfaces: { eth0: { addr: 10.0.0.2/24 } }
      b:
        interfaces: { eth0: { addr: 10.0.0.1/24 } }
        listen: [ tcp:80, tcp:81 ]
        iptables: |
          *filter
          :INPUT DROP [0:0]
          :FORWARD ACCEPT [0:0]
          :OUTPUT ACCEPT [0:0]
          -A INPUT -p tcp -m tcp --dport 80 -j ACCEPT
          -A INPUT -p tcp -m tcp --dport 82 -j REJECT --reject-with tcp-reset
          COMMIT
    links:
      - [a:eth0, b:eth0]
  `);

  it('names the policy, the REJECT rule, or nothing, as the first packet met them', () => {
    const at = (to: string) => runCell(topo, 1, { from: 'a', to, proto: 'tcp' });
    expect(at('10.0.0.1:80')).toMatchObject({
      result: 'connected',
      server: 'b',
      server_sees: expect.stringMatching(/^10\.0\.0\.2:/),
      decided_by: null,
    });
    expect(at('10.0.0.1:81')).toMatchObject({
      result: 'timeout',
      decided_by: { node: 'b', hook: 'INPUT', table: 'filter', chain: 'INPUT', rule: null, policy: true, verdict: 'DROP' },
    });
    expect(at('10.0.0.1:82')).toMatchObject({ result: 'refused', decided_by: { chain: 'INPUT', rule: 2, target: 'REJECT' } });
    expect(decidingStep(null)).toBeNull();
  });

  it('gives the same cell for the same seed, whatever ran before it', () => {
    const first = runCell(topo, 7, { from: 'a', to: '10.0.0.1:80', proto: 'tcp' });
    runCell(topo, 7, { from: 'a', to: '10.0.0.1:81', proto: 'tcp' });
    expect(runCell(topo, 7, { from: 'a', to: '10.0.0.1:80', proto: 'tcp' })).toEqual(first);
  });
});
