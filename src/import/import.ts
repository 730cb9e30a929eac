/**
 * `nflab import`: bundles in, a topology directory out, which `nflab check`
 * accepts. What nflab refuses is left out line by line, each with a warning;
 * what it cannot model is approximated and listed; nothing goes silently.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Diagnostic } from '../core/diagnostic.js';
import { formatDiagnostic } from '../core/diagnostic.js';
import { Lab } from '../lab/lab.js';
import { loadTopologyFile } from '../topology/load.js';
import { assemble, type ImportLab } from './assemble.js';
import { formatWarning, parseBundle, type Bundle, type Warning } from './bundle.js';
import type { ImportContext } from './model.js';
import { writeLab, type Written } from './write.js';

export interface ImportInput {
  file: string;
  text: string;
}

export interface ImportResult {
  /** Absolute path of the topology written, or null when nothing could be imported. */
  topology: string | null;
  warnings: string[];
  summary: string;
  /** Problems that remain after import (the topology does not pass check): a bug or input nflab cannot take. */
  errors: string[];
}

const MAX_ROUNDS = 50;

export function importBundles(inputs: ImportInput[], outDir: string, opts: { stripPrefix?: string } = {}): ImportResult {
  const warnings: string[] = [];
  const ctx: ImportContext = { warn: (w: Warning) => warnings.push(formatWarning(w)), approximated: [], automaticV6: 0 };
  const bundles: Bundle[] = [];
  for (const i of inputs) {
    const b = parseBundle(i.file, i.text, ctx.warn);
    if (b) bundles.push(b);
  }
  if (bundles.length === 0) return { topology: null, warnings, summary: 'nothing imported', errors: ['no readable bundle'] };
  const lab = assemble(bundles, opts.stripPrefix, ctx);
  const header = () => [
    `Imported by nflab import from ${bundles.map((b) => `${b.file} (host ${b.host}, kernel ${b.kernel || '?'}, bundle v${b.version})`).join(', ')}.`,
    ...(ctx.approximated.length ? ['Approximated or left out:', ...ctx.approximated.map((a) => `  - ${a}`)] : []),
  ];
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const topoPath = join(dir, 'topology.yaml');
  let errors: string[] = [];
  let written: Written | null = null;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    written = writeLab(lab, header());
    for (const [rel, text] of written.files) writeFileSync(join(dir, rel), text);
    const diags = check(topoPath);
    if (diags.length === 0) {
      errors = [];
      break;
    }
    // Several diagnostics may point at one item, and removing one shifts the others: mark first, remove after.
    const drop = new Set<unknown>();
    const fixed = diags.map((d) => leaveOut(d, written!, dir, ctx, drop)).some(Boolean);
    for (const n of lab.nodes) {
      n.routes = n.routes.filter((x) => !drop.has(x));
      n.rules = n.rules.filter((x) => !drop.has(x));
      n.listen = n.listen.filter((x) => !drop.has(x));
      n.sysctl = n.sysctl.filter((x) => !drop.has(x));
      n.ipsets = n.ipsets.filter((x) => !drop.has(x));
    }
    errors = diags.map(formatDiagnostic);
    if (!fixed) break;
  }
  return { topology: topoPath, warnings, summary: summarize(lab, topoPath, ctx, errors.length === 0), errors };
}

function check(path: string): Diagnostic[] {
  const r = loadTopologyFile(path);
  if (!r.ok) return r.error;
  const built = Lab.build(r.value, { seed: 1, record: false });
  return built.ok ? [] : built.error;
}

/** Removes what a diagnostic points at, with a warning; false when it points at nothing the import can leave out. */
function leaveOut(d: Diagnostic, w: Written, dir: string, ctx: ImportContext, drop: Set<unknown>): boolean {
  const warn = (x: Warning) => {
    ctx.warn(x);
    ctx.approximated.push(`${x.ns ?? ''} ${x.section ?? ''}: ${x.message}`.trim());
  };
  if (d.file === undefined || d.line === undefined) return false;
  if (resolve(d.file) === join(dir, 'topology.yaml')) {
    const ref = w.items.get(d.line);
    if (!ref) return false;
    const n = ref.node;
    const from = { file: n.bundle.file, ns: n.ns.kind === 'root' ? 'root' : `${n.ns.kind} ${n.ns.arg}` };
    const list: unknown[] = { route: n.routes, rule: n.rules, listen: n.listen, sysctl: n.sysctl, ipset: n.ipsets, iface: n.ifaces }[
      ref.kind
    ];
    const item = list[ref.index];
    if (item === undefined || drop.has(item)) return item !== undefined;
    switch (ref.kind) {
      case 'route':
      case 'rule': {
        const r = item as (typeof n.routes)[number];
        drop.add(r);
        warn({
          ...from,
          line: r.line,
          section: r.section,
          message: `nflab refuses ${ref.kind} "${r.text}" (${firstLine(d.message)}); left out`,
        });
        return true;
      }
      case 'listen': {
        const l = item as (typeof n.listen)[number];
        drop.add(l);
        warn({
          ...from,
          line: l.line,
          section: 'ss',
          message: `nflab refuses listener ${l.proto}:${l.port} (${firstLine(d.message)}); left out`,
        });
        return true;
      }
      case 'sysctl': {
        const x = item as (typeof n.sysctl)[number];
        drop.add(x);
        warn({ ...from, section: 'sysctl', message: `nflab refuses sysctl ${x[0]} = ${x[1]} (${firstLine(d.message)}); left out` });
        return true;
      }
      case 'ipset': {
        const x = item as (typeof n.ipsets)[number];
        drop.add(x);
        warn({ ...from, section: 'ipset', message: `nflab refuses ipset ${x.name} (${firstLine(d.message)}); left out` });
        return true;
      }
      case 'iface': {
        const i = item as (typeof n.ifaces)[number];
        if (i.mac === null && i.mtu === null && i.master === null) return false;
        warn({
          ...from,
          section: 'link',
          message: `nflab refuses interface ${i.name} as captured (${firstLine(d.message)}); imported without its MAC, MTU and master`,
        });
        i.mac = i.mtu = i.master = null;
        return true;
      }
    }
  }
  const nftRel = [...w.nftFiles.keys()].find((f) => resolve(d.file!) === join(dir, f));
  if (nftRel !== undefined) {
    const n = w.nftFiles.get(nftRel)!;
    if (n.nftRefused) return true;
    n.nftRefused = true;
    const ns = n.ns.kind === 'root' ? 'root' : `${n.ns.kind} ${n.ns.arg}`;
    warn({
      file: n.bundle.file,
      ns,
      section: 'nft',
      message: `nflab refuses these nftables tables (${nftRel}:${d.line}: ${firstLine(d.message)}); kept in ${nftRel} but not loaded`,
    });
    return true;
  }
  const rel = [...w.rulesFiles.keys()].find((f) => resolve(d.file!) === join(dir, f));
  if (rel === undefined) return false;
  const n = w.rulesFiles.get(rel)!;
  const ipt = n.iptables;
  if (ipt === null) return true; // an earlier diagnostic of this round already left these rules out
  const lines = ipt.text.split('\n');
  const k = d.line - 1;
  const text = lines[k] ?? '';
  const from = { file: n.bundle.file, ns: n.ns.kind === 'root' ? 'root' : `${n.ns.kind} ${n.ns.arg}`, section: 'iptables' };
  if (/^-[AI] /.test(text)) {
    lines[k] = `# nflab import left out: ${text}`;
    ipt.text = lines.join('\n');
    warn({ ...from, line: ipt.line + k, message: `nflab refuses this rule (${firstLine(d.message)}); left out: ${text}` });
    return true;
  }
  n.iptables = null;
  warn({
    ...from,
    line: ipt.line + k,
    message: `nflab refuses these rules (${firstLine(d.message)}); the node's iptables rules are left out`,
  });
  return true;
}

function summarize(lab: ImportLab, path: string, ctx: ImportContext, ok: boolean): string {
  const hosts = new Set(lab.nodes.map((n) => n.host)).size + lab.lans.size;
  const rules = lab.nodes.reduce((s, n) => s + (n.iptables ? (n.iptables.text.match(/^-[AI] /gm) ?? []).length : 0), 0);
  const parts = [
    `${lab.nodes.length + lab.lans.size} nodes (${hosts} hosts)`,
    `${lab.links.length} links`,
    `${rules} iptables rules`,
    `${lab.nodes.reduce((s, n) => s + n.ipsets.length, 0)} ipsets`,
    `${lab.nodes.reduce((s, n) => s + n.listen.length, 0)} listeners`,
    `${lab.nodes.reduce((s, n) => s + n.routes.length, 0)} routes`,
    `${lab.nodes.reduce((s, n) => s + n.rules.length, 0)} policy rules`,
  ];
  if (ctx.automaticV6) parts.push(`${ctx.automaticV6} automatic IPv6 addresses (::1, fe80::) not imported`);
  const approx = ctx.approximated.length ? `; approximated or left out: ${ctx.approximated.join('; ')}` : '; nothing approximated';
  return `${ok ? 'imported' : 'imported with errors'} ${path}: ${parts.join(', ')}${approx}`;
}

/** A refusal's first line: iptables follows some messages with a usage hint, which a one-line warning leaves out. */
function firstLine(message: string): string {
  const nl = message.indexOf('\n');
  return nl < 0 ? message : message.slice(0, nl);
}
