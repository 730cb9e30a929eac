/**
 * A node's iptables: the ruleset loaded from its topology spec, the packet
 * path's view of it (run one table at one hook), and the iptables,
 * iptables-restore and iptables-save commands users run inside the node.
 */
import type { Diagnostic } from '../core/diagnostic.js';
import { splitShellWords } from '../core/shell.js';
import { Ruleset } from '../netfilter/rule.js';
import { runIptablesRestore, type LookupOptions } from '../netfilter/iptables/restore.js';
import { save, ruleText } from '../netfilter/iptables/save.js';
import { runIptables } from '../netfilter/iptables/command.js';
import { runTable } from '../netfilter/evaluate.js';
import { TABLES, type Hook, type NfEnv, type StepSink, type TableName, type Verdict } from '../netfilter/types.js';
import type { Node } from '../node/node.js';
import type { NetfilterPort, NodeViews } from '../node/ports.js';
import type { NodeSkb } from '../node/skb.js';
import type { NodeSpec } from '../topology/model.js';
import type { Conntrack } from '../netfilter/conntrack/table.js';
import { ruleColumn } from '../topology/iptables.js';
import { plainEntry } from '../netfilter/conntrack/format.js';
import type { CommandOutput, NodeModules } from './types.js';

function lookupOptions(spec: NodeSpec): LookupOptions {
  return {
    resolveUser: (n) => spec.users.get(n),
    resolveGroup: (n) => spec.groups.get(n),
    ipsets: spec.ipsets.map((s) => s.name),
    nfacct: spec.nfacct,
  };
}

/** Extensions that make the kernel track connections in a namespace (nf_ct_netns_get). */
const CT_MATCHES = new Set(['conntrack', 'state', 'connmark', 'connlimit', 'connbytes', 'helper', 'socket']);
const CT_TARGETS = new Set(['CT', 'NOTRACK', 'CONNMARK', 'CONNSECMARK', 'SNAT', 'DNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP', 'TPROXY']);

class NetfilterAdapter implements NetfilterPort {
  private ctNeeded: boolean | null = null;

  constructor(private readonly rs: Ruleset) {}

  hasTable(table: TableName): boolean {
    return this.rs.tables.has(table);
  }

  /**
   * Conntrack runs in a namespace while a rule needs it (a NAT target, a
   * conntrack match, CT, ...): the kernel registers its hooks with the first
   * such rule and unregisters them when the last one is deleted, after which
   * existing entries stay listed but are no longer applied. A nat table by
   * itself does not: its chains then see no packets at all, since NAT hooks
   * only act on tracked packets.
   */
  needsConntrack(): boolean {
    this.ctNeeded ??= this.scan();
    return this.ctNeeded;
  }

  rulesChanged(): void {
    this.ctNeeded = null;
  }

  chainMadeAt(table: TableName, chain: string): number {
    const c = this.rs.tables.get(table)?.chains.get(chain);
    return c?.builtin && c.registered ? (c.madeAt ?? 0) : 0;
  }

  private scan(): boolean {
    for (const t of this.rs.tables.values())
      for (const c of t.chains.values())
        for (const r of c.rules) {
          if (r.matches.some((m) => CT_MATCHES.has(m.name))) return true;
          if (r.target.kind === 'ext' && CT_TARGETS.has(r.target.ext.name)) return true;
        }
    return false;
  }

  runTable(table: TableName, hook: Hook, skb: NodeSkb, env: NfEnv, onStep: StepSink | null): Verdict {
    return runTable(this.rs, table, hook, skb, env, onStep);
  }
}

function views(node: Node, rs: Ruleset, ct: Conntrack): NodeViews {
  return {
    save: (counters, table) => save(rs, { counters, ...(table ? { table: table as TableName } : {}) }),
    counter: (table, chainName, rule) => {
      const t = rs.table(table as TableName);
      if (!t) return { error: `${node.name} has no ${table} table` };
      const chain = t.chains.get(chainName);
      if (!chain) return { error: `${node.name} has no chain ${table}/${chainName}` };
      if (rule === null)
        return chain.builtin
          ? { packets: chain.pkts, bytes: chain.bytes }
          : { error: `${table}/${chainName} is a user chain and has no policy` };
      const r = chain.rules[rule - 1];
      if (!r) return { error: `${table}/${chainName} has ${chain.rules.length} rule${chain.rules.length === 1 ? '' : 's'}, not ${rule}` };
      return { packets: r.pkts, bytes: r.bytes };
    },
    ruleText: (table, chainName, rule) => {
      const r = rs.table(table as TableName)?.chains.get(chainName)?.rules[rule - 1];
      return r ? ruleText(chainName, r) : null;
    },
    conntrack: () => ct.entries().map(plainEntry),
  };
}

/** Loads the node's rules from its spec; problems are appended to `diags` at their place in the topology file. */
export function attachNetfilter(
  node: Node,
  spec: NodeSpec,
  ct: Conntrack,
  diags: Diagnostic[],
): { ruleset: Ruleset; lookups: LookupOptions } {
  const rs = new Ruleset();
  const opts = lookupOptions(spec);
  if (spec.iptables) {
    const r = runIptablesRestore(rs, spec.iptables.text, {
      ...opts,
      counters: spec.iptables.counters === true,
      atomic: 'batch',
      file: spec.iptables.file,
      lineOffset: spec.iptables.lineOffset,
    });
    if (!r.ok) diags.push(...r.diagnostics.map((d) => ({ ...d, col: ruleColumn(spec.iptables!, d.line ?? 0, d.message) })));
  }
  for (const c of spec.iptablesCmds) {
    const split = splitShellWords(c.text);
    const words = split.ok ? split.words : [];
    if (!split.ok || (words[0] !== 'iptables' && words[0] !== 'iptables-nft')) {
      diags.push({
        ...c.pos,
        message: split.ok ? `iptables_cmds: a line must start with "iptables", not "${words[0] ?? ''}"` : `iptables_cmds: ${split.message}`,
      });
      continue;
    }
    const r = runIptables(rs, words.slice(1), opts);
    if (r.exitCode !== 0) diags.push({ ...c.pos, message: `${c.text}: ${r.stderr.trim().split('\n')[0]}` });
  }
  node.netfilter = new NetfilterAdapter(rs);
  node.views = views(node, rs, ct);
  return { ruleset: rs, lookups: opts };
}

const changing = new Set([
  '-A',
  '-I',
  '-D',
  '-R',
  '-N',
  '-X',
  '-F',
  '-Z',
  '-P',
  '-E',
  '--append',
  '--insert',
  '--delete',
  '--replace',
  '--new-chain',
  '--delete-chain',
  '--flush',
  '--zero',
  '--policy',
  '--rename-chain',
]);

export function iptablesCommand(node: Node, mods: NodeModules, args: string[]): CommandOutput {
  const r = runIptables(mods.ruleset, args, mods.lookups);
  node.netfilter.rulesChanged();
  return { ...r, changedRules: r.exitCode === 0 && args.some((a) => changing.has(a)) };
}

export function iptablesRestoreCommand(node: Node, mods: NodeModules, args: string[], stdin: string): CommandOutput {
  const noflush = args.includes('-n') || args.includes('--noflush');
  const counters = args.includes('-c') || args.includes('--counters');
  const r = runIptablesRestore(mods.ruleset, stdin, { ...mods.lookups, noflush, counters });
  node.netfilter.rulesChanged();
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, changedRules: r.ok };
}

export function iptablesSaveCommand(mods: NodeModules, args: string[]): CommandOutput {
  const counters = args.includes('-c') || args.includes('--counters');
  const ti = Math.max(args.indexOf('-t'), args.indexOf('--table'));
  const table = ti >= 0 ? args[ti + 1] : undefined;
  // The kernel tool's own words and status for a missing or unknown table.
  if (ti >= 0 && table === undefined) return { stdout: '', stderr: "iptables-save: option requires an argument -- 't'\n", exitCode: 1 };
  if (table !== undefined && !(TABLES as readonly string[]).includes(table))
    return { stdout: '', stderr: `Table \`${table}' does not exist\n`, exitCode: 1 };
  return { stdout: save(mods.ruleset, { counters, ...(table ? { table: table as TableName } : {}) }), stderr: '', exitCode: 0 };
}
