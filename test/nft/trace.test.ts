import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab.js';
import { traceOnce } from '../../src/session/trace-once.js';
import { loadTopologyFile } from '../../src/topology/load.js';
import type { RuleTraceStep } from '../../src/trace/steps.js';

/**
 * The iptables-and-nftables lab built on the kernel (fixtures/trace/iptables-and-nftables.sh)
 * with `nft monitor trace` running: the .kernel file is what it printed for the SYNs to
 * ports 80, 8080, 9090 and 2222, less the packet lines and the tracing table. nft shows
 * the tables iptables-nft made too (`ip filter INPUT`), so the interleaving is the kernel's.
 */
const kernel = readFileSync('src/nftables/fixtures/trace/iptables-and-nftables.kernel', 'utf8').trim().split('\n');

/** A step as `nft monitor trace` prints it; iptables-nft rules are compared by place and verdict only. */
function asMonitorLine(s: RuleTraceStep): string {
  if (s.family === undefined) {
    const head = `ip ${s.table} ${s.chain}`;
    return s.policy ? `${head} policy ${s.verdict.toLowerCase()}` : `${head} rule (verdict ${s.verdict.toLowerCase()})`;
  }
  const head = `${s.family} ${s.table} ${s.chain}`;
  return s.policy ? `${head} policy ${s.verdict}` : `${head} rule ${s.rule_text} (verdict ${s.verdict})`;
}

const normaliseKernel = (l: string): string =>
  l.startsWith('ip filter ') && l.includes(' rule ') ? l.replace(/ rule .* \(verdict/, ' rule (verdict') : l;

describe('trace steps equal nft monitor trace on the kernel', () => {
  it('iptables-and-nftables: the SYN to 80, 8080, 9090, 2222', () => {
    const topo = loadTopologyFile('topologies/iptables-and-nftables.yaml');
    if (!topo.ok) throw new Error('topology');
    const seen: string[] = [];
    for (const port of [80, 8080, 9090, 2222]) {
      const built = Lab.build(topo.value, { seed: 1, record: true });
      if (!built.ok) throw new Error('lab');
      const r = traceOnce(built.value, { from: 'client', to: `198.51.100.1:${port}`, proto: 'tcp', uid: 0 });
      if ('error' in r) throw new Error(r.error);
      for (const s of r.traces[0].steps) if ('hook' in s && s.node === 'fw') seen.push(asMonitorLine(s));
    }
    expect(seen).toEqual(kernel.map(normaliseKernel));
  });
});
