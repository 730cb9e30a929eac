/** The terminal rendering of scenario reports: one line per step, details under failures. */
import type { ScenarioReport, StepReport } from './report.js';
import { describeProbe } from './runner.js';
import { renderTraceText } from '../trace/render.js';
import { humanDuration } from '../core/time.js';

function title(s: StepReport): string {
  const what =
    s.kind === 'exec'
      ? `exec on ${s.on}${s.background ? ' (background)' : ''}: ${(s.cmd ?? []).join('; ')}`
      : s.kind === 'wait'
        ? 'wait'
        : s.kind === 'expect'
          ? 'expect'
          : describeProbe(s);
  return s.name ? `${s.name} — ${what}` : what;
}

export function renderScenarioText(r: ScenarioReport, color: boolean): string {
  const green = (t: string) => (color ? `\x1b[32m${t}\x1b[0m` : t);
  const red = (t: string) => (color ? `\x1b[31m${t}\x1b[0m` : t);
  const dim = (t: string) => (color ? `\x1b[2m${t}\x1b[0m` : t);
  const out: string[] = [`${r.passed ? green('PASS') : red('FAIL')} ${r.scenario} ${dim(`(${r.file}, seed ${r.seed})`)}`];
  for (const s of r.steps) {
    out.push(`  ${s.passed ? green('✓') : red('✗')} ${s.step}. ${title(s)}`);
    for (const o of s.output ?? [])
      if (o.update)
        out.push(
          `      ${dim(`${o.update.backend} update by \`${o.cmd}\`: ${humanDuration(o.update.cost_us)} (${o.update.why}); took effect at t=${humanDuration(o.update.commit_us)}`)}`,
        );
    if (s.distribution)
      out.push(
        `      ${dim(
          Object.entries(s.distribution)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', '),
        )}`,
      );
    for (const f of s.failures) {
      out.push(`      expected: ${f.expected}`);
      out.push(`      seen:     ${f.seen}`);
      if (f.why_not) for (const line of f.why_not.split('\n')) out.push(`      ${line}`);
    }
    if (!s.passed && s.trace) {
      out.push(`      trace of the first packet:`);
      for (const line of renderTraceText(s.trace, s.outcome ?? '').split('\n')) out.push(`        ${line}`);
    }
  }
  return out.join('\n');
}

export function summaryLine(reports: ScenarioReport[]): string {
  const passed = reports.filter((r) => r.passed).length;
  return `${passed} passed, ${reports.length - passed} failed`;
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * A step's JUnit name: its `name:`, or for a step without one what it does,
 * never what it saw (no result, no ephemeral port), so that a test keeps its
 * name whether it passes or fails.
 */
function junitName(s: StepReport): string {
  if (s.name) return s.name;
  const what =
    s.kind === 'exec'
      ? `exec on ${s.on}: ${(s.cmd ?? []).join('; ')}`
      : s.kind === 'wait' || s.kind === 'expect'
        ? s.kind
        : `${s.kind} ${s.from} → ${s.to}${s.proto && s.kind !== 'ping' ? `/${s.proto}` : ''}`;
  return `${s.step}. ${what}`;
}

/** Seconds with microsecond precision, as JUnit readers expect. */
function seconds(us: number | undefined): string {
  return ((us ?? 0) / 1e6).toFixed(6);
}

/**
 * JUnit XML: a testsuite per scenario, a testcase per step, `time` the step's
 * virtual duration. `files` are the paths as the user gave them (default: the report's).
 */
export function renderJunit(reports: ScenarioReport[], files: readonly string[] = []): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const failures = reports.reduce((n, r) => n + r.steps.filter((s) => !s.passed).length, 0);
  const tests = reports.reduce((n, r) => n + r.steps.length, 0);
  const total = (r: ScenarioReport) => r.steps.reduce((t, s) => t + (s.duration_us ?? 0), 0);
  lines.push(
    `<testsuites name="nflab" tests="${tests}" failures="${failures}" time="${seconds(reports.reduce((t, r) => t + total(r), 0))}">`,
  );
  reports.forEach((r, i) => {
    const f = r.steps.filter((s) => !s.passed).length;
    const file = xml(files[i] ?? r.file);
    lines.push(
      `  <testsuite name="${xml(r.scenario)}" file="${file}" tests="${r.steps.length}" failures="${f}" time="${seconds(total(r))}">`,
    );
    for (const s of r.steps) {
      const head = `    <testcase classname="${xml(r.scenario)}" name="${xml(junitName(s))}" file="${file}" time="${seconds(s.duration_us)}"`;
      if (s.passed) {
        lines.push(`${head}/>`);
        continue;
      }
      const msg = s.failures.map((x) => `expected ${x.expected}, seen ${x.seen}`).join('; ');
      const body = [
        `${title(s)}`,
        ...s.failures.map((x) => `expected: ${x.expected}\nseen: ${x.seen}${x.why_not ? `\n${x.why_not}` : ''}`),
      ].join('\n\n');
      lines.push(`${head}>`);
      lines.push(`      <failure message="${xml(msg)}">${xml(body)}</failure>`);
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  });
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}
