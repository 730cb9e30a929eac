/**
 * The kernel side of a case: the same topology built from real namespaces by
 * the test harness, the same steps, the same observations. The lab is always
 * torn down, whatever happens.
 */
import { spawnSync } from 'node:child_process';
import { splitShellWords } from '../../src/core/shell.js';
import type { Topology } from '../../src/topology/model.js';
import { KernelLab, type ProbeAnswer } from '../kernel/harness.js';
import { TracedProber } from './kernel-probe.js';
import {
  type CaseStep,
  type DiffCase,
  MAX_WAIT_MS,
  type Observation,
  type ProbeObservation,
  type ProbeSpec,
  probeObservation,
  probeProto,
  stepLabel,
  type StepObservation,
} from './model.js';
import { normaliseConntrack, traceByNode, withoutCounters } from './normalise.js';
import { caseUsesNft, nftCounterDeltas, nftRulesForCompare } from './nft-observe.js';

function saves(lab: KernelLab): Map<string, string> {
  return new Map(lab.topo.nodes.map((n) => [n.name, lab.save(n.name, { counters: true })]));
}

/** Each node's `nft -a list ruleset` (empty when the case has no native nftables: nothing to read). */
function nftSaves(lab: KernelLab, on: boolean): Map<string, string> {
  return new Map(lab.topo.nodes.map((n) => [n.name, on ? lab.exec(n.name, ['nft', '-a', 'list', 'ruleset']).stdout : '']));
}

let labs = 0;

/** `NFLAB_NS_PREFIX` names this run's namespaces (an engineer's own prefix on a shared machine); the harness's otherwise. */
function labOptions(): { prefix?: string } {
  const p = process.env.NFLAB_NS_PREFIX;
  return p ? { prefix: `${p}${process.pid}x${++labs}` } : {};
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Whether a host tool a case needs is installed (`ipset`, ...). */
export function toolMissing(needs: readonly string[] | undefined): string | null {
  for (const t of needs ?? []) {
    const r = spawnSync(t, ['--version'], { encoding: 'utf8' });
    if (r.error !== undefined || r.status !== 0) return `${t} is not installed on this host`;
  }
  return null;
}

async function probe(
  t: TracedProber,
  p: ProbeSpec,
): Promise<{ result: string; answer: Partial<ProbeAnswer>; trace: Record<string, string[]> | null }> {
  const [ip, portText] = p.to.split(':');
  const proto = probeProto(p);
  const r = await t.probe({
    kind: p.kind === 'ping' ? 'ping' : 'connect',
    from: p.from,
    ip,
    port: Number(portText ?? 0),
    proto,
    uid: p.uid,
    src: p.src,
    sport: p.sport,
    line: p.line ?? 'hello',
    trace: p.trace !== false,
  });
  // The harness's client reports a UDP answer as "connected"; a scenario's send step calls it "delivered".
  const result = p.kind !== 'ping' && proto === 'udp' && r.answer.result === 'connected' ? 'delivered' : r.answer.result;
  return { result, answer: r.answer, trace: r.steps === null ? null : traceByNode(r.steps) };
}

/** Waits (at most 5 s) until no namespace has an INCOMPLETE neighbour, then a moment for the host-unreachable it causes. */
async function settleArp(lab: KernelLab): Promise<void> {
  const resolving = () => lab.topo.nodes.some((n) => lab.exec(n.name, ['ip', 'neigh', 'show', 'nud', 'incomplete']).stdout.trim() !== '');
  if (!resolving()) return;
  for (let waited = 0; waited < 5000 && resolving(); waited += 200) await pause(200);
  await pause(150);
}

function conntrackNow(lab: KernelLab, c: DiffCase, fixed: ReadonlySet<number>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const n of lab.topo.nodes) out[n.name] = normaliseConntrack(lab.conntrack(n.name), fixed, c.random === true);
  return out;
}

export async function observeKernel(c: DiffCase, topo: Topology): Promise<Observation> {
  const lab = KernelLab.up(topo, labOptions());
  const nft = caseUsesNft(c, topo);
  let tracer: TracedProber | null = null;
  try {
    // nflab does not model icmp_send's rate limits; an empty ratemask skips them without touching the
    // per-source bucket that ip_error (modelled) shares: icmp_ratelimit=0 would empty it on every ICMP.
    for (const n of topo.nodes) lab.exec(n.name, ['sysctl', '-qw', 'net.ipv4.icmp_ratemask=0']);
    // nflab sends no ICMP redirects (a deliberate difference); a router forwarding back out of the
    // interface a packet came in by would send one, on every interface, whatever `all` says.
    for (const n of topo.nodes) lab.exec(n.name, ['sh', '-c', 'for f in /proc/sys/net/ipv4/conf/*/send_redirects; do echo 0 > "$f"; done']);
    if (c.synackRetries !== undefined)
      for (const n of topo.nodes) lab.exec(n.name, ['sysctl', '-qw', `net.ipv4.tcp_synack_retries=${c.synackRetries}`]);
    tracer = await TracedProber.start(lab);
    const steps: StepObservation[] = [];
    let before = saves(lab);
    let nftBefore = nftSaves(lab, nft);
    const fixed = new Set<number>();
    for (const [i, s] of c.steps.entries() as IterableIterator<[number, CaseStep]>) {
      if (s.kind === 'wait') {
        if (s.ms <= MAX_WAIT_MS) await pause(s.ms);
        steps.push({ kind: 'skip', label: stepLabel(s, i), why: s.ms <= MAX_WAIT_MS ? 'waited' : 'not run' });
        continue;
      }
      if (s.kind === 'exec') {
        const split = splitShellWords(s.cmd);
        if (!split.ok) throw new Error(`cannot split "${s.cmd}": ${split.message}`);
        const r = lab.exec(s.on, split.words, { stdin: s.stdin });
        steps.push({ kind: 'exec', label: stepLabel(s, i), exit: r.code, stdout: r.stdout });
        before = saves(lab);
        nftBefore = nftSaves(lab, nft);
        await tracer.rulesChanged();
        continue;
      }
      if (s.sport) fixed.add(s.sport);
      for (let run = 0; run < (s.repeat ?? 1); run++) {
        const r = await probe(tracer, s);
        if (c.settleArp) await settleArp(lab);
        const after = saves(lab);
        steps.push(
          probeObservation(
            c,
            s,
            stepLabel(s, i, run),
            { result: r.result, server: r.answer.server ?? null, serverSees: r.answer.serverSees, trace: r.trace },
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
      }
    }
    const rules: Record<string, string> = {};
    for (const n of topo.nodes) rules[n.name] = withoutCounters(lab.save(n.name));
    if (!nft) return { steps, conntrack: conntrackNow(lab, c, fixed), rules };
    const listed = Object.fromEntries([...nftSaves(lab, true)].map(([n, t]) => [n, nftRulesForCompare(t)]));
    return { steps, conntrack: conntrackNow(lab, c, fixed), rules, nft: listed };
  } finally {
    tracer?.stop();
    lab.down();
  }
}
