/** The shapes the lab's parts hand each other: a node's engine modules, and what a command run in a node prints. */
import type { Conntrack } from '../netfilter/conntrack/table.js';
import type { LookupOptions } from '../netfilter/iptables/restore.js';
import type { Ruleset } from '../netfilter/rule.js';
import type { NftNode } from '../nftables/node-state.js';
import type { RoutingTables } from '../routing/route.js';
import type { RuleUpdate } from '../trace/events.js';

/** The engine modules behind one node's packet path, made when the node is built and kept by its Lab. */
export interface NodeModules {
  readonly routing: RoutingTables;
  readonly conntrack: Conntrack;
  readonly ruleset: Ruleset;
  /** How the node's iptables commands resolve users, groups, ipsets and nfacct objects. */
  readonly lookups: LookupOptions;
  /** The node's native nftables (tables, sets, compiled base chains). */
  readonly nft: NftNode;
}

export interface CommandOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** True when the command changed the node's rules (for the `rules.changed` event). */
  changedRules?: boolean;
  /** For a rule change: what the kernel would pay for it and when it took effect. */
  update?: RuleUpdate;
}
