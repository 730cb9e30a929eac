/**
 * The shape every match (`-m NAME`) and target (`-j NAME`) extension has. An
 * extension parses its own options, prints itself for iptables-save and for
 * `iptables -L`, says where it is legal, and compiles to a closure that runs per
 * packet. Parsing and printing run at load time only; the closures do no string work.
 */
import type { Hook, NfEnv, Skb, TableName, Verdict } from './types.js';

/** One option occurrence as the rule parser saw it. */
export interface OptionUse {
  /** The option's full long name, without dashes (abbreviations already expanded). */
  name: string;
  /** Its arguments (none for flags); never changed, and shared between uses of a flag. */
  args: readonly string[];
  invert: boolean;
}

/** What an extension may ask about the rule it sits in while it is being built. */
export interface BuildCtx {
  /** Protocol number of the rule's `-p` (0 for any), and whether it was inverted. */
  proto: number;
  protoInvert: boolean;
  table: TableName;
  resolveUser: (name: string) => number | undefined;
  resolveGroup: (name: string) => number | undefined;
  /** Whether an ipset / nfacct object of that name is declared (iptables refuses unknown ones). */
  ipsetExists: (name: string) => boolean;
  nfacctExists: (name: string) => boolean;
  /** Per-namespace state shared between rules (recent lists, hashlimit buckets), keyed by extension. */
  shared: Map<string, unknown>;
}

export interface OptionSpec {
  /** Number of arguments; 'optional' takes the next token only when it does not start with '-'. */
  args: 0 | 1 | 2 | 'optional';
  /** Inversion allowed (iptables says "cannot be inverted" otherwise). */
  invert?: boolean;
  /** What iptables prints on stderr as soon as it reads the option (a deprecation), whatever follows; a function of its arguments may say nothing. */
  warn?: string | ((args: readonly string[]) => string | null);
}

/** Where an extension may be used; the kernel checks this when a rule is inserted. */
export interface Legality {
  tables?: readonly TableName[];
  hooks?: readonly Hook[];
  /** The rule's `-p` must be one of these (not inverted). */
  protos?: readonly number[];
}

export type MatchFn = (skb: Skb, env: NfEnv) => boolean;

/** The test of a match that never rejects a packet (comment): compileRule leaves it out of the rule's test. */
export const ALWAYS: MatchFn = () => true;

export interface MatchInstance {
  readonly name: string;
  /** Text after `-m NAME` in iptables-save form, starting with a space (or ''). */
  save(): string;
  /** Text in the `iptables -L` options column, without leading space. */
  list(): string;
  legal?: Legality;
  readonly test: MatchFn;
  /** Set when the match requires exactly this destination port (tcp/udp `--dport N`): lets big chains be indexed. */
  readonly exactDport?: number;
  /**
   * Set when iptables accepts the rule but the kernel refuses to insert it, to the errno text it
   * answers with (an nfacct object that does not exist: "No such file or directory").
   */
  readonly kernelError?: string;
  /**
   * A kernel object the match shares by name with every rule in the namespace (hashlimit's table):
   * while one exists, a rule that names it with another kind is refused (EINVAL), after kernelError.
   */
  readonly sharedObject?: { readonly key: string; readonly kind: string };
  /**
   * An error iptables-nft reports only when it turns the rule into nf_tables expressions, after
   * checking -s/-d and -i/-o, before it looks up the jump target (tcp/udp options without their `-p`).
   */
  readonly lateError?: string;
  /** True when iptables-nft stores nothing for this match (tcp/udp whose only test was dropped): the rule has no such match. */
  readonly elided?: boolean;
  /**
   * Set when iptables-nft builds the match otherwise than the kernel stores it, to what the built
   * form adds to the saved text (limit's ` --limit-burst 0`, which nf_tables stores as 5). `-C`
   * and `-D` compare the rule as built: with rules read back from the kernel it never compares
   * equal; with rules a restore block added (still as built in its cache) it may.
   */
  readonly asBuilt?: string;
}

/**
 * Checks one option as iptables does the moment it reads it (a bad value is reported before any
 * option that follows, and before the final checks of build); the error text, or null. `prior`:
 * the options the same extension read before it (for the once-only ones).
 */
export type OptionCheck = (use: OptionUse, ctx: BuildCtx, prior: readonly OptionUse[]) => string | null;

export interface MatchDef {
  readonly name: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly check?: OptionCheck;
  /** Builds the match from its options, or returns the error iptables prints. */
  build(uses: OptionUse[], ctx: BuildCtx): MatchInstance | string;
}

/** What a target tells the chain walk: a verdict, or carry on with the next rule. */
export type TargetResult = Verdict | 'CONTINUE';

export interface TargetInstance {
  readonly name: string;
  /** The name in `iptables -L`'s target column when it is not `name` (NOTRACK lists as CT). */
  readonly listName?: string;
  /** As MatchInstance.kernelError: the errno text the kernel refuses this target with at insertion. */
  readonly kernelError?: string;
  save(): string;
  list(): string;
  legal?: Legality;
  run(skb: Skb, env: NfEnv): TargetResult;
}

export interface TargetDef {
  readonly name: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly check?: OptionCheck;
  build(uses: OptionUse[], ctx: BuildCtx): TargetInstance | string;
}

/** Helpers shared by extensions. */

/**
 * What iptables says when the resolver cannot read a host option (`--on-ip`, `--to`): numeric
 * nonsense is unknown, a name needs DNS, which a network namespace of its own does not reach.
 */
export function resolverError(text: string): string {
  return /^[\d.]*$/.test(text) ? 'getaddrinfo: Name or service not known\n' : 'getaddrinfo: Temporary failure in name resolution\n';
}
export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** `0x%02x`, as the tos/dscp extensions print their byte-sized values. */
export function hex2(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(2, '0')}`;
}

/** Parses an unsigned integer the way strtoul(…, 0) does: decimal, 0x hex, 0 octal. */
export function parseUint(text: string, max = 0xffffffff): number | null {
  let v: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) v = parseInt(text.slice(2), 16);
  else if (/^0[0-7]+$/.test(text)) v = parseInt(text, 8);
  else if (/^\d+$/.test(text)) v = Number(text);
  else return null;
  return v <= max ? v : null;
}

/** `VALUE[/MASK]` as mark options take it; mask defaults to all ones. */
export function parseMarkMask(text: string): { value: number; mask: number } | null {
  const slash = text.indexOf('/');
  const value = parseUint(slash < 0 ? text : text.slice(0, slash));
  const mask = slash < 0 ? 0xffffffff : parseUint(text.slice(slash + 1));
  if (value === null || mask === null) return null;
  return { value, mask };
}

export function inv(invert: boolean): string {
  return invert ? ' !' : '';
}

/** iptables' xtables_save_string: bare when only [A-Za-z0-9_-], else double-quoted with `"`, `'` and `\` escaped. */
export function quoteArg(s: string): string {
  // One pass over the characters instead of two regexes: every kube-proxy rule has a comment to print.
  let bare = s.length > 0;
  let escape = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34 || c === 39 || c === 92) escape = true;
    if (bare && !((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45)) bare = false;
  }
  if (bare) return s;
  return escape ? `"${s.replace(/(["'\\])/g, '\\$1')}"` : `"${s}"`;
}
