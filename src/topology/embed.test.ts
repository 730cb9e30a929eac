import { resolve } from 'node:path';
import { LineCounter, parseDocument, type Node as YamlNode, type YAMLMap } from 'yaml';
import { describe, expect, test } from 'vitest';
import { formatDiagnostic } from '../core/diagnostic.js';
import { loadTopologyFile, loadTopologyFromYaml } from './load.js';
import { topologyToJson } from './to-json.js';
import { FIXTURES, load, yaml } from './testing/testkit.js';

describe('iptables from a file', () => {
  test('the rules file is read relative to the topology, positions are in the rules file', () => {
    const r = loadTopologyFile(resolve(FIXTURES, 'with-rules-file.yaml'));
    if (!r.ok) throw new Error(r.error.map(formatDiagnostic).join('\n'));
    const web = r.value.nodes[0];
    const rules = resolve(FIXTURES, 'web.rules');
    expect(web.iptables).toEqual({
      text: expect.stringContaining('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT'),
      pos: { file: rules, line: 1, col: 1 },
      file: rules,
      lineOffset: 0,
      colOffset: 0,
      counters: false,
    });
    expect(web.iptables!.text.split('\n')[0]).toBe('*filter');
    expect(web.iptablesCmds.map((c) => [c.text, c.pos.line, c.pos.col])).toEqual([
      ['iptables -t nat -N EXTRA', 8, 9],
      ['iptables -A INPUT -p udp --dport 53 -j ACCEPT', 9, 9],
    ]);
  });

  test('a block with leading blank lines and deeper indentation still maps lines', () => {
    const t = load(`
      hosts:
        a:
          iptables: |

              *filter
              COMMIT
    `);
    const ipt = t.nodes[0].iptables!;
    expect(ipt.text).toBe('\n*filter\nCOMMIT\n');
    // Text line 2 (*filter) is file line 5, at column 9.
    expect(2 + ipt.lineOffset).toBe(5);
    expect(ipt.colOffset).toBe(8);
  });
});

describe('a topology embedded in a larger document', () => {
  const text = yaml(`
    seed: 7
    topology:
      hosts:
        a:
          interfaces: { eth0: { addr: 10.0.0.1/24 } }
          iptables: |
            *filter
            COMMIT
        b: {}
      links:
        - [a:eth0, b:eth0]
    steps: []
  `);

  function embedded(src: string) {
    const lines = new LineCounter();
    const doc = parseDocument(src, { lineCounter: lines });
    const node = (doc.contents as YAMLMap).get('topology', true) as YamlNode;
    return loadTopologyFromYaml(doc, node, '/lab/scenario.yaml', '/lab', lines);
  }

  test('loads, with positions in the enclosing file', () => {
    const r = embedded(text);
    if (!r.ok) throw new Error(r.error.map(formatDiagnostic).join('\n'));
    expect(r.value.file).toBe('/lab/scenario.yaml');
    expect(r.value.nodes.map((n) => [n.name, n.pos.line, n.pos.col])).toEqual([
      ['a', 4, 5],
      ['b', 9, 5],
    ]);
    expect(r.value.nodes[0].iptables).toMatchObject({ file: '/lab/scenario.yaml', lineOffset: 6, colOffset: 8 });
    expect(r.value.links[0].pos).toEqual({ file: '/lab/scenario.yaml', line: 11, col: 7 });
  });

  test('diagnostics point into the enclosing file', () => {
    const r = embedded(text.replace('b: {}', 'b: { interfaces: { eth0: { addr: 10.0.0.1/99 } } }'));
    expect(r.ok ? [] : r.error.map(formatDiagnostic)).toEqual([
      '/lab/scenario.yaml:9:38: address of interface b:eth0 must be an IPv4 address with its prefix length, such as 10.0.0.1/24, not "10.0.0.1/99"',
    ]);
  });
});

describe('topologyToJson', () => {
  test('plain JSON with dotted addresses, lo first, links as NODE:IF', () => {
    const r = loadTopologyFile(resolve(FIXTURES, 'docker-port-mapping.yaml'));
    if (!r.ok) throw new Error('load failed');
    const j = topologyToJson(r.value);
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
    expect(j.nodes.map((n) => n.name)).toEqual(['client', 'docker-host', 'docker-host/web']);
    const host = j.nodes[1];
    expect(host.interfaces.map((i) => [i.name, i.kind, i.addrs, i.master])).toEqual([
      ['lo', 'loopback', ['127.0.0.1/8'], null],
      ['eth0', 'veth', ['198.51.100.1/24'], null],
      ['docker0', 'bridge', ['172.17.0.1/16'], null],
      ['veth-web', 'veth', [], 'docker0'],
    ]);
    expect(Object.keys(host)).toEqual(['name', 'host', 'interfaces', 'routes', 'listen']);
    expect(j.nodes[2].listen).toEqual([{ socket: 'tcp:80', addr: '0.0.0.0', uid: 0, app: 'echo' }]);
    expect(j.links[1]).toEqual({
      a: 'docker-host/web:eth0',
      b: 'docker-host:veth-web',
      latency_us: 100,
      bandwidth_bps: 0,
      loss: 0,
      mtu: 1500,
    });
  });

  test('the same file gives the same string', () => {
    const a = loadTopologyFile(resolve(FIXTURES, 'docker-port-mapping.yaml'));
    const b = loadTopologyFile(resolve(FIXTURES, 'docker-port-mapping.yaml'));
    if (!a.ok || !b.ok) throw new Error('load failed');
    expect(JSON.stringify(topologyToJson(a.value))).toBe(JSON.stringify(topologyToJson(b.value)));
  });
});
