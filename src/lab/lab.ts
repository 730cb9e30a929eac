/**
 * A running lab: every namespace of a topology, the links between them, one
 * scheduler, one seeded RNG and one tracer. Built from a validated Topology;
 * building either succeeds whole or returns diagnostics and leaves nothing.
 */
import { type Diagnostic, err, ok, type Result } from '../core/diagnostic.js';
import { Rng } from '../core/rng.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { LinkDirection } from '../link/link.js';
import type { Frame } from '../link/frame.js';
import { NetDev } from '../node/netdev.js';
import { Node, type FrameTap, type LabContext } from '../node/node.js';
import { receiveFrame } from '../node/l2.js';
import { startServer } from '../apps/servers.js';
import { connectProbe, pingProbe, type ProbeOptions, type ProbeOutcome, sendProbe } from '../apps/probes.js';
import type { Topology } from '../topology/model.js';
import { Tracer } from '../trace/tracer.js';
import { attachNodeModules } from './adapters.js';
import { runNodeCommand } from './commands.js';
import type { CommandOutput, NodeModules } from './types.js';
import type { RuleUpdate } from '../trace/events.js';
import { RuleUpdates } from './rule-updates.js';

export interface LabOptions {
  seed: number;
  /** Record packet traces (on for scenarios, the UI and the feed; off for benchmarks). */
  record?: boolean;
}

export interface LogLine {
  t_us: number;
  node: string;
  line: string;
}

const LO_MAC = '00:00:00:00:00:00';

export class Lab {
  readonly scheduler = new Scheduler();
  readonly rng: Rng;
  readonly tracer: Tracer;
  readonly nodes = new Map<string, Node>();
  /** Each node's routing, conntrack and rules, by node name. */
  private readonly modules = new Map<string, NodeModules>();
  readonly logLines: LogLine[] = [];
  /** Rule changes: priced, and in modelled timing held back until the kernel would have committed them. */
  readonly updates: RuleUpdates;
  private readonly ctx: LabContext;

  private constructor(
    readonly topology: Topology,
    readonly seed: number,
    record: boolean,
  ) {
    this.rng = new Rng(seed);
    this.tracer = new Tracer(() => this.scheduler.now(), record);
    const backends = new Map(topology.nodes.map((n) => [n.name, n.iptablesBackend ?? topology.ruleUpdates?.backend ?? 'nft']));
    this.updates = new RuleUpdates(this.scheduler, topology.ruleUpdates?.timing ?? 'instant', (node) => backends.get(node) ?? 'nft');
    this.ctx = {
      timers: this.scheduler,
      rng: this.rng,
      tracer: this.tracer,
      log: (node, line) => {
        const l = { t_us: this.scheduler.now(), node, line };
        this.logLines.push(l);
        if (this.logLines.length > 10_000) this.logLines.shift();
        this.tracer.emit({ t_us: l.t_us, kind: 'log', node, data: line });
      },
      inFlight: 0,
      tap: null,
    };
  }

  static build(topo: Topology, opts: LabOptions): Result<Lab> {
    const lab = new Lab(topo, opts.seed, opts.record ?? true);
    const diags: Diagnostic[] = [];
    for (const spec of topo.nodes) {
      const node = new Node(spec.name, lab.ctx);
      const lo = new NetDev('lo', 'loopback', LO_MAC, 65536);
      node.devs.set('lo', lo);
      for (const i of spec.interfaces) {
        if (i.name === 'lo') {
          continue;
        }
        node.devs.set(i.name, new NetDev(i.name, i.kind === 'bridge' ? 'bridge' : i.kind === 'dummy' ? 'dummy' : 'veth', i.mac, i.mtu));
      }
      for (const i of spec.interfaces) {
        if (!i.master) continue;
        const dev = node.devs.get(i.name)!;
        const br = node.devs.get(i.master)!;
        dev.master = br;
        dev.hairpin = i.hairpin === true;
        br.ports.push(dev);
      }
      for (const [k, v] of spec.sysctl) node.sysctl.set(k, v.value);
      node.users = spec.users;
      node.groups = spec.groups;
      const attached = attachNodeModules(node, spec);
      diags.push(...attached.diags);
      lab.modules.set(spec.name, attached.modules);
      lab.nodes.set(spec.name, node);
    }
    for (const l of topo.links) {
      const a = lab.nodes.get(l.a.node)!;
      const b = lab.nodes.get(l.b.node)!;
      const da = a.devs.get(l.a.iface)!;
      const db = b.devs.get(l.b.iface)!;
      const params = { latency: l.latency, bandwidth: l.bandwidth, loss: l.loss, queueLimit: 1000 };
      da.tx = new LinkDirection<Frame>(lab.scheduler, lab.rng, params, { receive: (f) => lab.arrive(b, db, f) });
      db.tx = new LinkDirection<Frame>(lab.scheduler, lab.rng, params, { receive: (f) => lab.arrive(a, da, f) });
      da.peerLabel = `${l.b.node}:${l.b.iface}`;
      db.peerLabel = `${l.a.node}:${l.a.iface}`;
    }
    if (diags.length) return err(diags);
    for (const spec of topo.nodes) {
      const node = lab.nodes.get(spec.name)!;
      for (const s of spec.listen) {
        const gid = s.uid;
        startServer(node, {
          proto: s.proto,
          port: s.port,
          addr: s.addr,
          owner: { uid: s.uid, gid, groups: [] },
          app: s.app,
          source: s.source,
        });
      }
    }
    return ok(lab);
  }

  private arrive(node: Node, dev: NetDev, frame: Frame): void {
    this.ctx.inFlight--;
    receiveFrame(node, dev, frame);
  }

  /** Starts (or, with null, stops) seeing every frame that crosses a device. */
  setTap(tap: FrameTap | null): void {
    this.ctx.tap = tap;
  }

  /** True when no frame is on a wire or queued for loopback. */
  quiet(): boolean {
    return this.ctx.inFlight === 0;
  }

  node(name: string): Node | undefined {
    return this.nodes.get(name);
  }

  /** A node's engine modules (its routing tables, conntrack table and iptables rules). */
  modulesOf(name: string): NodeModules | undefined {
    return this.modules.get(name);
  }

  now(): number {
    return this.scheduler.now();
  }

  /** Starts a probe from `from`; `done` is called on virtual time when it has an answer. */
  probe(kind: 'connect' | 'send' | 'ping', from: string, o: ProbeOptions, done: (r: ProbeOutcome) => void): void {
    const node = this.nodes.get(from);
    if (!node) throw new Error(`probe from unknown node ${from}`);
    if (kind === 'ping') pingProbe(node, o, done);
    else if (o.proto === 'udp') sendProbe(node, o, done);
    else connectProbe(node, o, done);
  }

  /**
   * Runs a command line inside a node (iptables, iptables-restore/save, ip,
   * sysctl, conntrack) and returns its output. A rule change in modelled timing
   * returns once it has taken effect, the lab running on meanwhile, as a shell
   * script waits for its iptables command.
   */
  exec(nodeName: string, cmd: string, stdin: string | null = null): CommandOutput {
    let out: CommandOutput | null = null;
    this.submit(nodeName, cmd, stdin, (o) => (out = o));
    while (out === null && this.scheduler.step()) {
      // Events run until the change commits; its commit is itself an event, so this ends.
    }
    return out!;
  }

  /** Starts a command line; `done` gets its output when it has taken effect (at once, unless it is a rule change in modelled timing). */
  submit(nodeName: string, cmd: string, stdin: string | null, done: (out: CommandOutput) => void): void {
    const node = this.nodes.get(nodeName);
    const mods = this.modules.get(nodeName);
    if (!node || !mods) {
      done({ stdout: '', stderr: `no node "${nodeName}"\n`, exitCode: 2 });
      return;
    }
    // A command that fails changes nothing and is not reported as a rule update. In instant timing its
    // update event waits for the outcome; in modelled timing it is sent when the kernel starts, as it would.
    let held: RuleUpdate | null = null;
    const announce = (update: RuleUpdate) => this.tracer.emit({ t_us: this.now(), kind: 'rules.update', node: nodeName, data: update });
    this.updates.submit(
      nodeName,
      mods.ruleset,
      cmd,
      stdin,
      (update) => {
        const out = runNodeCommand(node, mods, cmd, stdin);
        if (held && out.exitCode === 0) announce(held);
        held = null;
        if (out.changedRules) this.tracer.emit({ t_us: this.now(), kind: 'rules.changed', node: nodeName, data: cmd });
        done(update && out.exitCode === 0 ? { ...out, update } : out);
      },
      (update) => {
        if (this.updates.timing === 'instant') held = update;
        else announce(update);
      },
      () => mods.nft.ruleCount,
    );
  }
}
