/**
 * Bundled scenarios as differential cases: every probe and exec step runs on
 * both sides; expect steps are left to the end-of-case comparison (which
 * checks all conntrack entries and rules anyway).
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatDiagnostic } from '../../src/core/diagnostic.js';
import { formatIpv4 } from '../../src/packet/ipv4.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import type { Step } from '../../src/scenario/model.js';
import type { Topology } from '../../src/topology/model.js';
import type { CaseStep, DiffCase } from './model.js';

export const SCENARIO_DIR = resolve(import.meta.dirname, '../../scenarios');

/**
 * A repeated probe is there to measure a distribution (`statistic --mode
 * random`); the kernel's choices and nflab's seeded ones differ run by run, so
 * a few runs are compared on their result only.
 */
export const MAX_REPEAT = 5;

/**
 * A probe that repeats an earlier one (same node, destination, protocol and
 * source) gets a source port of its own, from here up. Linux picks connect()
 * ports by a keyed hash of the addresses and may hand out the port of a
 * connection just closed, whose conntrack entry (TIME_WAIT) the new SYN then
 * meets; nflab picks from its seeded RNG. Neither choice is behaviour under
 * test, and pinning the port makes both sides ask the same question.
 */
const REPEAT_SPORT_BASE = 41000;

function toCaseSteps(s: Step, seen: Set<string>): CaseStep[] {
  switch (s.kind) {
    case 'connect':
    case 'send':
    case 'ping': {
      const proto = s.proto === 'icmp' ? undefined : s.proto;
      const repeat = Math.min(s.repeat, MAX_REPEAT);
      const src = s.src === null ? undefined : formatIpv4(s.src);
      const key = `${s.kind} ${s.from} ${s.to} ${proto ?? ''} ${src ?? ''}`;
      const again = s.kind !== 'ping' && s.sport === null && repeat === 1 && seen.has(key);
      seen.add(key);
      return [
        {
          kind: s.kind,
          from: s.from,
          to: s.to,
          proto,
          uid: s.uid || undefined,
          src,
          sport: s.sport ?? (again ? REPEAT_SPORT_BASE + seen.size : undefined),
          repeat,
          resultOnly: s.repeat > 1,
        },
      ];
    }
    case 'exec':
      return s.cmds.map((cmd) => ({ kind: 'exec' as const, on: s.on, cmd, stdin: s.stdin ?? undefined }));
    case 'wait':
      return [{ kind: 'wait', ms: s.duration / 1000 }];
    case 'expect':
      return [];
  }
}

/**
 * A scenario on modelled rule-update timing is left out: its steps are placed in
 * virtual time against the modelled cost of each change (a probe 100 ms into a
 * one-second legacy update), which the kernel side, running in wall time on a
 * machine of its own speed, cannot reproduce; and its iptables-legacy commands
 * would build a second, separate rule set there. The cost model itself comes from
 * the kernel (`npm run calibrate`).
 */
export function scenarioCases(dir = SCENARIO_DIR): Array<{ c: DiffCase; topo: Topology }> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  const out: Array<{ c: DiffCase; topo: Topology }> = [];
  for (const f of files) {
    const r = loadScenarioFile(join(dir, f));
    if (!r.ok) throw new Error(`scenario ${f}: ${r.error.map(formatDiagnostic).join('; ')}`);
    const sc = r.value;
    if (sc.topology.ruleUpdates?.timing === 'modelled') continue;
    // Native nftables chains are invisible to xtables-monitor, which this suite traces with;
    // their labs are compared with `nft monitor trace` in test/nft-kernel/ instead.
    // Native nftables labs are traced with `nft monitor trace` too (test/differential/nft-observe.ts).
    const random = sc.topology.nodes.some(
      (n) => /--mode random|--probability/.test(n.iptables?.text ?? '') || /numgen random mod (?!1\b)\d+/.test(n.nftables?.text ?? ''),
    );
    const c: DiffCase = {
      name: `scenario ${f}`,
      covers: ['bundled scenario'],
      topology: '',
      steps: ((seen) => sc.steps.flatMap((st) => toCaseSteps(st, seen)))(new Set<string>()),
      source: `scenarios/${f}`,
      random,
    };
    out.push({ c, topo: sc.topology });
  }
  return out;
}
