/**
 * `nflab check`: every problem of a topology or scenario file in one run.
 * Loading stops a file at its first bad rule line, and building a lab needs
 * the whole file right; checking goes on. Each node's rule text is checked
 * on its own, even when the YAML around it is wrong, and past each bad line
 * (blanked, then the text restored again) to the next. A scenario is run
 * as far as its commands go: every `exec` command against the rules of its
 * moment, and every rule a probe or counter names looked up there.
 */
import { readFileSync } from 'node:fs';
import { type Diagnostic, formatDiagnostic, type SourcePos } from '../core/diagnostic.js';
import { splitShellWords } from '../core/shell.js';
import { Lab } from '../lab/lab.js';
import { runIptables } from '../netfilter/iptables/command.js';
import { type LookupOptions, runIptablesRestore } from '../netfilter/iptables/restore.js';
import { Ruleset } from '../netfilter/rule.js';
import { ruleColumn } from '../topology/iptables.js';
import { loadTopologyFile } from '../topology/load.js';
import type { NodeSpec, Topology } from '../topology/model.js';
import { loadScenarioFile } from './load.js';
import type { RuleRef, Scenario } from './model.js';
import { findNftRule, nftCounter, nftRefText } from './nft-ref.js';

/** Enough for any real mistake; a file of nothing but bad lines is not worth restoring thousands of times. */
const MAX_RULE_ERRORS = 100;

export interface CheckResult {
  diagnostics: Diagnostic[];
  /** The file could not be read at all (exit 2 rather than 1). */
  unreadable: boolean;
}

export function checkFile(file: string): CheckResult {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // The loaders say why, in their words.
  }
  const diags = /^\s*steps\s*:/m.test(text) ? checkScenario(file) : checkTopologyFile(file);
  const unreadable = diags.length === 1 && diags[0].line === undefined;
  return { diagnostics: ordered(unique(diags)), unreadable };
}

function checkTopologyFile(file: string): Diagnostic[] {
  const partial: NodeSpec[] = [];
  const r = loadTopologyFile(file, partial);
  if (!r.ok) return [...r.error, ...partial.flatMap(checkRules)];
  return checkTopology(r.value);
}

/** The rules of every node, then what building the lab finds besides them. */
function checkTopology(topo: Topology): Diagnostic[] {
  const diags = topo.nodes.flatMap(checkRules);
  const bare = { ...topo, nodes: topo.nodes.map((n) => ({ ...n, iptables: null, iptablesCmds: [] })) };
  const built = Lab.build(bare, { seed: 1, record: false });
  if (!built.ok) diags.push(...built.error);
  return diags;
}

function lookups(spec: NodeSpec): LookupOptions {
  return {
    resolveUser: (n) => spec.users.get(n),
    resolveGroup: (n) => spec.groups.get(n),
    ipsets: spec.ipsets.map((s) => s.name),
    nfacct: spec.nfacct,
  };
}

/** Every bad line of a node's `iptables:` text and `iptables_cmds:`. */
export function checkRules(spec: NodeSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  const rs = new Ruleset();
  const ipt = spec.iptables;
  if (ipt) {
    const lines = ipt.text.split('\n');
    for (let k = 0; k < MAX_RULE_ERRORS; k++) {
      const scratch = new Ruleset();
      const opts = {
        ...lookups(spec),
        counters: ipt.counters === true,
        atomic: 'batch' as const,
        file: ipt.file,
        lineOffset: ipt.lineOffset,
      };
      const r = runIptablesRestore(scratch, lines.join('\n'), opts);
      if (r.ok) {
        for (const [name, t] of scratch.tables) rs.tables.set(name, t);
        break;
      }
      const d = r.diagnostics[0];
      const at = (d.line ?? 0) - ipt.lineOffset - 1;
      out.push({ ...d, col: ruleColumn(ipt, d.line ?? 0, d.message) });
      // A table header or COMMIT cannot be left out without changing what every line after it means.
      if (lines[at] === undefined || /^\s*(\*|COMMIT\b)/.test(lines[at])) break;
      lines[at] = '';
    }
  }
  for (const c of spec.iptablesCmds) {
    const split = splitShellWords(c.text);
    if (!split.ok || (split.words[0] !== 'iptables' && split.words[0] !== 'iptables-nft')) continue;
    const r = runIptables(rs, split.words.slice(1), lookups(spec));
    if (r.exitCode !== 0) out.push({ ...c.pos, message: `${c.text}: ${r.stderr.trim().split('\n')[0]}` });
  }
  return out;
}

function checkScenario(file: string): Diagnostic[] {
  const partial: NodeSpec[] = [];
  const sc = loadScenarioFile(file, partial);
  // The loader stops at the topology's YAML (a file or inline); its rules are checked all the same.
  if (!sc.ok) return [...sc.error, ...partial.flatMap(checkRules)];
  const diags = checkTopology(sc.value.topology);
  if (diags.length) return diags;
  return checkSteps(sc.value);
}

/** Commands whose success depends on the traffic so far (conntrack entries), which a check does not send. */
const TRAFFIC_DEPENDENT = new Set(['conntrack']);

/** Runs the scenario's commands in order on a lab that sends nothing, and looks up every rule the steps name. */
function checkSteps(sc: Scenario): Diagnostic[] {
  const built = Lab.build(sc.topology, { seed: sc.seed, record: false });
  if (!built.ok) return built.error;
  const lab = built.value;
  const out: Diagnostic[] = [];
  const ref = (r: RuleRef, pos: SourcePos, key: string) => {
    const node = lab.node(r.node);
    if (!node) return;
    const c = r.nft
      ? key === 'counters'
        ? nftCounter(lab, r.node, r.table, r.chain, r.nft)
        : findNftRule(lab, r.node, r.table, r.chain, r.nft)
      : node.views.counter(r.table, r.chain, r.rule);
    if ('error' in c) out.push({ ...pos, message: `${key} "${r.text}": ${c.error} at this step` });
  };
  for (const step of sc.steps) {
    if (step.kind === 'exec') {
      for (const cmd of step.cmds) {
        const words = splitShellWords(cmd);
        const o = lab.exec(step.on, cmd, step.stdin);
        const want = step.expect?.exit ?? 0;
        if (o.exitCode === want) continue;
        if (o.exitCode !== 127 && words.ok && TRAFFIC_DEPENDENT.has(words.words[0] ?? '')) continue;
        const why = (o.stderr || o.stdout).trim().split('\n')[0] ?? '';
        out.push({
          ...step.pos,
          message: `exec on ${step.on}: \`${cmd}\` exits ${o.exitCode}${want ? ` (the step expects ${want})` : ''}: ${why}`,
        });
      }
    } else if (step.kind === 'connect' || step.kind === 'send' || step.kind === 'ping') {
      for (const r of step.expect?.passes ?? []) ref(r, step.pos, 'passes');
      for (const r of step.expect?.not_passes ?? []) ref(r, step.pos, 'not_passes');
    } else if (step.kind === 'expect') {
      for (const c of step.counters) {
        const text = c.nft ? nftRefText(c.node, c.table, c.chain, c.nft) : `${c.node} ${c.table}/${c.chain}${c.rule ? `#${c.rule}` : ''}`;
        ref({ ...c, text }, c.pos, 'counters');
      }
    }
  }
  return out;
}

/** By file (in the order they first appear), then line and column, so a reader can walk down the file. */
function ordered(ds: Diagnostic[]): Diagnostic[] {
  const files = [...new Set(ds.map((d) => d.file))];
  return ds
    .map((d, i) => ({ d, i }))
    .sort(
      (a, b) =>
        files.indexOf(a.d.file) - files.indexOf(b.d.file) ||
        (a.d.line ?? 0) - (b.d.line ?? 0) ||
        (a.d.col ?? 0) - (b.d.col ?? 0) ||
        a.i - b.i,
    )
    .map((x) => x.d);
}

function unique(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = formatDiagnostic(d);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
