import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic } from '../core/diagnostic.js';
import { loadTopologyFile } from '../topology/load.js';
import type { Topology } from '../topology/model.js';
import { loadScenarioFile } from '../scenario/load.js';
import { runScenario } from '../scenario/runner.js';
import { checkFile } from '../scenario/check.js';
import { renderJunit, renderScenarioText, summaryLine } from '../scenario/text-report.js';
import { Lab } from '../lab/lab.js';
import { traceOnce } from '../session/trace-once.js';
import { renderTraceText } from '../trace/render.js';
import { exportNetns } from '../export/netns.js';
import { ExitError, flag, has, parseArgs, type Parsed, UsageError } from './args.js';
import { CaptureError, startCapture } from '../capture/capture.js';
import { parseDuration } from '../core/time.js';
import { bashCompletion, zshCompletion } from './help.js';
import { type CommandDef, commandDef, flagSpecs, TABLE_NAMES } from './defs.js';
import { exportContainerlabCmd, importCmd, snapshotScript } from './import-commands.js';

// Sync or async: main awaits whatever a command returns, so a throw is handled the same either way.
type Command = (argv: string[]) => number | Promise<number>;

const here = dirname(fileURLToPath(import.meta.url));
/** The bundled labs, beside dist/ (or src/) in the package. */
export const BUNDLED = resolve(here, '../../topologies');
export const DEFAULT_TOPOLOGY = resolve(BUNDLED, 'docker-port-mapping.yaml');

function loadTopo(path: string): Topology {
  const r = loadTopologyFile(path);
  if (!r.ok) throw new ExitError(unreadable(r.error) ? 2 : 1, r.error);
  return r.value;
}

function unreadable(d: { message: string; line?: number }[]): boolean {
  return d.length === 1 && d[0].line === undefined;
}

function buildLab(topo: Topology, seed = 1): Lab {
  const r = Lab.build(topo, { seed });
  if (!r.ok) throw new ExitError(1, r.error);
  return r.value;
}

/** `--pcap FILE [--capture NODE:IFACE,...]`: a capture for a lab, or nothing. With several labs, FILE gets `-N` before its extension. */
function captureFor(p: Parsed, index: number, total: number): ((lab: Lab) => () => void) | undefined {
  const file = flag(p, 'pcap');
  if (!file) {
    if (has(p, 'capture')) throw new UsageError('--capture needs --pcap FILE');
    return undefined;
  }
  const filter = flag(p, 'capture')?.split(',').filter(Boolean);
  const target = total > 1 ? file.replace(/(\.pcapng)?$/, (ext) => `-${index + 1}${ext}`) : file;
  return (lab) => {
    try {
      const c = startCapture(lab, target, filter);
      return () => c.stop();
    } catch (e) {
      if (e instanceof CaptureError) throw new UsageError(e.message);
      throw e;
    }
  };
}

const run: Command = (argv) => {
  const p = parseArgs(argv, flagSpecs(def('run')));
  if (!p.positional.length) throw new UsageError('run needs at least one scenario file');
  const reports = [];
  for (const [i, file] of p.positional.entries()) {
    const sc = loadScenarioFile(file);
    if (!sc.ok) throw new ExitError(unreadable(sc.error) ? 2 : 1, sc.error);
    const onLab = captureFor(p, i, p.positional.length);
    reports.push(runScenario(sc.value, onLab ? { onLab } : {}));
  }
  if (has(p, 'json')) {
    process.stdout.write(JSON.stringify(reports.length === 1 ? reports[0] : { scenarios: reports }, null, 2) + '\n');
  } else {
    const color = has(p, 'color') || (!has(p, 'no-color') && process.stdout.isTTY === true && !process.env.NO_COLOR);
    for (const r of reports) process.stdout.write(renderScenarioText(r, color) + '\n');
    process.stdout.write(summaryLine(reports) + '\n');
  }
  // After the report, so that an unwritable JUnit path costs the user the file and not what the run found.
  const junit = flag(p, 'junit');
  if (junit) {
    try {
      writeFileSync(junit, renderJunit(reports, p.positional));
    } catch (e) {
      throw new UsageError(`cannot write the JUnit report ${junit}: ${fsReason(e)}`);
    }
  }
  return reports.every((r) => r.passed) ? 0 : 1;
};

const check: Command = (argv) => {
  const p = parseArgs(argv, flagSpecs(def('check')));
  if (!p.positional.length) throw new UsageError('check needs a topology or scenario file');
  let failed = false;
  let unread = false;
  for (const file of p.positional) {
    const r = checkFile(file);
    for (const d of r.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    if (r.diagnostics.length) {
      failed = true;
      unread ||= r.unreadable;
    } else process.stdout.write(`${file}: ok\n`);
  }
  return unread ? 2 : failed ? 1 : 0;
};

/** Why a file could not be read or written, in words. */
export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'a part of the path is not a directory';
  return code ?? (e instanceof Error ? e.message : String(e));
}

function def(name: string): CommandDef {
  return commandDef(name)!;
}

/** An integer option, or a usage error saying what it must be. */
function intFlag(p: Parsed, name: string, min: number, max: number): number | undefined {
  const v = flag(p, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not "${v}"`);
  return Number(v);
}

const trace: Command = (argv) => {
  const p = parseArgs(argv, flagSpecs(def('trace')));
  if (p.positional.length !== 1) throw new UsageError('trace needs one topology file');
  const from = flag(p, 'from');
  const to = flag(p, 'to');
  if (!from || !to) throw new UsageError('trace needs --from NODE and --to IP[:PORT]');
  const proto = flag(p, 'proto') ?? (to.includes(':') ? 'tcp' : 'icmp');
  if (!['tcp', 'udp', 'icmp'].includes(proto)) throw new UsageError(`--proto is tcp, udp or icmp, not "${proto}"`);
  const uid = intFlag(p, 'uid', 0, 0xffffffff) ?? 0;
  const seed = intFlag(p, 'seed', 0, 0xffffffff) ?? 1;
  const timeoutText = flag(p, 'timeout');
  const timeout = timeoutText === undefined ? undefined : parseDuration(timeoutText);
  if (timeout === null || timeout === 0) throw new UsageError(`--timeout takes a duration such as 900ms or 2s, not "${timeoutText}"`);
  const lab = buildLab(loadTopo(p.positional[0]), seed);
  const stopCapture = captureFor(p, 0, 1)?.(lab);
  const r = traceOnce(lab, { from, to, proto: proto as 'tcp' | 'udp' | 'icmp', uid, ...(timeout === undefined ? {} : { timeout }) });
  stopCapture?.();
  if ('error' in r) throw new UsageError(r.error);
  if (has(p, 'json')) {
    for (const t of r.traces)
      process.stdout.write(JSON.stringify({ packet: t.packet, steps: t.steps, outcome: t.outcome, result: r.result }) + '\n');
    // No packet left the sender (no route there): one line all the same, so the result is never lost.
    if (!r.traces.length) process.stdout.write(JSON.stringify({ packet: null, steps: [], outcome: null, result: r.result }) + '\n');
  } else {
    process.stdout.write(`${r.kind} ${from} → ${to}: ${r.result}\n`);
    r.traces.forEach((t, i) => {
      process.stdout.write(
        `\npacket ${i + 1}: ${t.packet.proto} ${t.packet.src} → ${t.packet.dst}${t.packet.flags ? ` [${t.packet.flags}]` : ''}\n`,
      );
      process.stdout.write(renderTraceText(t.steps, t.outcome) + '\n');
    });
  }
  return 0;
};

const save: Command = async (argv) => {
  const p = parseArgs(argv, flagSpecs(def('save')));
  if (p.positional.length !== 1) throw new UsageError('save needs one topology file');
  const nodeNames = p.flags.get('node') ?? [];
  if (!nodeNames.length) throw new UsageError('save needs --node NODE');
  const table = flag(p, 'table');
  // iptables-save's own words and exit status for a table the kernel does not have.
  if (table !== undefined && !(TABLE_NAMES as readonly string[]).includes(table))
    throw new ExitError(1, [{ message: `Table \`${table}' does not exist` }]);
  let lab: Lab;
  const after = flag(p, 'after');
  if (after) {
    const sc = loadScenarioFile(after);
    if (!sc.ok) throw new ExitError(unreadable(sc.error) ? 2 : 1, sc.error);
    lab = buildLab(sc.value.topology, sc.value.seed);
    const { runStep } = await import('../scenario/runner.js');
    sc.value.steps.forEach((s, i) => runStep(lab, s, i + 1));
  } else lab = buildLab(loadTopo(p.positional[0]));
  if (has(p, 'nft')) {
    let out = '';
    for (const name of nodeNames) {
      if (!lab.node(name)) throw new UsageError(`no node "${name}"; nodes: ${[...lab.nodes.keys()].join(', ')}`);
      if (nodeNames.length > 1) out += `# node ${name}\n`;
      out += lab.exec(name, has(p, 'handle') ? 'nft -a list ruleset' : 'nft list ruleset').stdout;
    }
    process.stdout.write(out);
    return 0;
  }
  let out = '';
  for (const name of nodeNames) {
    const node = lab.node(name);
    if (!node) throw new UsageError(`no node "${name}"; nodes: ${[...lab.nodes.keys()].join(', ')}`);
    if (nodeNames.length > 1) out += `# node ${name}\n`;
    out += node.views.save(has(p, 'counters'), table);
  }
  process.stdout.write(out);
  return 0;
};

const exportCmd: Command = (argv) => {
  const p = parseArgs(argv, flagSpecs(def('export')));
  if (p.positional.length !== 1) throw new UsageError('export needs one topology file');
  if (flag(p, 'format') === 'containerlab') return exportContainerlabCmd(loadTopo(p.positional[0]), flag(p, 'out'), flag(p, 'image'));
  if ((flag(p, 'format') ?? 'netns') !== 'netns') throw new UsageError('export formats are netns and containerlab');
  const prefix = flag(p, 'prefix');
  process.stdout.write(exportNetns(loadTopo(p.positional[0]), prefix ? { prefix } : {}));
  return 0;
};

const tui: Command = async (argv) => {
  const file = argv[0] ?? DEFAULT_TOPOLOGY;
  const topo = loadTopo(file);
  const { startTui } = await import('../ui/start.js');
  return startTui(topo, file);
};

const serve: Command = async (argv) => {
  const p = parseArgs(argv, {
    port: { value: true },
    host: { value: true },
    token: { value: true },
    scenario: { value: true },
    'scenario-dir': { value: true },
    'capture-dir': { value: true },
  });
  if (p.positional.length !== 1) throw new UsageError('serve needs one topology file');
  const topo = loadTopo(p.positional[0]);
  const { startFeedServer } = await import('../feed/start.js');
  return startFeedServer(topo, {
    port: Number(flag(p, 'port') ?? 7070),
    host: flag(p, 'host') ?? '127.0.0.1',
    token: flag(p, 'token') ?? null,
    scenario: flag(p, 'scenario') ?? null,
    scenarioDir: flag(p, 'scenario-dir') ?? null,
    captureDir: flag(p, 'capture-dir') ?? null,
  });
};

const completion: Command = (argv) => {
  const p = parseArgs(argv, flagSpecs(def('completion')));
  const shell = p.positional[0];
  if (p.positional.length !== 1 || (shell !== 'bash' && shell !== 'zsh')) throw new UsageError('completion takes bash or zsh');
  process.stdout.write(shell === 'bash' ? bashCompletion() : zshCompletion());
  return 0;
};

/** `nflab matrix`: the work is in src/matrix; here a topology that does not load or build is exit 2 (bad input, not a finding). */
const matrix: Command = async (argv) => {
  const p = parseArgs(argv, flagSpecs(def('matrix')));
  if (p.positional.length !== 1) throw new UsageError('matrix needs one topology file');
  const m = await import('../matrix/command.js');
  const { MatrixInputError } = await import('../matrix/matrix.js');
  const load = (name: string) => {
    const r = loadTopologyFile(name);
    const built = r.ok ? Lab.build(r.value, { seed: 1, record: false }) : r;
    if (!built.ok) throw new ExitError(2, built.error.slice(0, 1));
    return { name, topo: (r as { value: Topology }).value };
  };
  try {
    const seed = Number(flag(p, 'seed') ?? 1);
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError('--seed takes a whole number');
    const jobs = flag(p, 'jobs') === undefined ? undefined : Number(flag(p, 'jobs'));
    if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1)) throw new UsageError('--jobs takes a whole number, 1 or more');
    const html = flag(p, 'html');
    if (html !== undefined && has(p, 'json')) throw new UsageError('--json and --html do not go together');
    if (html !== undefined && flag(p, 'against') !== undefined)
      throw new UsageError('--html draws one matrix, not an --against difference');
    const opts = {
      html: html !== undefined,
      from: m.parseFrom(flag(p, 'from')),
      to: m.parseTo(flag(p, 'to')),
      proto: m.parseProto(flag(p, 'proto')),
      seed,
      json: has(p, 'json'),
      ...(jobs !== undefined ? { jobs } : {}),
      ...(process.stderr.isTTY ? { onProgress: matrixProgress() } : {}),
    };
    const afterFile = flag(p, 'after');
    let after: Array<{ on: string; cmd: string; stdin: string | null }> = [];
    if (afterFile !== undefined) {
      const sc = loadScenarioFile(afterFile);
      if (!sc.ok) throw new ExitError(2, sc.error.slice(0, 1));
      after = sc.value.steps.flatMap((s) => (s.kind === 'exec' ? s.cmds.map((cmd) => ({ on: s.on, cmd, stdin: s.stdin })) : []));
    }
    const a = load(p.positional[0]);
    const against = flag(p, 'against');
    const r = against
      ? await m.matrixAgainst(a, { ...load(against), after, afterName: afterFile }, opts)
      : await m.matrixOne({ ...a, after, afterName: afterFile }, opts);
    if (opts.onProgress) process.stderr.write('\r\x1b[K');
    if (html !== undefined && r.html !== undefined) writeFileSync(html, r.html);
    process.stdout.write(r.stdout);
    return r.code;
  } catch (e) {
    if (e instanceof MatrixInputError) throw new UsageError(e.message);
    throw e;
  }
};

/** On a terminal, a line on stderr counting a long matrix's cells, redrawn in place a few times a second. */
function matrixProgress(): (done: number, total: number) => void {
  let shownAt = 0;
  return (done, total) => {
    const now = performance.now();
    if (now - shownAt < 200 && done < total) return;
    shownAt = now;
    process.stderr.write(`\rnflab matrix: ${done}/${total} cells`);
  };
}

export const commands: Record<string, Command> = {
  run,
  check,
  trace,
  save,
  export: exportCmd,
  tui,
  serve,
  completion,
  'snapshot-script': snapshotScript,
  import: importCmd,
  matrix,
};
