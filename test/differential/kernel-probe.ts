/**
 * Probes on a kernel lab with the first packet traced, fast enough for a suite
 * of many cases: one `nft monitor trace` per namespace for the lab's whole
 * life (the harness starts them per probe, which costs half a second each),
 * and the probe client run asynchronously so trace lines arrive as they happen.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { TRACE_DSCP, TRACE_TOS } from '../../src/export/apps-py.js';
import { parseProbe, type KernelLab, type ProbeAnswer } from '../kernel/harness.js';
import { PROBE_TIMEOUT_MS } from './model.js';
import { handlePositions, orderNodeTraces, parseNftTrace, type RawTraceEvent, type TraceStep } from '../kernel/trace-parse.js';
import { baseChainHooks, isIptablesTable, parseMonitorLine, TRACE_TABLE } from './nft-observe.js';

/** A native nft table's step: as nflab's trace has it (family, handle, rule text, nft's verdict word). */
export type KernelTraceStep = TraceStep & { family?: string; handle?: number | null; rule_text?: string };

type Event = RawTraceEvent & { family?: string };

interface Monitor {
  node: string;
  child: ChildProcess;
  lines: Array<{ at: bigint; text: string }>;
}

export interface KernelProbe {
  kind: 'connect' | 'ping';
  from: string;
  ip: string;
  port: number;
  proto: 'tcp' | 'udp';
  uid?: number;
  src?: string;
  sport?: number;
  line: string;
  trace: boolean;
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function runAsync(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export class TracedProber {
  private monitors: Monitor[] = [];
  private positions = new Map<string, Map<number, number>>();
  /** Per node, `FAMILY TABLE CHAIN` → hook of every native base chain. */
  private hooks = new Map<string, Map<string, string>>();

  private constructor(private readonly lab: KernelLab) {}

  /** Adds the private trace table to every namespace and starts one monitor in each. */
  static async start(lab: KernelLab): Promise<TracedProber> {
    const p = new TracedProber(lab);
    const mark = `ip dscp 0x${TRACE_DSCP.toString(16)}`;
    // Only first packets: a SYN without ACK, a UDP datagram, an echo request.
    const body = [
      `${mark} tcp flags & (syn | ack) == syn meta nftrace set 1`,
      `${mark} meta l4proto udp meta nftrace set 1`,
      `${mark} icmp type echo-request meta nftrace set 1`,
    ];
    const chain = (name: string, hook: string) =>
      `  chain ${name} {\n    type filter hook ${hook} priority -500; policy accept;\n${body.map((b) => `    ${b}\n`).join('')}  }\n`;
    // Who answers a ping has no socket to say so: the echo request's source as it
    // passed INPUT last (after nat INPUT) is noted in a set, on the node that answered.
    const answered =
      '  set pinged { type ipv4_addr; size 64; }\n' +
      '  chain answered {\n    type filter hook input priority 500; policy accept;\n    icmp type echo-request add @pinged { ip saddr }\n  }\n';
    const text = `table ip nflab_trace {\n${chain('pre', 'prerouting')}${chain('out', 'output')}${answered}}\n`;
    for (const n of lab.topo.nodes) {
      const r = lab.exec(n.name, ['nft', '-f', '-'], { stdin: text });
      if (r.code !== 0) throw new Error(`cannot add the nflab_trace table on ${n.name}: ${r.stderr.trim()}`);
    }
    await p.startMonitors();
    return p;
  }

  /**
   * One monitor per namespace. nft resolves the rules it prints from the rule
   * set it read when it started, so monitors restart after the rules change.
   */
  private async startMonitors(): Promise<void> {
    for (const n of this.lab.topo.nodes) {
      const child = spawn('ip', ['netns', 'exec', this.lab.ns(n.name), 'nft', '-a', 'monitor', 'trace'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const m: Monitor = { node: n.name, child, lines: [] };
      let partial = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        const at = process.hrtime.bigint();
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        for (const t of parts) if (t.startsWith('trace id')) m.lines.push({ at, text: t });
      });
      this.monitors.push(m);
    }
    // nft subscribes to the trace group as it starts.
    await pause(300);
  }

  stop(): void {
    for (const m of this.monitors) if (m.child.exitCode === null) m.child.kill('SIGTERM');
    this.monitors = [];
  }

  /** Rules changed: positions must be read again, and the monitors restarted. */
  async rulesChanged(): Promise<void> {
    this.positions.clear();
    this.hooks.clear();
    this.stop();
    await this.startMonitors();
  }

  async probe(p: KernelProbe): Promise<{ answer: ProbeAnswer; steps: KernelTraceStep[] | null }> {
    const marks = this.monitors.map((m) => m.lines.length);
    const tos = p.trace ? TRACE_TOS : 0;
    const apps = `/run/nflab/${this.lab.prefix}/apps.py`;
    const as = p.uid === undefined ? [] : ['setpriv', '--reuid', String(p.uid), '--regid', String(p.uid), '--clear-groups'];
    const client =
      p.kind === 'ping'
        ? ['/usr/bin/python3', apps, 'ping', p.ip, String(PROBE_TIMEOUT_MS), String(tos), p.src ?? '']
        : [
            '/usr/bin/python3',
            apps,
            'connect',
            p.proto,
            p.ip,
            String(p.port),
            p.src ?? '',
            String(p.sport ?? 0),
            String(PROBE_TIMEOUT_MS),
            String(tos),
            p.line,
          ];
    const out = await runAsync(['ip', 'netns', 'exec', this.lab.ns(p.from), ...as, ...client]);
    const answer = parseProbe(out);
    if (p.kind === 'ping') Object.assign(answer, this.pingAnswerer());
    if (!p.trace) return { answer, steps: null };
    // Let the monitors print what the last packets caused.
    await pause(60);
    const events: Event[] = [];
    this.monitors.forEach((m, i) => {
      for (const l of m.lines.slice(marks[i])) {
        const n = parseMonitorLine(l.text);
        if (n === null || n.table === TRACE_TABLE) continue;
        // Native tables keep nft's own words; the tables iptables-nft made are read as xtables-monitor would show them.
        const e = isIptablesTable(n.family, n.table) ? parseNftTrace(l.text) : n;
        if (e !== null) events.push({ ...e, node: m.node, at: l.at });
      }
    });
    // orderNodeTraces knows iptables' built-in chains; a native chain's hook is its base chain's, per packet (trace id).
    const hookNow = new Map<string, string>();
    const steps = orderNodeTraces(events, p.from, this.lab.topo).map((e: Event & { hook: string }): KernelTraceStep => {
      if (e.family === undefined) {
        const s: KernelTraceStep = { node: e.node, hook: e.hook, table: e.table, chain: e.chain, rule: null, verdict: e.verdict };
        if (e.kind === 'policy') s.policy = true;
        else s.rule = this.position(e.node, e.table, e.chain, e.handle ?? -1);
        return s;
      }
      const id = `${e.node}\0${e.id}`;
      const base = this.hooksOf(e.node).get(`${e.family} ${e.table} ${e.chain}`);
      if (base !== undefined) hookNow.set(id, base);
      const hook = base ?? hookNow.get(id) ?? '?';
      const s: KernelTraceStep = { node: e.node, hook, family: e.family, table: e.table, chain: e.chain, rule: null, verdict: e.verdict };
      if (e.kind === 'policy') return { ...s, handle: null, policy: true };
      return { ...s, handle: e.handle ?? null, rule_text: e.ruleText ?? '' };
    });
    return { answer, steps };
  }

  /** The node whose INPUT saw the echo request, and its source there; empties every node's set for the next ping. */
  private pingAnswerer(): { server?: string; serverSees?: string } {
    let found: { server?: string; serverSees?: string } = {};
    for (const n of this.lab.topo.nodes) {
      // Two commands: in one nft batch the flush is applied before the listing is printed.
      const r = this.lab.exec(n.name, ['nft', 'list', 'set', 'ip', 'nflab_trace', 'pinged']);
      const m = /elements = \{ ([^}]*?) \}/s.exec(r.stdout);
      if (m !== null) this.lab.exec(n.name, ['nft', 'flush', 'set', 'ip', 'nflab_trace', 'pinged']);
      if (m !== null && found.server === undefined) found = { server: n.name, serverSees: m[1].split(',')[0].trim() };
    }
    return found;
  }

  private hooksOf(node: string): Map<string, string> {
    let m = this.hooks.get(node);
    if (m === undefined) {
      m = baseChainHooks(this.lab.exec(node, ['nft', 'list', 'chains']).stdout);
      this.hooks.set(node, m);
    }
    return m;
  }

  /** nft reports rule handles; iptables counts positions. Each iptables rule is one nft rule, in order. */
  private position(node: string, table: string, chain: string, handle: number): number | null {
    const key = `${node}\0${table}\0${chain}`;
    let map = this.positions.get(key);
    if (map === undefined) {
      map = handlePositions(this.lab.exec(node, ['nft', '-a', 'list', 'chain', 'ip', table, chain]).stdout);
      this.positions.set(key, map);
    }
    return map.get(handle) ?? null;
  }
}
