/**
 * Non-verdict maps in rules decide what packets get, on the user's path (`nflab run` of a
 * scenario): `dnat to ip daddr map { ... }` sends a connection where the map says, a key the
 * map lacks leaves the packet alone, and `meta mark set ip saddr map @m` marks by source (a
 * later rule matches the mark). The listings are compared with the kernel in
 * test/differential/fuzz-nft/cases/maps-in-rules.json.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'nflab.js');
const tmp = scratchDir('nflab-nft-maps-');

const TOPOLOGY = `name: nft-maps
hosts:
  client:
    interfaces:
      eth0: { addr: 10.0.0.1/24 }
    routes:
      - default via 10.0.0.2
    nftables: |
      table ip out {
        map to {
          type ipv4_addr : ipv4_addr
          elements = { 10.9.9.9 : 10.0.0.2 }
        }
        chain nat-output {
          type nat hook output priority -100; policy accept;
          dnat to ip daddr map @to
        }
      }
  server:
    interfaces:
      eth0: { addr: 10.0.0.2/24 }
    listen: [tcp:80, tcp:81]
    nftables: |
      table ip in {
        map marks {
          type ipv4_addr : mark
          elements = { 10.0.0.1 : 0x7 }
        }
        chain input {
          type filter hook input priority filter; policy accept;
          meta mark set ip saddr map @marks
          tcp dport 81 meta mark 0x00000007 drop
        }
      }
links:
  - [client:eth0, server:eth0]
`;

describe('maps in rules, through nflab run', () => {
  it('dnat to a map lookup, a key the map lacks, and a mark set from a map', () => {
    const topo = join(tmp, 'maps.yaml');
    writeFileSync(topo, TOPOLOGY);
    const sc = join(tmp, 'maps-scenario.yaml');
    writeFileSync(
      sc,
      `topology: ${topo}
seed: 1
steps:
  - name: the map sends 10.9.9.9 to the server
    connect: { from: client, to: 10.9.9.9:80 }
    expect: { result: connected, server: server }
  - name: the client's source maps to mark 7, which the next rule drops on port 81
    connect: { from: client, to: 10.0.0.2:81 }
    expect: { result: timeout }
  - name: an address the map lacks is left alone (no host answers for it)
    connect: { from: client, to: 10.9.9.8:80 }
    expect: { result: timeout }
`,
    );
    const r = spawnSync(process.execPath, [bin, 'run', sc], { encoding: 'utf8', cwd: root });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
