import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../core/diagnostic.js';
import { loadScenarioText } from './load.js';

const topo = `topology:
  name: inline
  hosts:
    a:
      interfaces: { eth0: { addr: 10.0.0.1/24 } }
    b:
      interfaces: { eth0: { addr: 10.0.0.2/24 } }
      listen: [ tcp:80 ]
  links: [ [a:eth0, b:eth0] ]
`;

function errors(text: string): string[] {
  const r = loadScenarioText(text, 'sc.yaml');
  return r.ok ? [] : r.error.map(formatDiagnostic);
}

describe('scenario files', () => {
  it('loads an inline topology and every kind of step', () => {
    const r = loadScenarioText(
      `${topo}seed: 7
steps:
  - name: reach b
    connect: { from: a, to: 10.0.0.2:80, uid: 1000, timeout: 2s }
    expect: { result: connected, server: b, passes: [ "b filter/INPUT" ] }
  - send: { from: a, to: 10.0.0.2:53 }
  - ping: { from: a, to: 10.0.0.2 }
  - exec: { on: b, cmd: [ "iptables -A INPUT -j DROP", "iptables -S" ] }
    expect: { stdout_contains: "-A INPUT -j DROP" }
  - wait: 500ms
  - expect:
      counters: { node: b, table: filter, chain: INPUT, rule: 1, packets: 0 }
      conntrack: [ { node: b, count: 0 } ]
`,
      'sc.yaml',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.seed).toBe(7);
    expect(r.value.topology.nodes.map((n) => n.name)).toEqual(['a', 'b']);
    expect(r.value.steps.map((s) => s.kind)).toEqual(['connect', 'send', 'ping', 'exec', 'wait', 'expect']);
    const c = r.value.steps[0];
    expect(c.kind === 'connect' && [c.uid, c.timeout, c.port, c.expect?.passes[0].rule]).toEqual([1000, 2_000_000, 80, null]);
  });

  it('reports every mistake at its line and column', () => {
    const out = errors(`${topo}steps:
  - conect: { from: a, to: 10.0.0.2:80 }
  - connect: { from: c, to: 10.0.0.2 }
    expect: { result: reply }
  - ping: { from: a, to: 10.0.0.2 }
    expect: { result: connected }
  - wait: soon
  - expect: { counters: { node: b, table: filter } }
`);
    expect(out).toEqual([
      expect.stringMatching(/^sc\.yaml:11:5: unknown key "conect" in step 1 \(did you mean "connect"\?\)/),
      expect.stringMatching(/^sc\.yaml:11:5: step 1 must have one of/),
      expect.stringMatching(/^sc\.yaml:12:22: no node "c" in the topology/),
      expect.stringMatching(/^sc\.yaml:12:29: `connect` needs IP:PORT/),
      expect.stringMatching(/^sc\.yaml:13:23: `result` of `connect` is one of: connected, refused/),
      expect.stringMatching(/^sc\.yaml:15:23: `result` of `ping` is one of: reply, timeout/),
      expect.stringMatching(/^sc\.yaml:16:11: `wait` takes a duration/),
      expect.stringMatching(/^sc\.yaml:17:25: a `counters` item needs `chain`/),
    ]);
  });

  it('reads background exec steps and their cost bounds, and says what is wrong with them', () => {
    const ok = loadScenarioText(
      `${topo}steps:
  - exec: { on: b, cmd: "iptables -A INPUT -j DROP", background: true }
    expect: { cost_under: 2s, cost_over: 100us }
`,
      'sc.yaml',
    );
    expect(ok.ok).toBe(true);
    if (ok.ok)
      expect(ok.value.steps[0]).toMatchObject({ kind: 'exec', background: true, expect: { cost_under: 2_000_000, cost_over: 100 } });
    expect(
      errors(`${topo}steps:
  - exec: { on: b, cmd: "iptables -F", background: yes please }
    expect: { cost_under: fast }
`),
    ).toEqual([
      expect.stringMatching(/^sc\.yaml:11:52: `background` is true or false/),
      expect.stringMatching(/^sc\.yaml:12:27: `cost_under` takes a duration/),
    ]);
  });

  it('names a missing topology file and a YAML syntax error precisely', () => {
    expect(errors('topology: ./nope.yaml\nsteps: []\n')[0]).toMatch(/nope\.yaml/);
    expect(errors('steps: [ {\n')[0]).toMatch(/^sc\.yaml:\d+:\d+: /);
  });
});
