/** Exec steps under modelled rule-update timing: background changes are judged when they take effect. */
import { describe, expect, it } from 'vitest';
import { loadScenarioText } from './load.js';
import { runScenario } from './runner.js';

const scenario = (steps: string) => `topology:
  rule_updates: { backend: legacy, timing: modelled }
  hosts:
    a:
      interfaces: { eth0: { addr: 10.0.0.1/24 } }
      iptables: |
        *filter
        :INPUT ACCEPT [0:0]
${Array.from({ length: 3000 }, (_, i) => `        -A INPUT -s 192.0.2.${i % 250}/32 -p udp -m udp --dport ${1000 + i} -j RETURN`).join('\n')}
        COMMIT
    b:
      interfaces: { eth0: { addr: 10.0.0.2/24 } }
      listen: [ tcp:80 ]
  links: [ [a:eth0, b:eth0] ]
steps:
${steps}`;

function run(steps: string) {
  const sc = loadScenarioText(scenario(steps), 'sc.yaml');
  if (!sc.ok) throw new Error(sc.error.map((d) => d.message).join('\n'));
  return runScenario(sc.value);
}

describe('exec steps and rule-update time', () => {
  it('a foreground change returns once it took effect; a background one lets the next steps run first', () => {
    const r = run(`  - exec: { on: a, cmd: "iptables -A OUTPUT -p tcp -j DROP" }
  - exec: { on: a, cmd: "iptables -D OUTPUT 1", background: true }
  - connect: { from: a, to: 10.0.0.2:80, timeout: 50ms }
    expect: { result: timeout }
  - wait: 2s
  - connect: { from: a, to: 10.0.0.2:80 }
    expect: { result: connected }
`);
    expect(r.steps.map((s) => s.failures)).toEqual([[], [], [], [], []]);
    const [first, second] = r.steps;
    const u1 = first.output![0].update!;
    expect(u1.backend).toBe('legacy');
    expect(first.at_us).toBe(u1.commit_us);
    expect(u1.cost_us).toBeGreaterThan(10_000);
    // The background delete started when the step ran and committed later, after the dropped probe.
    const u2 = second.output![0].update!;
    expect(u2.start_us).toBe(second.at_us);
    expect(r.steps[2].at_us).toBeLessThan(u2.commit_us);
    expect(r.passed).toBe(true);
  });

  it("runs a step's commands one after another, so a listing sees the change before it", () => {
    const r = run(`  - exec: { on: a, cmd: [ "iptables -A OUTPUT -j ACCEPT", "iptables -S OUTPUT" ] }
    expect: { stdout: "-P OUTPUT ACCEPT\\n-A OUTPUT -j ACCEPT\\n" }
`);
    expect(r.steps[0].failures).toEqual([]);
    expect(r.steps[0].output!.map((o) => o.cmd)).toEqual(['iptables -A OUTPUT -j ACCEPT', 'iptables -S OUTPUT']);
  });

  it('a background command that fails, or costs outside its bounds, fails its own step', () => {
    const r = run(`  - exec: { on: a, cmd: "iptables -D OUTPUT 7", background: true }
  - exec: { on: a, cmd: "iptables -A INPUT -j ACCEPT" }
    expect: { cost_under: 1ms }
  - exec: { on: a, cmd: "iptables -A INPUT -j ACCEPT" }
    expect: { cost_over: 10s }
`);
    expect(r.passed).toBe(false);
    expect(r.steps[0].failures).toEqual([
      { expected: '`iptables -D OUTPUT 7` exits 0', seen: 'exit 1: iptables: No chain/target/match by that name.' },
    ]);
    expect(r.steps[1].failures[0].expected).toBe('rule changes costing under 1.0 ms');
    expect(r.steps[2].failures[0].expected).toBe('rule changes costing over 10.00 s');
  });
});
