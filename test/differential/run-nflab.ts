/** The nflab side of a case: build the lab, run the steps on virtual time, observe. */
import { Lab } from '../../src/lab/lab.js';
import type { ProbeOutcome } from '../../src/apps/probes.js';
import { parseIpv4 } from '../../src/packet/ipv4.js';
import { packetLength } from '../../src/packet/packet.js';
import { isRuleStep } from '../../src/trace/steps.js';
import { formatDiagnostic } from '../../src/core/diagnostic.js';
import type { Topology } from '../../src/topology/model.js';
import {
  type CaseStep,
  type DiffCase,
  MAX_WAIT_MS,
  type Observation,
  PROBE_TIMEOUT_MS,
  type ProbeObservation,
  type ProbeSpec,
  probeObservation,
  probeProto,
  stepLabel,
  type StepObservation,
} from './model.js';
import { normaliseConntrack, traceByNode, withoutCounters } from './normalise.js';
import { printRuleset } from '../../src/nftables/print.js';
import { caseUsesNft, nftCounterDeltas, nftRulesForCompare } from './nft-observe.js';

const MAX_EVENTS = 5_000_000;

function saves(lab: Lab): Map<string, string> {
  return new Map([...lab.nodes].map(([name, n]) => [name, n.views.save(true)]));
}

/** Each node's `nft -a list ruleset`, as the kernel side reads it. */
function nftSaves(lab: Lab, on: boolean): Map<string, string> {
  return new Map(
    [...lab.nodes].map(([name, n]) => [name, on && n.nft ? printRuleset(n.nft.rs, { handles: true, nowMs: n.nft.nowMs() }) : '']),
  );
}

function runProbe(lab: Lab, p: ProbeSpec): ProbeOutcome {
  const [ip, port] = p.to.split(':');
  const dst = parseIpv4(ip);
  if (dst === null) throw new Error(`bad probe destination ${p.to}`);
  let out: ProbeOutcome | null = null;
  const proto = probeProto(p);
  lab.probe(
    p.kind,
    p.from,
    {
      dst,
      port: port ? Number(port) : 0,
      proto,
      owner: { uid: p.uid ?? 0, gid: p.uid ?? 0, groups: [] },
      src: p.src ? parseIpv4(p.src) : null,
      sport: p.sport ?? null,
      timeout: PROBE_TIMEOUT_MS * 1000,
      line: `${p.line ?? 'hello'}\n`,
    },
    (r) => (out = r),
  );
  let n = 0;
  while ((out === null || !lab.quiet()) && lab.scheduler.step())
    if (++n > MAX_EVENTS) throw new Error('nflab probe did not finish (a loop?)');
  if (out === null) throw new Error('nflab probe gave no answer');
  return out;
}

export function buildNflab(topo: Topology): Lab {
  const built = Lab.build(topo, { seed: 1, record: true });
  if (!built.ok) throw new Error(`nflab cannot build ${topo.name}: ${built.error.map(formatDiagnostic).join('; ')}`);
  return built.value;
}

function settleArp(lab: Lab): void {
  let n = 0;
  const resolving = () => [...lab.nodes.values()].some((x) => x.neighbours.resolving());
  while ((resolving() || !lab.quiet()) && lab.scheduler.step()) if (++n > MAX_EVENTS) throw new Error('nflab: ARP never settled');
}

function conntrackNow(lab: Lab, c: DiffCase, fixed: ReadonlySet<number>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, n] of lab.nodes) out[name] = normaliseConntrack(n.views.conntrack(), fixed, c.random === true);
  return out;
}

/**
 * Collects the nodes that receive an IPv4 packet longer than the MTU of the device that sent it
 * (the exported link has the smaller MTU of its ends), where the kernel would have fragmented.
 */
function watchOversize(lab: Lab, topo: Topology): Set<string> {
  const peer = new Map<string, string>();
  for (const l of topo.links) {
    peer.set(`${l.a.node}\0${l.a.iface}`, l.b.node);
    peer.set(`${l.b.node}\0${l.b.iface}`, l.a.node);
  }
  const seen = new Set<string>();
  lab.setTap((node, dev, dir, f) => {
    if (dir !== 'out' || f.type !== 'ipv4') return;
    const to = peer.get(`${node}\0${dev}`);
    if (to !== undefined && packetLength(f.ip) > lab.node(node)!.dev(dev)!.mtu) seen.add(to);
  });
  return seen;
}

function insertFailures(lab: Lab): Map<string, number> {
  return new Map([...lab.nodes].map(([name, n]) => [name, n.conntrack.insertFailed]));
}

export function observeNflab(c: DiffCase, topo: Topology): Observation {
  const lab = buildNflab(topo);
  const oversize = watchOversize(lab, topo);
  if (c.synackRetries !== undefined)
    for (const n of lab.nodes.values()) n.sysctl.set('net.ipv4.tcp_synack_retries', String(c.synackRetries));
  const steps: StepObservation[] = [];
  const nft = caseUsesNft(c, topo);
  let before = saves(lab);
  let nftBefore = nftSaves(lab, nft);
  const fixed = new Set<number>();
  c.steps.forEach((s: CaseStep, i) => {
    if (s.kind === 'wait') {
      if (s.ms <= MAX_WAIT_MS) lab.scheduler.runUntil(lab.now() + s.ms * 1000, MAX_EVENTS);
      steps.push({ kind: 'skip', label: stepLabel(s, i), why: s.ms <= MAX_WAIT_MS ? 'waited' : 'not run' });
      return;
    }
    if (s.kind === 'exec') {
      const r = lab.exec(s.on, s.cmd, s.stdin ?? null);
      steps.push({ kind: 'exec', label: stepLabel(s, i), exit: r.exitCode, stdout: r.stdout });
      before = saves(lab);
      nftBefore = nftSaves(lab, nft);
      return;
    }
    if (s.sport) fixed.add(s.sport);
    for (let run = 0; run < (s.repeat ?? 1); run++) {
      oversize.clear();
      const failedBefore = insertFailures(lab);
      const retrying = [...lab.nodes].filter(([, n]) => n.sockets.endpoints().some((e) => e.retransmitting)).map(([name]) => name);
      const r = runProbe(lab, s);
      if (c.settleArp) settleArp(lab);
      const after = saves(lab);
      const trace = s.trace === false ? null : traceByNode((r.trace?.steps ?? []).filter(isRuleStep));
      steps.push(
        probeObservation(
          c,
          s,
          stepLabel(s, i, run),
          { result: r.result, server: r.server, serverSees: r.serverSees, trace },
          before,
          after,
        ),
      );
      before = after;
      const nftAfter = nftSaves(lab, nft);
      for (const [node, text] of nftAfter)
        (steps[steps.length - 1] as ProbeObservation).counters!.push(...nftCounterDeltas(node, nftBefore.get(node) ?? '', text));
      nftBefore = nftAfter;
      if (c.conntrackEveryProbe) (steps[steps.length - 1] as ProbeObservation).conntrack = conntrackNow(lab, c, fixed);
      if (oversize.size > 0) (steps[steps.length - 1] as ProbeObservation).oversize = [...oversize].sort();
      const clashed = [...insertFailures(lab)].filter(([node, n]) => n > failedBefore.get(node)!).map(([node]) => node);
      if (clashed.length > 0) (steps[steps.length - 1] as ProbeObservation).clashDrops = clashed.sort();
      if (retrying.length > 0) (steps[steps.length - 1] as ProbeObservation).retrying = retrying.sort();
    }
  });
  const rules: Record<string, string> = {};
  for (const [name, n] of lab.nodes) rules[name] = withoutCounters(n.views.save(false));
  if (!nft) return { steps, conntrack: conntrackNow(lab, c, fixed), rules };
  const listed = Object.fromEntries([...nftSaves(lab, true)].map(([n, t]) => [n, nftRulesForCompare(t)]));
  return { steps, conntrack: conntrackNow(lab, c, fixed), rules, nft: listed };
}
