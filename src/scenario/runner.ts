/**
 * Runs a scenario's steps on a fresh lab, in virtual time, and reports what was
 * seen next to what was expected. The same scenario and seed always give the
 * same report.
 */
import { Lab } from '../lab/lab.js';
import type { ProbeOutcome } from '../apps/probes.js';
import { isRuleStep, type PacketTrace } from '../trace/steps.js';
import type { ConntrackExpect, ExecStep, ExpectStep, ProbeStep, RuleRef, Scenario, Step } from './model.js';
import type { ExecOutput, Failure, ScenarioReport, StepReport } from './report.js';
import type { RuleUpdate } from '../trace/events.js';
import { humanDuration } from '../core/time.js';
import type { CtJson } from '../node/ports.js';
import { explainMiss } from './why-not.js';
import { findNftRule, nftCounter, nftRefText } from './nft-ref.js';

/** Upper bound on events one step may run: a broadcast storm must not hang a CI job. */
const MAX_EVENTS_PER_STEP = 5_000_000;

export class StepLimitError extends Error {}

export interface RunOptions {
  /** Called with the lab before the first step (to start a packet capture, say); its result is called after the last. */
  onLab?: (lab: Lab) => (() => void) | void;
}

export function runScenario(sc: Scenario, opts: RunOptions = {}): ScenarioReport {
  const built = Lab.build(sc.topology, { seed: sc.seed, record: true });
  if (!built.ok) {
    return {
      scenario: sc.name,
      file: sc.file,
      topology: sc.topology.name,
      seed: sc.seed,
      passed: false,
      steps: [
        {
          step: 0,
          kind: 'exec',
          name: 'build the lab',
          passed: false,
          at_us: 0,
          failures: built.error.map((d) => ({ expected: 'the lab builds', seen: `${d.file ?? ''}:${d.line ?? ''}: ${d.message}` })),
        },
      ],
    };
  }
  const lab = built.value;
  const done = opts.onLab?.(lab);
  const steps = sc.steps.map((s, i) => {
    const start = lab.now();
    const r = runStep(lab, s, i + 1);
    r.duration_us = lab.now() - start;
    return r;
  });
  // Background rule changes still under way finish (and are judged) before the report is made.
  for (let n = 0; lab.updates.pending() && n < MAX_EVENTS_PER_STEP && lab.scheduler.step(); n++);
  done?.();
  return { scenario: sc.name, file: sc.file, topology: sc.topology.name, seed: sc.seed, passed: steps.every((s) => s.passed), steps };
}

export function runStep(lab: Lab, step: Step, index: number): StepReport {
  try {
    switch (step.kind) {
      case 'connect':
      case 'send':
      case 'ping':
        return runProbe(lab, step, index);
      case 'exec':
        return runExec(lab, step, index);
      case 'wait':
        lab.scheduler.runUntil(lab.now() + step.duration, MAX_EVENTS_PER_STEP);
        return { step: index, kind: 'wait', name: step.name, passed: true, at_us: lab.now(), failures: [] };
      case 'expect':
        return runExpect(lab, step, index);
    }
  } catch (e) {
    if (!(e instanceof StepLimitError)) throw e;
    return {
      step: index,
      kind: step.kind,
      name: step.name,
      passed: false,
      at_us: lab.now(),
      failures: [{ expected: 'the step finishes', seen: e.message }],
    };
  }
}

/** Runs events until `done()` holds, then until the network is quiet. */
function runUntil(lab: Lab, done: () => boolean): void {
  let n = 0;
  while (!done()) {
    if (!lab.scheduler.step()) return;
    if (++n > MAX_EVENTS_PER_STEP)
      throw new StepLimitError(`still busy after ${MAX_EVENTS_PER_STEP} events (a forwarding loop or a storm?)`);
  }
  while (!lab.quiet()) {
    if (!lab.scheduler.step()) return;
    if (++n > MAX_EVENTS_PER_STEP)
      throw new StepLimitError(`still busy after ${MAX_EVENTS_PER_STEP} events (a forwarding loop or a storm?)`);
  }
}

export function probeOnce(lab: Lab, step: ProbeStep): ProbeOutcome {
  let out: ProbeOutcome | null = null;
  lab.probe(
    step.kind,
    step.from,
    {
      dst: step.dst,
      port: step.port,
      proto: step.proto === 'icmp' ? 'udp' : step.proto,
      owner: { uid: step.uid, gid: step.gid, groups: [] },
      src: step.src,
      sport: step.sport,
      timeout: step.timeout,
      line: `nflab probe ${step.kind} ${step.to}\n`,
    },
    (r) => (out = r),
  );
  runUntil(lab, () => out !== null);
  return out!;
}

function sameAddr(expected: string, seen: string | null): boolean {
  if (seen === null) return false;
  return expected.includes(':') ? expected === seen : seen.split(':')[0] === expected;
}

function runProbe(lab: Lab, step: ProbeStep, index: number): StepReport {
  const outs: ProbeOutcome[] = [];
  for (let i = 0; i < step.repeat; i++) outs.push(probeOnce(lab, step));
  const first = outs[0];
  const report: StepReport = {
    step: index,
    kind: step.kind,
    name: step.name,
    passed: true,
    at_us: lab.now(),
    from: step.from,
    to: step.to,
    proto: step.proto,
    result: first.result,
    server: first.server,
    server_sees: first.serverSees,
    ...(first.trace ? { trace: first.trace.steps, outcome: first.trace.outcome } : {}),
    failures: [],
  };
  const x = step.expect;
  if (step.repeat > 1) {
    report.repeat = step.repeat;
    const dist: Record<string, number> = {};
    for (const o of outs) {
      const k = o.server ?? `(${o.result})`;
      dist[k] = (dist[k] ?? 0) + 1;
    }
    report.distribution = Object.fromEntries(Object.entries(dist).sort(([a], [b]) => (a < b ? -1 : 1)));
  }
  if (!x) return report;
  const f = report.failures;
  if (x.result) {
    const bad = outs.filter((o) => o.result !== x.result);
    if (bad.length)
      f.push({
        expected: `result ${x.result}`,
        seen: step.repeat > 1 ? `${bad.length} of ${step.repeat} probes: ${bad[0].result}` : `result ${first.result}`,
        ...whyNot(lab, first.trace),
      });
  }
  if (x.server && step.repeat === 1 && first.server !== x.server) {
    f.push({
      expected: `server ${x.server}`,
      seen: first.server ? `server ${first.server}` : 'no server answered',
      ...whyNot(lab, first.trace),
    });
  }
  if (x.server_sees && !sameAddr(x.server_sees, first.serverSees)) {
    f.push({ expected: `server sees ${x.server_sees}`, seen: first.serverSees ? `server sees ${first.serverSees}` : 'no server answered' });
  }
  if (x.outcome && first.trace?.outcome !== x.outcome) {
    f.push({ expected: `outcome ${x.outcome}`, seen: `outcome ${first.trace?.outcome ?? 'unknown'}`, ...whyNot(lab, first.trace) });
  }
  for (const ref of x.passes) {
    if (!tracePasses(lab, first.trace, ref))
      f.push({ expected: `the first packet passes ${ref.text}`, seen: 'it did not', ...explainRef(lab, first.trace, ref) });
  }
  for (const ref of x.not_passes) {
    if (tracePasses(lab, first.trace, ref)) f.push({ expected: `the first packet does not pass ${ref.text}`, seen: 'it did' });
  }
  if (x.distribution) {
    const n = outs.length;
    for (const [server, [lo, hi]] of x.distribution) {
      const share = outs.filter((o) => o.server === server).length / n;
      if (share < lo || share > hi) {
        f.push({
          expected: `${server} answers ${pct(lo)}..${pct(hi)} of ${n}`,
          seen: `${pct(share)} (${report.distribution?.[server] ?? 0} of ${n})`,
        });
      }
    }
  }
  // The same explanation under several failures of one probe is said once.
  const said = new Set<string>();
  for (const fail of f) {
    if (fail.why_not === undefined) continue;
    if (said.has(fail.why_not)) delete fail.why_not;
    else said.add(fail.why_not);
  }
  report.passed = f.length === 0;
  return report;
}

const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;

function tracePasses(lab: Lab, t: PacketTrace | null, ref: RuleRef): boolean {
  if (!t) return false;
  const nft = ref.nft;
  if (nft) {
    // A rule named by comment is looked up now; its handle is what the trace carries.
    const found = nft.comment !== null ? findNftRule(lab, ref.node, ref.table, ref.chain, nft) : null;
    const handle = found === null ? nft.handle : 'error' in found ? -1 : (found.rule?.handle ?? -1);
    return t.steps.some(
      (s) =>
        isRuleStep(s) &&
        s.node === ref.node &&
        s.family === nft.family &&
        s.table === ref.table &&
        s.chain === ref.chain &&
        (handle === null ? s.policy === true : s.handle === handle),
    );
  }
  return t.steps.some(
    (s) =>
      isRuleStep(s) &&
      s.family === undefined &&
      s.node === ref.node &&
      s.table === ref.table &&
      s.chain === ref.chain &&
      (ref.rule === null ? s.policy === true : s.rule === ref.rule),
  );
}

function whyNot(lab: Lab, t: PacketTrace | null): { why_not?: string } {
  if (!t) return {};
  const text = explainMiss(lab, t, null);
  return text ? { why_not: text } : {};
}

function explainRef(lab: Lab, t: PacketTrace | null, ref: RuleRef): { why_not?: string } {
  if (!t) return {};
  const text = explainMiss(lab, t, ref);
  return text ? { why_not: text } : {};
}

function runExec(lab: Lab, step: ExecStep, index: number): StepReport {
  const output: ExecOutput[] = [];
  const report: StepReport = {
    step: index,
    kind: 'exec',
    name: step.name,
    passed: false,
    at_us: lab.now(),
    on: step.on,
    cmd: step.cmds,
    output,
    failures: [],
  };
  if (step.background) report.background = true;
  let done = false;
  // As in a shell script, each command starts once the one before it has returned.
  const runFrom = (i: number): void => {
    if (i === step.cmds.length) {
      done = true;
      judgeExec(step, report);
      return;
    }
    const cmd = step.cmds[i];
    lab.submit(step.on, cmd, step.stdin, (r) => {
      output.push({ cmd, exit: r.exitCode, stdout: r.stdout, stderr: r.stderr, ...(r.update ? { update: updateJson(r.update) } : {}) });
      runFrom(i + 1);
    });
  };
  runFrom(0);
  if (!step.background) {
    let n = 0;
    while (!done && lab.scheduler.step())
      if (++n > MAX_EVENTS_PER_STEP)
        throw new StepLimitError(`still busy after ${MAX_EVENTS_PER_STEP} events (a forwarding loop or a storm?)`);
    report.at_us = lab.now();
  } else if (!done) report.passed = true;
  return report;
}

function updateJson(u: RuleUpdate): NonNullable<ExecOutput['update']> {
  return { cmd: u.cmd, backend: u.backend, cost_us: u.cost_us, why: u.why, start_us: u.start_us, commit_us: u.commit_us };
}

/** Checks an exec step once all its commands have taken effect (for a background step, later than the step itself ran). */
function judgeExec(step: ExecStep, report: StepReport): void {
  const failures = report.failures;
  const output = report.output!;
  const wantExit = step.expect?.exit ?? 0;
  for (const o of output)
    if (o.exit !== wantExit)
      failures.push({ expected: `\`${o.cmd}\` exits ${wantExit}`, seen: `exit ${o.exit}${o.stderr ? `: ${o.stderr.trim()}` : ''}` });
  const last = output[output.length - 1];
  if (step.expect?.stdout !== undefined && last.stdout !== step.expect.stdout)
    failures.push({ expected: `stdout ${JSON.stringify(step.expect.stdout)}`, seen: JSON.stringify(last.stdout) });
  if (step.expect?.stdout_contains !== undefined && !last.stdout.includes(step.expect.stdout_contains)) {
    failures.push({ expected: `stdout containing ${JSON.stringify(step.expect.stdout_contains)}`, seen: JSON.stringify(last.stdout) });
  }
  const cost = output.reduce((t, o) => t + (o.update?.cost_us ?? 0), 0);
  if (step.expect?.cost_under !== undefined && !(cost < step.expect.cost_under))
    failures.push({ expected: `rule changes costing under ${humanDuration(step.expect.cost_under)}`, seen: humanDuration(cost) });
  if (step.expect?.cost_over !== undefined && !(cost > step.expect.cost_over))
    failures.push({ expected: `rule changes costing over ${humanDuration(step.expect.cost_over)}`, seen: humanDuration(cost) });
  report.passed = failures.length === 0;
}

function matchesCt(e: CtJson, x: ConntrackExpect['filter']): boolean {
  if (x.proto !== undefined && e.proto !== x.proto) return false;
  if (x.state !== undefined && e.state !== x.state) return false;
  if (x.src !== undefined && e.orig.src !== x.src) return false;
  if (x.dst !== undefined && e.orig.dst !== x.dst) return false;
  if (x.sport !== undefined && e.orig.sport !== x.sport) return false;
  if (x.dport !== undefined && e.orig.dport !== x.dport) return false;
  if (x.reply_src !== undefined && e.reply.src !== x.reply_src) return false;
  if (x.reply_dst !== undefined && e.reply.dst !== x.reply_dst) return false;
  if (x.reply_sport !== undefined && e.reply.sport !== x.reply_sport) return false;
  if (x.reply_dport !== undefined && e.reply.dport !== x.reply_dport) return false;
  if (x.mark !== undefined && e.mark !== `0x${x.mark.toString(16)}`) return false;
  if (x.flags && !x.flags.every((fl) => e.flags.includes(fl))) return false;
  return true;
}

function runExpect(lab: Lab, step: ExpectStep, index: number): StepReport {
  const failures: Failure[] = [];
  const counters: NonNullable<StepReport['counters']> = [];
  for (const c of step.counters) {
    let got: { packets: number; bytes: number } | { error: string };
    let what: string;
    if (c.nft) {
      const n = nftCounter(lab, c.node, c.table, c.chain, c.nft);
      what = nftRefText(c.node, c.table, c.chain, c.nft);
      got = n;
      if (!('error' in n)) {
        const named = c.nft.comment !== null ? { comment: c.nft.comment } : {};
        const { packets, bytes, handle } = n;
        counters.push({ node: c.node, family: c.nft.family, table: c.table, chain: c.chain, rule: null, handle, ...named, packets, bytes });
      }
    } else {
      got = lab.node(c.node)!.views.counter(c.table, c.chain, c.rule);
      what = `${c.node} ${c.table}/${c.chain}${c.rule === null ? ' policy' : `#${c.rule}`}`;
      if (!('error' in got)) counters.push({ node: c.node, table: c.table, chain: c.chain, rule: c.rule, ...got });
    }
    if ('error' in got) {
      failures.push({ expected: `counters of ${what}`, seen: got.error });
      continue;
    }
    if (c.packets !== undefined && got.packets !== c.packets)
      failures.push({ expected: `${what}: ${c.packets} packets`, seen: `${got.packets} packets` });
    if (c.bytes !== undefined && got.bytes !== c.bytes)
      failures.push({ expected: `${what}: ${c.bytes} bytes`, seen: `${got.bytes} bytes` });
  }
  const conntrack: Record<string, CtJson[]> = {};
  const saves: Record<string, string> = {};
  for (const [name, node] of lab.nodes) {
    conntrack[name] = node.views.conntrack();
    saves[name] = node.views.save(true);
  }
  for (const c of step.conntrack) {
    if (c.count === undefined) continue;
    const n = conntrack[c.node].filter((e) => matchesCt(e, c.filter)).length;
    if (n !== c.count) {
      const filterText = Object.entries(c.filter)
        .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : v}`)
        .join(' ');
      failures.push({
        expected: `${c.count} conntrack entr${c.count === 1 ? 'y' : 'ies'} on ${c.node}${filterText ? ` with ${filterText}` : ''}`,
        seen: `${n}`,
      });
    }
  }
  return {
    step: index,
    kind: 'expect',
    name: step.name,
    passed: failures.length === 0,
    at_us: lab.now(),
    counters,
    conntrack,
    saves,
    failures,
  };
}

/** A probe step's result in one line, for the terminal report. */
export function describeProbe(r: StepReport): string {
  const parts = [`${r.kind} ${r.from} → ${r.to}${r.proto && r.kind !== 'ping' ? `/${r.proto}` : ''}: ${r.result}`];
  if (r.server) parts.push(`server ${r.server}`);
  if (r.server_sees) parts.push(`sees ${r.server_sees}`);
  return parts.join(', ');
}
