/**
 * "why not" for native nft rules, through `nflab run`: the rule that decided, the rules nearest
 * to letting the packet on, and for each the expressions that failed with what the packet had
 * there; and for a `passes` reference, why that native rule did not match.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'nflab.js');
const tmp = scratchDir('nflab-nft-whynot-');

function run(name: string, text: string): { code: number | null; stdout: string } {
  const p = join(tmp, `${name}.yaml`);
  writeFileSync(p, text);
  const r = spawnSync(process.execPath, [bin, 'run', p], { encoding: 'utf8', cwd: root });
  expect(r.stderr).toBe('');
  return { code: r.status, stdout: r.stdout };
}

const whyNot = (out: string): string[] =>
  out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('why not:') || l.startsWith('nearest:'));

const IPT_NFT = join(root, 'topologies', 'iptables-and-nftables.yaml');

describe('why not, for native nft rules', () => {
  it('the nft rule that dropped, and the accept nearest to matching with its failing expression', () => {
    const r = run(
      'drop',
      `name: d\ntopology: ${IPT_NFT}\nsteps:\n  - connect: { from: client, to: 198.51.100.1:9090 }\n    expect: { result: connected }\n`,
    );
    expect(r.code).toBe(1);
    expect(whyNot(r.stdout)).toEqual([
      'why not: fw decided the packet at INPUT by inet host/input handle 4 (drop)',
      'nearest: inet host/input handle 3 `tcp dport { 80, 8080 } counter packets 0 bytes 0 accept comment "nft accepts; iptables still runs"` did not match: tcp dport { 80, 8080 } (tcp dport was 9090)',
    ]);
  });

  it('a native rule a passes reference named: only the expressions that failed', () => {
    const r = run(
      'passes',
      `name: p\ntopology: ${IPT_NFT}\nsteps:\n  - connect: { from: client, to: 198.51.100.1:9090 }\n    expect: { passes: [ { node: fw, family: ip, table: hostnat, chain: prerouting, handle: 2 } ] }\n`,
    );
    expect(whyNot(r.stdout)).toEqual([
      'why not: fw ip hostnat/prerouting handle 2 `iifname "eth0" tcp dport 2222 counter packets 0 bytes 0 redirect to :22` did not match: tcp dport 2222 (tcp dport was 9090)',
    ]);
  });

  it('a base chain policy drop, with set lookups and ct state explained', () => {
    const topo = `name: fw
hosts:
  client:
    interfaces: { eth0: { addr: 10.0.0.1/24 } }
  server:
    interfaces: { eth0: { addr: 10.0.0.2/24 } }
    listen: [ tcp:22, tcp:443 ]
    nftables: |
      table inet filter {
        set admins { type ipv4_addr; elements = { 10.0.0.9 } }
        chain input {
          type filter hook input priority filter; policy drop;
          ct state established,related accept
          ip saddr @admins tcp dport 22 accept
          tcp dport { 80, 8080 } accept
          iifname "lo" accept
        }
      }
links:
  - [client:eth0, server:eth0]
`;
    const r = run(
      'policy',
      `name: pol\ntopology:\n${topo.replace(/^/gm, '  ')}\nsteps:\n  - connect: { from: client, to: 10.0.0.2:22 }\n    expect: { result: connected }\n`,
    );
    expect(r.code).toBe(1);
    expect(whyNot(r.stdout)).toEqual([
      'why not: server decided the packet at INPUT by the policy of inet filter/input (drop)',
      'nearest: inet filter/input handle 3 `ct state established,related accept` did not match: ct state established,related (ct state was new)',
      'nearest: inet filter/input handle 4 `ip saddr @admins tcp dport 22 accept` did not match: ip saddr @admins (ip saddr was 10.0.0.1)',
      'nearest: inet filter/input handle 6 `tcp dport { 80, 8080 } accept` did not match: tcp dport { 80, 8080 } (tcp dport was 22)',
    ]);
  });

  it("kube-proxy's verdict maps: the reject that decided, and the lookup that missed", () => {
    const r = run(
      'kp',
      `name: kp\ntopology: ${join(root, 'topologies', 'kube-proxy-nftables.yaml')}\nsteps:\n  - connect: { from: client, to: 172.30.0.10:81 }\n    expect: { result: connected }\n`,
    );
    const lines = whyNot(r.stdout);
    expect(lines[0]).toBe('why not: node decided the packet at FORWARD by ip kube-proxy/cluster-ips-check handle 24 (reject)');
    expect(lines).toContain(
      'nearest: ip kube-proxy/service-endpoints-check handle 46 `ip daddr . meta l4proto . th dport vmap @no-endpoint-services` did not match: ip daddr . meta l4proto . th dport vmap @no-endpoint-services (ip daddr . meta l4proto . th dport was 172.30.0.10 . tcp . 81)',
    );
  });
});
