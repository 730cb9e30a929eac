import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic } from '../core/diagnostic.js';
import { loadTopologyFile } from '../topology/load.js';
import type { Topology } from '../topology/model.js';
import { loadScenarioFile } from '../scenario/load.js';
import { runScenario } from '../scenario/runner.js';
import { renderJunit, renderScenarioText, summaryLine } from '../scenario/text-report.js';
import { Lab } from '../lab/lab.js';
import { traceOnce } from '../session/trace-once.js';
import { renderTraceText } from '../trace/render.js';
import { exportNetns } from '../export/netns.js';
import { ExitError, flag, has, parseArgs, type Parsed, UsageError } from './args.js';
import { CaptureError, startCapture } from '../capture/capture.js';

type Command = (argv: string[]) => Promise<number>;

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

const run: Command = async (argv) => {
  const p = parseArgs(argv, {
    json: {},
    junit: { value: true },
    color: {},
    'no-color': {},
    pcap: { value: true },
    capture: { value: true },
  });
  if (!p.positional.length) throw new UsageError('run needs at least one scenario file');
  const reports = [];
  for (const [i, file] of p.positional.entries()) {
    const sc = loadScenarioFile(file);
    if (!sc.ok) throw new ExitError(unreadable(sc.error) ? 2 : 1, sc.error);
    const onLab = captureFor(p, i, p.positional.length);
    reports.push(runScenario(sc.value, onLab ? { onLab } : {}));
  }
  const junit = flag(p, 'junit');
  if (junit) writeFileSync(junit, renderJunit(reports));
  if (has(p, 'json')) {
    process.stdout.write(JSON.stringify(reports.length === 1 ? reports[0] : { scenarios: reports }, null, 2) + '\n');
  } else {
    const color = has(p, 'color') || (!has(p, 'no-color') && process.stdout.isTTY === true && !process.env.NO_COLOR);
    for (const r of reports) process.stdout.write(renderScenarioText(r, color) + '\n');
    process.stdout.write(summaryLine(reports) + '\n');
  }
  return reports.every((r) => r.passed) ? 0 : 1;
};

const check: Command = async (argv) => {
  const p = parseArgs(argv, {});
  if (!p.positional.length) throw new UsageError('check needs a topology or scenario file');
  let failed = false;
  let unread = false;
  for (const file of p.positional) {
    const isScenario = /^\s*steps\s*:/m.test(safeRead(file));
    const r = isScenario ? loadScenarioFile(file) : loadTopologyFile(file);
    let diags = r.ok ? [] : r.error;
    if (r.ok) {
      const topo = 'steps' in r.value ? r.value.topology : r.value;
      const built = Lab.build(topo, { seed: 1, record: false });
      if (!built.ok) diags = built.error;
    }
    for (const d of diags) process.stderr.write(`${formatDiagnostic(d)}\n`);
    if (diags.length) {
      failed = true;
      unread ||= unreadable(diags);
    } else process.stdout.write(`${file}: ok\n`);
  }
  return unread ? 2 : failed ? 1 : 0;
};

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

const trace: Command = async (argv) => {
  const p = parseArgs(argv, {
    from: { value: true },
    to: { value: true },
    proto: { value: true },
    json: {},
    uid: { value: true },
    seed: { value: true },
    pcap: { value: true },
    capture: { value: true },
  });
  if (p.positional.length !== 1) throw new UsageError('trace needs one topology file');
  const from = flag(p, 'from');
  const to = flag(p, 'to');
  if (!from || !to) throw new UsageError('trace needs --from NODE and --to IP[:PORT]');
  const lab = buildLab(loadTopo(p.positional[0]), Number(flag(p, 'seed') ?? 1));
  const proto = flag(p, 'proto') ?? (to.includes(':') ? 'tcp' : 'icmp');
  if (!['tcp', 'udp', 'icmp'].includes(proto)) throw new UsageError('--proto is tcp, udp or icmp');
  const stopCapture = captureFor(p, 0, 1)?.(lab);
  const r = traceOnce(lab, { from, to, proto: proto as 'tcp' | 'udp' | 'icmp', uid: Number(flag(p, 'uid') ?? 0) });
  stopCapture?.();
  if ('error' in r) throw new UsageError(r.error);
  if (has(p, 'json')) {
    for (const t of r.traces) process.stdout.write(JSON.stringify({ packet: t.packet, steps: t.steps, outcome: t.outcome }) + '\n');
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
  const p = parseArgs(argv, {
    node: { value: true },
    counters: { short: 'c' },
    table: { value: true, short: 't' },
    after: { value: true },
  });
  if (p.positional.length !== 1) throw new UsageError('save needs one topology file');
  const nodeName = flag(p, 'node');
  if (!nodeName) throw new UsageError('save needs --node NODE');
  let lab: Lab;
  const after = flag(p, 'after');
  if (after) {
    const sc = loadScenarioFile(after);
    if (!sc.ok) throw new ExitError(1, sc.error);
    lab = buildLab(sc.value.topology, sc.value.seed);
    const { runStep } = await import('../scenario/runner.js');
    sc.value.steps.forEach((s, i) => runStep(lab, s, i + 1));
  } else lab = buildLab(loadTopo(p.positional[0]));
  const node = lab.node(nodeName);
  if (!node) throw new UsageError(`no node "${nodeName}"; nodes: ${[...lab.nodes.keys()].join(', ')}`);
  process.stdout.write(node.views.save(has(p, 'counters'), flag(p, 'table')));
  return 0;
};

const exportCmd: Command = async (argv) => {
  const p = parseArgs(argv, { format: { value: true }, prefix: { value: true } });
  if (p.positional.length !== 1) throw new UsageError('export needs one topology file');
  if ((flag(p, 'format') ?? 'netns') !== 'netns') throw new UsageError('the only export format is netns');
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

/** `nflab matrix`: the work is in src/matrix; here a topology that does not load or build is exit 2, as SPEC section 8 asks. */
const matrix: Command = async (argv) => {
  const p = parseArgs(argv, {
    from: { value: true },
    to: { value: true },
    proto: { value: true },
    against: { value: true },
    seed: { value: true },
    json: {},
  });
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
    const opts = {
      from: m.parseFrom(flag(p, 'from')),
      to: m.parseTo(flag(p, 'to')),
      proto: m.parseProto(flag(p, 'proto')),
      seed,
      json: has(p, 'json'),
    };
    const a = load(p.positional[0]);
    const against = flag(p, 'against');
    const r = against ? m.matrixAgainst(a, load(against), opts) : m.matrixOne(a, opts);
    process.stdout.write(r.stdout);
    return r.code;
  } catch (e) {
    if (e instanceof MatrixInputError) throw new UsageError(e.message);
    throw e;
  }
};

export const commands: Record<string, Command> = { run, check, trace, save, export: exportCmd, tui, serve, matrix };
