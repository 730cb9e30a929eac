/**
 * Rule changes are priced with the calibrated model, and in modelled timing take
 * effect only when the kernel would have committed them: packets until then see
 * the old rules, afterwards the new ones, and changes on a node queue.
 */
import { describe, expect, it } from 'vitest';
import { labFrom, probe } from './testing/labs.js';
import type { Lab } from './lab.js';
import type { LabEvent } from '../trace/events.js';
import type { CommandOutput } from './types.js';
import { estimateUpdateCost } from '../netfilter/update-cost/model.js';
import { changeShape, sizeChange } from './rule-updates.js';

/** client — gw — server; gw DNATs 10.0.0.1:80 → the server once a rule says so. */
const topo = (timing: 'instant' | 'modelled', backend: 'nft' | 'legacy', filler: number) => `
rule_updates: { backend: ${backend}, timing: ${timing} }
hosts:
  client:
    interfaces: { eth0: { addr: 10.0.0.2/24 } }
    routes: [ default via 10.0.0.1 ]
  gw:
    sysctl: { net.ipv4.ip_forward: 1 }
    interfaces:
      eth0: { addr: 10.0.0.1/24 }
      eth1: { addr: 10.1.0.1/24 }
    iptables: |
      *nat
      :PREROUTING ACCEPT [0:0]
      :FILLER - [0:0]
${Array.from({ length: filler }, (_, i) => `      -A FILLER -d 192.0.2.${i % 250}/32 -p udp -m udp --dport ${1000 + i} -j RETURN`).join('\n')}
      COMMIT
  server:
    interfaces: { eth0: { addr: 10.1.0.2/24 } }
    routes: [ default via 10.1.0.1 ]
    listen: [ tcp:8080 ]
links:
  - [client:eth0, gw:eth0]
  - [gw:eth1, server:eth0]
`;

const DNAT = 'iptables -t nat -A PREROUTING -d 10.0.0.1/32 -p tcp --dport 80 -j DNAT --to-destination 10.1.0.2:8080';

function submit(lab: Lab, cmd: string, stdin: string | null = null): { out: CommandOutput | null } {
  const box: { out: CommandOutput | null } = { out: null };
  lab.submit('gw', cmd, stdin, (o) => (box.out = o));
  return box;
}

function events<K extends LabEvent['kind']>(lab: Lab, kind: K): Array<Extract<LabEvent, { kind: K }>> {
  const seen: Array<Extract<LabEvent, { kind: K }>> = [];
  lab.tracer.subscribe((e) => {
    if (e.kind === kind) seen.push(e as Extract<LabEvent, { kind: K }>);
  });
  return seen;
}

describe('rule updates', () => {
  it('in modelled timing, packets see the old rules until the change commits, then the new ones', () => {
    const lab = labFrom(topo('modelled', 'legacy', 2000));
    const updates = events(lab, 'rules.update');
    const pending = submit(lab, DNAT);
    expect(updates).toHaveLength(1);
    const u = updates[0].data;
    expect(u.backend).toBe('legacy');
    expect(u.commit_us - u.start_us).toBe(u.cost_us);
    expect(probe(lab, 'connect', 'client', '10.0.0.1:80').result).toBe('refused');
    expect(pending.out).toBeNull();
    expect(lab.now()).toBeLessThan(u.commit_us);
    lab.scheduler.runUntil(u.commit_us);
    expect(pending.out?.exitCode).toBe(0);
    expect(pending.out?.update?.cost_us).toBe(u.cost_us);
    expect(probe(lab, 'connect', 'client', '10.0.0.1:80').result).toBe('connected');
  });

  it('prices legacy by the table it rewrites and nft by the change', () => {
    const small = labFrom(topo('instant', 'legacy', 10));
    const big = labFrom(topo('instant', 'legacy', 4000));
    const cost = (lab: Lab, cmd: string) => lab.exec('gw', cmd).update!.cost_us;
    expect(cost(big, DNAT)).toBeGreaterThan(cost(small, DNAT));
    const nftBig = labFrom(topo('instant', 'nft', 4000));
    expect(cost(nftBig, DNAT)).toBeLessThan(cost(big, DNAT));
    // The command name picks the backend whatever the topology says.
    expect(big.exec('gw', DNAT.replace('iptables', 'iptables-nft')).update!.backend).toBe('nft');
    expect(nftBig.exec('gw', DNAT.replace('iptables', 'iptables-legacy')).update!.backend).toBe('legacy');
  });

  it('in instant timing, applies at once and still reports the price', () => {
    const lab = labFrom(topo('instant', 'nft', 100));
    const out = lab.exec('gw', DNAT);
    expect(out.exitCode).toBe(0);
    expect(out.update).toMatchObject({ backend: 'nft', start_us: 0, commit_us: 0 });
    const change = sizeChange(lab.modulesOf('gw')!.ruleset, changeShape(DNAT, null)!);
    // Priced against the table before the DNAT went in: 100 rules, none of them in PREROUTING.
    expect(out.update!.cost_us).toBe(estimateUpdateCost('nft', { ...change, tableRules: 100, chainRules: 0 }).us);
    expect(probe(lab, 'connect', 'client', '10.0.0.1:80').result).toBe('connected');
  });

  it('queues changes on a node: each starts when the one before it committed', () => {
    const lab = labFrom(topo('modelled', 'legacy', 1000));
    const updates = events(lab, 'rules.update');
    const first = submit(lab, 'iptables -t nat -N A');
    const second = submit(lab, 'iptables -t nat -A A -j RETURN');
    expect(updates).toHaveLength(1);
    let n = 0;
    while (second.out === null && lab.scheduler.step()) n++;
    expect(n).toBeGreaterThan(0);
    expect(first.out?.exitCode).toBe(0);
    expect(second.out?.exitCode).toBe(0);
    const [a, b] = updates.map((e) => e.data);
    expect(b.start_us).toBe(a.commit_us);
  });

  it('does not price or hold back commands that change no rules', () => {
    const lab = labFrom(topo('modelled', 'legacy', 1000));
    submit(lab, DNAT);
    for (const cmd of ['iptables -t nat -L -n', 'iptables-save -t nat', 'ip route show', 'iptables -t nat -C PREROUTING -j RETURN']) {
      const r = submit(lab, cmd);
      expect(r.out, cmd).not.toBeNull();
      expect(r.out!.update, cmd).toBeUndefined();
    }
    // The pending DNAT is not visible yet.
    expect(submit(lab, 'iptables -t nat -S PREROUTING').out!.stdout).toBe('-P PREROUTING ACCEPT\n');
  });

  it('a restore that changes two tables is seen whole or not at all', () => {
    const lab = labFrom(topo('modelled', 'legacy', 2000));
    const restore =
      '*nat\n-A PREROUTING -d 10.0.0.1/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.1.0.2:8080\nCOMMIT\n*filter\n:FORWARD DROP [0:0]\nCOMMIT\n';
    const r = submit(lab, 'iptables-restore --noflush', restore);
    const u = r.out;
    expect(u).toBeNull();
    // Before: no DNAT and FORWARD accepts, so the port is closed on gw itself.
    expect(probe(lab, 'connect', 'client', '10.0.0.1:80').result).toBe('refused');
    while (r.out === null && lab.scheduler.step());
    // After: DNAT and a FORWARD policy of DROP together: the SYN is forwarded and dropped.
    expect(probe(lab, 'connect', 'client', '10.0.0.1:80').result).toBe('timeout');
  });
});
