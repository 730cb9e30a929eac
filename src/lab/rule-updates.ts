/**
 * What a rule change costs on the kernel, and when it takes effect.
 *
 * Every iptables / iptables-restore run that changes rules is priced with the
 * calibrated model (src/netfilter/update-cost/): the legacy backend rewrites
 * the whole table, nft sends one batch. In `modelled` timing the change takes
 * effect only once that time has passed — until then every packet sees the old
 * rules, after it the new ones, never a mix (both backends swap atomically at
 * the end) — and changes on one node queue behind each other, as the xtables
 * lock and the nftables commit mutex serialise them. In `instant` timing (the
 * default) the change applies at once and the price is only reported.
 */
import type { TableName } from '../netfilter/types.js';
import type { Ruleset } from '../netfilter/rule.js';
import { estimateUpdateCost, type IptablesBackend, type RuleChange } from '../netfilter/update-cost/model.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { RuleUpdateSpec } from '../topology/model.js';
import { splitShellWords } from '../core/shell.js';
import type { RuleUpdate } from '../trace/events.js';

export type { RuleUpdate } from '../trace/events.js';

const OPS: Record<string, string> = {
  '-A': 'A',
  '--append': 'A',
  '-I': 'I',
  '--insert': 'I',
  '-D': 'D',
  '--delete': 'D',
  '-R': 'R',
  '--replace': 'R',
  '-N': 'N',
  '--new-chain': 'N',
  '-X': 'X',
  '--delete-chain': 'X',
  '-F': 'F',
  '--flush': 'F',
  '-Z': 'Z',
  '--zero': 'Z',
  '-P': 'P',
  '--policy': 'P',
  '-E': 'E',
  '--rename-chain': 'E',
};

const TOOLS: Record<string, { tool: RuleChange['tool']; backend: IptablesBackend | null }> = {
  iptables: { tool: 'iptables', backend: null },
  'iptables-nft': { tool: 'iptables', backend: 'nft' },
  'iptables-legacy': { tool: 'iptables', backend: 'legacy' },
  'iptables-restore': { tool: 'iptables-restore', backend: null },
  'iptables-nft-restore': { tool: 'iptables-restore', backend: 'nft' },
  'iptables-legacy-restore': { tool: 'iptables-restore', backend: 'legacy' },
  nft: { tool: 'nft', backend: 'nft' },
};

/** nft commands that change nothing (listings, `-c` checks) are not priced. */
const NFT_READS = /^\s*(list|export|monitor|describe)\b/;

function tableRules(rs: Ruleset, table: TableName): number {
  let n = 0;
  for (const c of rs.table(table)?.chains.values() ?? []) n += c.rules.length;
  return n;
}

/** What a command line would change, read from its words alone; sized against the rules later, when the change starts. */
export interface ChangeShape {
  tool: RuleChange['tool'];
  /** Chosen by the command's name (iptables-legacy...), else null: the node's. */
  backend: IptablesBackend | null;
  op?: string;
  /** The tables it changes: the `-t` table, or a restore's `*table` lines. */
  tables: TableName[];
  chain: string | null;
  ruleLines?: number;
  chainLines?: number;
  noflush?: boolean;
}

/**
 * The change a command line would make, for pricing; null when it changes no
 * rules (a listing, iptables-save, ip, sysctl...). A command that then fails is
 * priced all the same, as the kernel's tool also spends its time before the
 * kernel refuses.
 */
export function changeShape(line: string, stdin: string | null): ChangeShape | null {
  const split = splitShellWords(line);
  if (!split.ok) return null;
  const [tool, ...args] = split.words;
  const kind = TOOLS[tool ?? ''];
  if (!kind) return null;
  if (kind.tool === 'nft') {
    if (args.includes('-c') || args.includes('--check')) return null;
    const fi = args.findIndex((a) => a === '-f' || a === '--file');
    const lines = (fi >= 0 ? (stdin ?? '') : args.filter((a) => !a.startsWith('-')).join(' '))
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    if (lines.every((l) => NFT_READS.test(l))) return null;
    return { tool: 'nft', backend: 'nft', tables: [], chain: null, ruleLines: lines.length };
  }
  if (kind.tool === 'iptables-restore') {
    const tables: TableName[] = [];
    let ruleLines = 0;
    let chainLines = 0;
    for (const raw of (stdin ?? '').split('\n')) {
      const l = raw.trimStart();
      if (l.startsWith('*')) tables.push(l.slice(1).trim() as TableName);
      else if (l.startsWith(':')) chainLines++;
      else if (l.startsWith('-') || l.startsWith('[')) ruleLines++;
    }
    const noflush = args.includes('-n') || args.includes('--noflush');
    return { tool: kind.tool, backend: kind.backend, tables, chain: null, ruleLines, chainLines, noflush };
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
  return { tool: kind.tool, backend: kind.backend, op, tables: [table], chain };
}

/** The shape with the sizes the cost model needs, from the rules as they are now (`nftRules`: the node's native nft rules). */
export function sizeChange(rs: Ruleset, shape: ChangeShape, nftRules = 0): RuleChange {
  if (shape.tool === 'nft') return { tool: 'nft', tableRules: nftRules, chainRules: 0, ruleLines: shape.ruleLines };
  let rules = 0;
  for (const t of shape.tables) rules += tableRules(rs, t);
  const { tool, op, ruleLines, chainLines, noflush } = shape;
  const chainRules = shape.chain ? (rs.table(shape.tables[0])?.chains.get(shape.chain)?.rules.length ?? 0) : 0;
  return tool === 'iptables-restore'
    ? { tool, tableRules: rules, chainRules, ruleLines, chainLines, noflush }
    : { tool, op, tableRules: rules, chainRules };
}

interface Job {
  node: string;
  ruleset: Ruleset;
  nftRules: () => number;
  cmd: string;
  shape: ChangeShape;
  apply: (u: RuleUpdate) => void;
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
    readonly timing: RuleUpdateSpec['timing'],
    private readonly backendOf: (node: string) => IptablesBackend,
  ) {}

  /** True while a modelled change has not taken effect yet. */
  pending(): boolean {
    return this.waiting > 0;
  }

  submit(
    node: string,
    ruleset: Ruleset,
    cmd: string,
    stdin: string | null,
    apply: (u: RuleUpdate | null) => void,
    onStart: (u: RuleUpdate) => void,
    nftRules: () => number = () => 0,
  ): void {
    const shape = changeShape(cmd, stdin);
    // Commands that change no rules (listings, ip, sysctl) are not priced and do not take the lock.
    if (!shape) {
      apply(null);
      return;
    }
    if (this.timing === 'instant') {
      const u = this.price(node, ruleset, cmd, shape, nftRules);
      onStart(u);
      apply(u);
      return;
    }
    let lane = this.lanes.get(node);
    if (!lane) this.lanes.set(node, (lane = { busy: false, queue: [] }));
    lane.queue.push({ node, ruleset, nftRules, cmd, shape, apply, onStart });
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
    const u = this.price(job.node, job.ruleset, job.cmd, job.shape, job.nftRules);
    job.onStart(u);
    this.scheduler.at(u.commit_us, () => {
      this.waiting--;
      job.apply(u);
      this.next(lane);
    });
  }

  private price(node: string, ruleset: Ruleset, cmd: string, shape: ChangeShape, nftRules: () => number): RuleUpdate {
    const backend = shape.backend ?? this.backendOf(node);
    const cost = estimateUpdateCost(backend, sizeChange(ruleset, shape, shape.tool === 'nft' ? nftRules() : 0));
    const now = this.scheduler.now();
    return {
      node,
      cmd,
      backend,
      cost_us: cost.us,
      why: cost.why,
      start_us: now,
      commit_us: this.timing === 'instant' ? now : now + cost.us,
    };
  }
}
