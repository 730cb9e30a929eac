/**
 * What a rule change costs on the kernel, and when it takes effect.
 *
 * Every iptables / iptables-restore run that changes rules is priced with the
 * calibrated model (src/netfilter/update-cost.ts): the legacy backend rewrites
 * the whole table, nft sends one batch. In `modelled` timing the change takes
 * effect only once that time has passed — until then every packet sees the old
 * rules, after it the new ones, never a mix (both backends swap atomically at
 * the end) — and changes on one node queue behind each other, as the xtables
 * lock and the nftables commit mutex serialise them. In `instant` timing (the
 * default) the change applies at once and the price is only reported.
 */
import type { Micros } from '../core/time.js';
import type { Node } from '../node/node.js';
import type { TableName } from '../netfilter/types.js';
import type { Ruleset } from '../netfilter/rule.js';
import { estimateUpdateCost, type IptablesBackend, type RuleChange } from '../netfilter/update-cost.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { splitShellWords } from '../core/shell.js';
import { rulesetOf } from './adapters.js';

export type UpdateTiming = 'instant' | 'modelled';

/** One priced rule change: reported with the command's output, in `rules.update` events and in scenario reports. */
export interface RuleUpdate {
  node: string;
  cmd: string;
  backend: IptablesBackend;
  /** Modelled kernel wall time of the change. */
  cost_us: Micros;
  /** What dominates the cost, in a few words. */
  why: string;
  /** When the kernel would start on it (later than asked when an earlier change on the node is still running). */
  start_us: Micros;
  /** When packets start seeing the new rules. */
  commit_us: Micros;
}

const OPS: Record<string, string> = {
  '-A': 'A', '--append': 'A', '-I': 'I', '--insert': 'I', '-D': 'D', '--delete': 'D', '-R': 'R', '--replace': 'R',
  '-N': 'N', '--new-chain': 'N', '-X': 'X', '--delete-chain': 'X', '-F': 'F', '--flush': 'F', '-Z': 'Z', '--zero': 'Z',
  '-P': 'P', '--policy': 'P', '-E': 'E', '--rename-chain': 'E',
};

const TOOLS: Record<string, { tool: RuleChange['tool']; backend: IptablesBackend | null }> = {
  iptables: { tool: 'iptables', backend: null },
  'iptables-nft': { tool: 'iptables', backend: 'nft' },
  'iptables-legacy': { tool: 'iptables', backend: 'legacy' },
  'iptables-restore': { tool: 'iptables-restore', backend: null },
  'iptables-nft-restore': { tool: 'iptables-restore', backend: 'nft' },
  'iptables-legacy-restore': { tool: 'iptables-restore', backend: 'legacy' },
};

function tableRules(rs: Ruleset, table: TableName): number {
  let n = 0;
  for (const c of rs.table(table)?.chains.values() ?? []) n += c.rules.length;
  return n;
}

/**
 * The change a command line would make, for pricing; null when it changes no
 * rules (a listing, iptables-save, ip, sysctl...). Read from the words alone:
 * a command that then fails is priced all the same, as the kernel's tool also
 * spends its time before the kernel refuses.
 */
export function describeChange(rs: Ruleset, line: string, stdin: string | null): { change: RuleChange; backend: IptablesBackend | null } | null {
  const split = splitShellWords(line);
  if (!split.ok) return null;
  const [tool, ...args] = split.words;
  const kind = TOOLS[tool ?? ''];
  if (!kind) return null;
  if (kind.tool === 'iptables-restore') {
    let ruleLines = 0;
    let chainLines = 0;
    let rules = 0;
    for (const raw of (stdin ?? '').split('\n')) {
      const l = raw.trimStart();
      if (l.startsWith('*')) rules += tableRules(rs, l.slice(1).trim() as TableName);
      else if (l.startsWith(':')) chainLines++;
      else if (l.startsWith('-') || l.startsWith('[')) ruleLines++;
    }
    const noflush = args.includes('-n') || args.includes('--noflush');
    return { change: { tool: 'iptables-restore', tableRules: rules, chainRules: 0, ruleLines, chainLines, noflush }, backend: kind.backend };
  }
  let table: TableName = 'filter';
  let op: string | null = null;
  let chain: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-t' || a === '--table') table = (args[++i] ?? 'filter') as TableName;
    else if (a.startsWith('-t') && a.length > 2 && !a.startsWith('--')) table = a.slice(2) as TableName;
    else if (op === null && OPS[a]) {
      op = OPS[a];
      const next = args[i + 1];
      if (next !== undefined && !next.startsWith('-')) chain = next;
    }
  }
  if (op === null) return null;
  const chainRules = chain ? (rs.table(table)?.chains.get(chain)?.rules.length ?? 0) : 0;
  return { change: { tool: 'iptables', op, tableRules: tableRules(rs, table), chainRules }, backend: kind.backend };
}

interface Job {
  node: Node;
  cmd: string;
  stdin: string | null;
  apply: (u: RuleUpdate | null) => void;
  onStart: (u: RuleUpdate) => void;
}

/**
 * The lab's rule changes, one lane per node. `submit` prices a change and runs
 * `apply` when the kernel would have committed it: at once in instant timing,
 * else on the scheduler once the node's earlier changes and this one's cost have passed.
 */
export class RuleUpdates {
  private readonly lanes = new Map<string, { busy: boolean; queue: Job[] }>();
  private waiting = 0;

  constructor(
    private readonly scheduler: Scheduler,
    readonly timing: UpdateTiming,
    private readonly backendOf: (node: Node) => IptablesBackend,
  ) {}

  /** True while a modelled change has not taken effect yet. */
  pending(): boolean {
    return this.waiting > 0;
  }

  submit(node: Node, cmd: string, stdin: string | null, apply: (u: RuleUpdate | null) => void, onStart: (u: RuleUpdate) => void): void {
    if (this.timing === 'instant') {
      const u = this.price(node, cmd, stdin);
      if (u) onStart(u);
      apply(u);
      return;
    }
    // Commands that change no rules (listings, ip, sysctl) do not take the lock.
    if (describeChange(rulesetOf(node), cmd, stdin) === null) {
      apply(null);
      return;
    }
    let lane = this.lanes.get(node.name);
    if (!lane) this.lanes.set(node.name, (lane = { busy: false, queue: [] }));
    lane.queue.push({ node, cmd, stdin, apply, onStart });
    this.waiting++;
    if (!lane.busy) this.next(lane);
  }

  /** Starts the lane's next change: priced now, against the rules its predecessors left. */
  private next(lane: { busy: boolean; queue: Job[] }): void {
    const job = lane.queue.shift();
    if (!job) {
      lane.busy = false;
      return;
    }
    lane.busy = true;
    const u = this.price(job.node, job.cmd, job.stdin);
    if (u) job.onStart(u);
    this.scheduler.at(u?.commit_us ?? this.scheduler.now(), () => {
      this.waiting--;
      job.apply(u);
      this.next(lane);
    });
  }

  private price(node: Node, cmd: string, stdin: string | null): RuleUpdate | null {
    const d = describeChange(rulesetOf(node), cmd, stdin);
    if (!d) return null;
    const backend = d.backend ?? this.backendOf(node);
    const cost = estimateUpdateCost(backend, d.change);
    const now = this.scheduler.now();
    return { node: node.name, cmd, backend, cost_us: cost.us, why: cost.why, start_us: now, commit_us: this.timing === 'instant' ? now : now + cost.us };
  }
}
