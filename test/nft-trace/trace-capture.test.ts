/**
 * Native nft steps where a user reads them, through the built program: `nflab trace`'s text
 * (each step as `nft -a monitor trace` prints it, after the hook) and the pcapng comments
 * `--pcap` writes (the nft walk beside the iptables one).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPcapng } from '../../src/capture/pcapng-read.js';
import { scratchDir } from '../../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'nflab.js');
const tmp = scratchDir('nflab-nft-trace-');
const topo = join(root, 'topologies', 'iptables-and-nftables.yaml');

function nflab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('nflab trace shows native steps as nft monitor trace prints them', () => {
  it('a rule with its handle and verdict, a policy with its family', () => {
    const r = nflab('trace', topo, '--from', 'client', '--to', '198.51.100.1:2222');
    expect(r.stderr).toBe('');
    // The client's port comes from the seeded RNG: read it from the first packet line.
    const sport = /packet 1: tcp 198\.51\.100\.10:(\d+) /.exec(r.stdout)![1];
    const lines = r.stdout.split('\n').map((l) => l.trim());
    expect(lines).toContain(
      `PREROUTING ip hostnat prerouting rule iifname "eth0" tcp dport 2222 counter packets 0 bytes 0 redirect to :22 # handle 2 (verdict accept)   (198.51.100.10:${sport} → 198.51.100.1:2222 [SYN])`,
    );
    expect(lines.some((l) => /^INPUT inet host input policy accept {3}\(/.test(l))).toBe(true);
    // iptables-nft's own steps keep their form (SPEC section 4).
    expect(lines.some((l) => /^INPUT filter\/INPUT: policy ACCEPT {3}\(/.test(l))).toBe(true);
  });

  it('an nft drop that iptables never sees', () => {
    const r = nflab('trace', topo, '--from', 'client', '--to', '198.51.100.1:9090');
    expect(r.stdout).toMatch(
      /INPUT inet host input rule tcp dport 9090 counter packets 0 bytes 0 drop comment "final: iptables never sees it" # handle 4 \(verdict drop\)/,
    );
    expect(r.stdout).not.toMatch(/INPUT filter\/INPUT/);
    expect(r.stdout).toContain('drop: inet host input handle 4 at INPUT');
  });
});

describe('pcapng comments carry native nft steps', () => {
  function comments(port: number): string[] {
    const file = join(tmp, `p${port}.pcapng`);
    const r = nflab('trace', topo, '--from', 'client', '--to', `198.51.100.1:${port}`, '--pcap', file);
    expect(r.stderr).toBe('');
    const cap = readPcapng(readFileSync(file));
    if (!cap.ok) throw new Error(cap.error[0].message);
    return cap.value.packets.map((p) => p.comment ?? '');
  }

  it('the nft redirect with its handle and what it rewrote', () => {
    const c = comments(2222);
    expect(c).toContainEqual(
      expect.stringMatching(
        /^fw: ip hostnat\/prerouting#2 REDIRECT DNAT 198\.51\.100\.1:2222→198\.51\.100\.1:22; filter\/INPUT ACCEPT; delivered to tcp:22 \(echo\); ct NEW$/,
      ),
    );
  });

  it('an nft accept that iptables then drops: both walks, in order', () => {
    expect(comments(8080)).toContainEqual('fw: inet host/input#3 ACCEPT; filter/INPUT#1 DROP; dropped (rule); ct NEW');
  });

  it('an nft drop: iptables never sees it', () => {
    expect(comments(9090)).toContainEqual('fw: inet host/input#4 DROP; dropped (rule); ct NEW');
  });
});
