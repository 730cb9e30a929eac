/**
 * The kernel side of differential tests: builds a topology out of real
 * namespaces with the exported script, probes it with the same questions a
 * scenario asks nflab, and reads back conntrack, counters, routes and
 * first-packet traces. Real time lives here (process timeouts), never in nflab.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportNetns, namespaceSuffix } from '../../src/export/netns.js';
import { TRACE_DSCP, TRACE_TOS } from '../../src/export/apps-py.js';
import type { Topology } from '../../src/topology/model.js';
import { parseConntrack, type CtEntry } from './conntrack-parse.js';
import { handlePositions, orderNodeTraces, parseNftTrace, type TraceStep, type RawTraceEvent } from './trace-parse.js';

export type { CtEntry, TraceStep };

/**
 * Every namespace this harness makes starts with this, then the pid, so a sweep can tell stale runs from live ones.
 * NFLAB_NS_PREFIX (letters only) sets another, so that several people testing on one machine never share namespaces.
 */
export const HARNESS_PREFIX = /^[a-z]+$/.test(process.env.NFLAB_NS_PREFIX ?? '') ? process.env.NFLAB_NS_PREFIX! : 'nfs';
const STALE = new RegExp(`^${HARNESS_PREFIX}(\\d+)x\\d+-`);

export interface Availability {
  ok: boolean;
  why: string;
}

/** spawnSync's default 1 MiB would cut a large ruleset's iptables-save or conntrack listing short. */
const MAX_OUTPUT = 256 * 1024 * 1024;

function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}) {
  const r = spawnSync(cmd, args, { input: opts.input, timeout: opts.timeoutMs ?? 20_000, encoding: 'utf8', maxBuffer: MAX_OUTPUT });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

let availability: Availability | null = null;

/** Whether this machine can build kernel labs, and if not, why (printed in the skipped test's name). */
export function kernelAvailable(): Availability {
  if (availability !== null) return availability;
  const fail = (why: string) => (availability = { ok: false, why });
  if (process.platform !== 'linux') return fail('not Linux');
  if (process.getuid?.() !== 0) return fail('not root (ip netns needs root)');
  for (const [tool, arg] of [
    ['ip', '-V'],
    ['iptables-restore', '--version'],
    ['nft', '--version'],
    ['python3', '--version'],
    ['setpriv', '--version'],
    ['conntrack', '--version'],
  ]) {
    if (run(tool, [arg]).code !== 0) return fail(`${tool} is not installed`);
  }
  const probe = `${HARNESS_PREFIX}${process.pid}probe`;
  const add = run('ip', ['netns', 'add', probe]);
  run('ip', ['netns', 'delete', probe]);
  if (add.code !== 0) return fail(`ip netns add fails: ${add.stderr.trim()}`);
  return (availability = { ok: true, why: 'kernel labs available' });
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type ConnectResult = 'connected' | 'refused' | 'timeout' | 'unreachable' | 'no-route';
export interface ProbeOptions {
  proto?: 'tcp' | 'udp';
  uid?: number;
  src?: string;
  sport?: number;
  timeoutMs?: number;
  line?: string;
}
export interface ProbeAnswer {
  result: ConnectResult;
  errno?: string;
  server?: string;
  serverSees?: string;
  answer?: string;
}
export type SendResult = 'delivered' | 'refused' | 'timeout' | 'unreachable' | 'no-route';
export type PingResult = 'reply' | 'timeout' | 'unreachable' | 'no-route';

export type TraceProbe =
  | ({ kind: 'connect'; from: string; ip: string; port: number } & ProbeOptions)
  | { kind: 'ping'; from: string; ip: string; timeoutMs?: number };

export interface TraceResult {
  probe: ProbeAnswer | { result: PingResult };
  steps: TraceStep[];
  /** Each node's nft trace lines, for debugging a mismatch. */
  raw: Record<string, string[]>;
}

const live = new Set<KernelLab>();
let counter = 0;
let handlersInstalled = false;

function installCleanupHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const downAll = () => {
    for (const lab of [...live]) lab.down();
  };
  process.on('exit', downAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      downAll();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Removes namespaces and state left by harness runs whose process is gone (a crash, a kill -9). */
export function sweepStale(): string[] {
  const removed: string[] = [];
  const list = run('ip', ['netns', 'list'])
    .stdout.split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);
  for (const ns of list) {
    const m = STALE.exec(ns);
    if (m === null || pidAlive(Number(m[1]))) continue;
    for (const pid of run('ip', ['netns', 'pids', ns]).stdout.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    run('ip', ['netns', 'delete', ns]);
    rmSync(`/run/nflab/${ns.slice(0, ns.indexOf('-'))}`, { recursive: true, force: true });
    removed.push(ns);
  }
  return removed;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Namespaces whose name starts with `prefix-`. */
export function namespacesWithPrefix(prefix: string): string[] {
  return run('ip', ['netns', 'list'])
    .stdout.split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(`${prefix}-`));
}

export class KernelLab {
  private dir: string;
  private script: string;
  private traceReady = false;
  private isUp = false;

  private constructor(
    readonly topo: Topology,
    readonly prefix: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    this.script = join(this.dir, 'lab.sh');
    writeFileSync(this.script, exportNetns(topo, { prefix }), { mode: 0o755 });
  }

  /** Builds the lab; throws with the script's own message when it cannot (having removed what it built). */
  static up(topo: Topology, opts: { prefix?: string } = {}): KernelLab {
    installCleanupHandlers();
    sweepStale();
    const prefix = opts.prefix ?? `${HARNESS_PREFIX}${process.pid}x${++counter}`;
    const lab = new KernelLab(topo, prefix);
    live.add(lab);
    const r = lab.script_('up');
    if (r.code !== 0) {
      lab.down();
      throw new Error(`lab.sh up failed (${r.code}): ${r.stderr.trim()}`);
    }
    lab.isUp = true;
    return lab;
  }

  /** Idempotent; safe after a failed up. */
  down(): void {
    this.script_('down');
    this.isUp = false;
    live.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }

  get running(): boolean {
    return this.isUp;
  }

  scriptText(): string {
    return exportNetns(this.topo, { prefix: this.prefix });
  }

  private script_(verb: string): ExecResult {
    const r = spawnSync('bash', [this.script, verb], {
      env: { ...process.env, NFLAB_PREFIX: this.prefix },
      encoding: 'utf8',
      timeout: 60_000,
      maxBuffer: MAX_OUTPUT,
    });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
  }

  ns(node: string): string {
    if (!this.topo.nodes.some((n) => n.name === node)) throw new Error(`no node "${node}" in ${this.topo.name}`);
    return `${this.prefix}-${namespaceSuffix(node)}`;
  }

  private get apps(): string {
    return `/run/nflab/${this.prefix}/apps.py`;
  }

  exec(node: string, argv: string[], opts: { uid?: number; timeoutMs?: number; stdin?: string } = {}): ExecResult {
    const as = opts.uid === undefined ? [] : ['setpriv', '--reuid', String(opts.uid), '--regid', String(opts.uid), '--clear-groups'];
    return run('ip', ['netns', 'exec', this.ns(node), ...as, ...argv], { input: opts.stdin, timeoutMs: opts.timeoutMs });
  }

  private probeArgs(ip: string, port: number, o: ProbeOptions, tos: number): string[] {
    return [
      '/usr/bin/python3',
      this.apps,
      'connect',
      o.proto ?? 'tcp',
      ip,
      String(port),
      o.src ?? '',
      String(o.sport ?? 0),
      String(o.timeoutMs ?? 900),
      String(tos),
      o.line ?? 'hello',
    ];
  }

  /** A TCP connect (or a UDP exchange) as a scenario's `connect` step sees it. */
  connect(from: string, ip: string, port: number, opts: ProbeOptions = {}): ProbeAnswer {
    return parseProbe(this.exec(from, this.probeArgs(ip, port, opts, 0), { uid: opts.uid, timeoutMs: (opts.timeoutMs ?? 900) * 3 + 5000 }));
  }

  /** One UDP datagram: `delivered` when the echo answered. */
  send(from: string, ip: string, port: number, opts: Omit<ProbeOptions, 'proto'> = {}): { result: SendResult; serverSees?: string } {
    const a = this.connect(from, ip, port, { ...opts, proto: 'udp' });
    return { result: a.result === 'connected' ? 'delivered' : a.result, serverSees: a.serverSees };
  }

  ping(from: string, ip: string, opts: { timeoutMs?: number } = {}): PingResult {
    const r = this.exec(from, ['/usr/bin/python3', this.apps, 'ping', ip, String(opts.timeoutMs ?? 900), '0']);
    return parseProbe(r).result as PingResult;
  }

  conntrack(node: string): CtEntry[] {
    const r = this.exec(node, ['conntrack', '-L']);
    if (r.code !== 0) throw new Error(`conntrack -L on ${node}: ${r.stderr.trim()}`);
    return parseConntrack(r.stdout);
  }

  /** `iptables-save [-c] [-t T]` without its `#` lines, as `nflab save` prints. */
  save(node: string, opts: { counters?: boolean; table?: string } = {}): string {
    const args = ['iptables-save', ...(opts.counters ? ['-c'] : []), ...(opts.table ? ['-t', opts.table] : [])];
    const r = this.exec(node, args);
    if (r.code !== 0) throw new Error(`iptables-save on ${node}: ${r.stderr.trim()}`);
    return r.stdout
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
  }

  routeGet(
    node: string,
    dst: string,
    opts: { mark?: number; from?: string; iif?: string } = {},
  ): { text: string; dev?: string; via?: string; src?: string; error?: string } {
    const args = ['ip', '-o', 'route', 'get', dst];
    if (opts.from) args.push('from', opts.from);
    if (opts.iif) args.push('iif', opts.iif);
    if (opts.mark !== undefined) args.push('mark', `0x${opts.mark.toString(16)}`);
    const r = this.exec(node, args);
    if (r.code !== 0) return { text: '', error: r.stderr.trim() };
    const w = r.stdout.trim().split(/\s+/);
    const after = (k: string) => {
      const i = w.indexOf(k);
      return i >= 0 ? w[i + 1] : undefined;
    };
    return { text: r.stdout.trim(), dev: after('dev'), via: after('via'), src: after('src') };
  }

  /**
   * The first packet's path through every namespace's netfilter: a private
   * nftables table marks packets carrying the probe's DSCP, and `nft monitor
   * trace` in each namespace reports the rules they hit.
   */
  async trace(probe: TraceProbe): Promise<TraceResult> {
    this.installTraceTables();
    const monitors = this.topo.nodes.map((n) => {
      const child = spawn('ip', ['netns', 'exec', this.ns(n.name), 'nft', '-a', 'monitor', 'trace'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const lines: Array<{ at: bigint; text: string }> = [];
      let partial = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        const at = process.hrtime.bigint();
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        for (const text of parts) if (text.startsWith('trace id')) lines.push({ at, text });
      });
      return { node: n.name, child, lines };
    });
    try {
      // nft subscribes to the trace group as it starts; give it that moment.
      await pause(300);
      const out = await runAsync('ip', ['netns', 'exec', this.ns(probe.from), ...this.traceProbeArgs(probe)]);
      await pause(200);
      const answer = parseProbe(out);
      const events: RawTraceEvent[] = [];
      const raw: Record<string, string[]> = {};
      for (const m of monitors) {
        raw[m.node] = m.lines.map((l) => l.text);
        for (const l of m.lines) {
          const e = parseNftTrace(l.text);
          if (e !== null && e.table !== 'nflab_trace') events.push({ ...e, node: m.node, at: l.at });
        }
      }
      const steps = orderNodeTraces(events, probe.from, this.topo).map((e) => this.toStep(e));
      return { probe: answer, steps, raw };
    } finally {
      for (const m of monitors) if (m.child.pid !== undefined) m.child.kill('SIGTERM');
    }
  }

  private traceProbeArgs(p: TraceProbe): string[] {
    if (p.kind === 'ping') return ['/usr/bin/python3', this.apps, 'ping', p.ip, String(p.timeoutMs ?? 900), String(TRACE_TOS)];
    const as = p.uid === undefined ? [] : ['setpriv', '--reuid', String(p.uid), '--regid', String(p.uid), '--clear-groups'];
    return [...as, ...this.probeArgs(p.ip, p.port, p, TRACE_TOS)];
  }

  private positions = new Map<string, Map<number, number>>();

  private toStep(e: RawTraceEvent & { hook: string }): TraceStep {
    const step: TraceStep = { node: e.node, hook: e.hook, table: e.table, chain: e.chain, rule: null, verdict: e.verdict };
    if (e.kind === 'policy') step.policy = true;
    else {
      step.rule = this.rulePosition(e.node, e.table, e.chain, e.handle ?? -1);
      if (e.target !== undefined) step.target = e.target;
      step.nftRule = e.ruleText;
    }
    return step;
  }

  /** nft reports rule handles; iptables counts positions. Each iptables rule is one nft rule, in order. */
  private rulePosition(node: string, table: string, chain: string, handle: number): number | null {
    const key = `${node}\0${table}\0${chain}`;
    let map = this.positions.get(key);
    if (map === undefined) {
      map = handlePositions(this.exec(node, ['nft', '-a', 'list', 'chain', 'ip', table, chain]).stdout);
      this.positions.set(key, map);
    }
    return map.get(handle) ?? null;
  }

  private installTraceTables(): void {
    this.positions.clear();
    if (this.traceReady) return;
    const mark = `ip dscp 0x${TRACE_DSCP.toString(16)}`;
    // Only first packets: a SYN without ACK, a UDP datagram, an echo request. A RST
    // or echo reply that reflects the probe's TOS is not traced.
    const body = [
      `${mark} tcp flags & (syn | ack) == syn meta nftrace set 1`,
      `${mark} meta l4proto udp meta nftrace set 1`,
      `${mark} icmp type echo-request meta nftrace set 1`,
    ];
    const chain = (name: string, hook: string) =>
      `  chain ${name} {\n    type filter hook ${hook} priority -500; policy accept;\n${body.map((b) => `    ${b}\n`).join('')}  }\n`;
    const text = `table ip nflab_trace {\n${chain('pre', 'prerouting')}${chain('out', 'output')}}\n`;
    for (const n of this.topo.nodes) {
      const r = this.exec(n.name, ['nft', '-f', '-'], { stdin: text });
      if (r.code !== 0) throw new Error(`cannot add the nflab_trace table on ${n.name}: ${r.stderr.trim()}`);
    }
    this.traceReady = true;
  }
}

/** The JSON line a probe client prints last; throws when there is none or it reports an error. */
export function parseProbe(r: ExecResult): ProbeAnswer {
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const o = JSON.parse(line) as Omit<ProbeAnswer, 'result'> & { result: string };
    if (o.result === 'error') throw new Error(`probe failed: ${line}`);
    return o as ProbeAnswer;
  } catch (e) {
    throw new Error(`probe gave no answer (exit ${r.code}): ${r.stdout.trim()} ${r.stderr.trim()} ${e instanceof Error ? e.message : ''}`, {
      cause: e,
    });
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function runAsync(cmd: string, args: string[]): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
