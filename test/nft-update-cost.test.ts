/**
 * rule_updates: { timing: modelled } prices a native nft transaction, through the
 * user's path: `nflab run --json` on a topology and scenario written to files.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addOneService, kubeProxyNftRules, nftService } from '../src/bench/kube-proxy-nft-gen.js';
import { estimateUpdateCost } from '../src/netfilter/update-cost/model.js';
import { scratchDir } from '../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..');
const tmp = scratchDir('nflab-nft-cost-');
const N = 200;

const indent = (text: string, n: number) =>
  text
    .trim()
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');

function files(timing: 'modelled' | 'instant'): string {
  const full = kubeProxyNftRules(N);
  writeFileSync(join(tmp, 'node.nft'), full.text);
  const s = nftService(N, N);
  writeFileSync(
    join(tmp, `t-${timing}.yaml`),
    `name: nft-cost
rule_updates: { timing: ${timing} }
hosts:
  client:
    interfaces: { eth0: { addr: 192.168.0.3/24 } }
    routes: [ default via 192.168.0.2 ]
  node:
    sysctl: { net.ipv4.ip_forward: 1 }
    interfaces:
      eth0: { addr: 192.168.0.2/24 }
      cni0: { kind: bridge, addr: 10.180.0.1/16 }
      veth0: { master: cni0 }
      veth1: { master: cni0 }
    nftables: { file: node.nft }
    namespaces:
${s.endpoints
  .map(
    (ip, i) => `      pod${i}:
        interfaces: { eth0: { addr: ${ip}/16 } }
        routes: [ default via 10.180.0.1 ]
        listen: [ tcp:80 ]`,
  )
  .join('\n')}
links:
  - [client:eth0, node:eth0]
  - [node/pod0:eth0, node:veth0]
  - [node/pod1:eth0, node:veth1]
`,
  );
  const sc = join(tmp, `s-${timing}.yaml`);
  writeFileSync(
    sc,
    `name: nft cost
topology: t-${timing}.yaml
steps:
  - exec:
      on: node
      cmd: nft list table ip kube-proxy
  - exec:
      on: node
      background: true
      cmd: nft -f -
      stdin: |
${indent(addOneService(N), 8)}
  - wait: 1ms
  - connect: { from: client, to: ${s.clusterIp}:80 }
  - wait: 2s
  - connect: { from: client, to: ${s.clusterIp}:80 }
`,
  );
  return sc;
}

interface Step {
  kind: string;
  result?: string;
  output?: Array<{ update?: { backend: string; cost_us: number; start_us: number; commit_us: number } }>;
}

function run(sc: string): Step[] {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'nflab.js'), 'run', '--json', sc], { encoding: 'utf8', cwd: tmp });
  expect(r.stderr).toBe('');
  return (JSON.parse(r.stdout) as { steps: Step[] }).steps;
}

describe('an nft transaction in modelled timing', () => {
  it('is priced by the native nft model for the ruleset it lands on, and takes effect only when that time has passed', () => {
    const steps = run(files('modelled'));
    expect(steps[0].output?.[0].update).toBeUndefined(); // a listing changes nothing and is not priced
    const u = steps[1].output?.[0].update;
    const rules = kubeProxyNftRules(N)
      .text.split('\n')
      .filter((l) => l.startsWith('add rule ')).length;
    const lines = addOneService(N).trim().split('\n').length;
    const want = estimateUpdateCost('nft', { tool: 'nft', tableRules: rules, chainRules: 0, ruleLines: lines });
    expect(u).toMatchObject({ backend: 'nft', cost_us: want.us });
    expect(u!.commit_us - u!.start_us).toBe(want.us);
    expect(want.us).toBeGreaterThan(1000);
    expect(steps[3].result).toBe('unreachable');
    expect(steps[5].result).toBe('connected');
  });

  it('in instant timing the same transaction is priced but live at once', () => {
    const steps = run(files('instant'));
    expect(steps[1].output?.[0].update?.cost_us).toBeGreaterThan(1000);
    expect(steps[3].result).toBe('connected');
  });
});
