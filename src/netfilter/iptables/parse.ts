/**
 * Parses one iptables command line (argv, as the shell or iptables-restore split
 * it) into a command and, for rule commands, a built rule. Errors carry the text
 * iptables prints for the same input.
 */
import type { TableName } from '../types.js';
import { TABLES } from '../types.js';
import { ifaceMatcher, parseProto } from '../addr.js';
import { parseHostMask } from './host.js';
import type { BuildCtx, MatchDef, MatchFn, MatchInstance, OptionSpec, OptionUse, TargetDef } from '../ext.js';
import { IMPLICIT_BY_PROTO, MATCHES, STANDARD_VERDICTS, TARGETS } from '../registry.js';
import { BUILTIN_CHAINS, emptyHeader, type Rule, type RuleHeader, type RuleTarget } from '../rule.js';
import { compileRule } from '../compile.js';
import { mergedPortSel, storesNative } from '../matches/ports.js';

export type CommandOp = 'A' | 'I' | 'D' | 'R' | 'C' | 'N' | 'X' | 'F' | 'Z' | 'P' | 'E' | 'L' | 'S';

export interface ParsedCommand {
  op: CommandOp | null;
  table: TableName;
  chain: string | null;
  /** Rule number for -I/-D/-R/-L/-S/-Z. */
  num: number | null;
  /** -P policy, -E new name. */
  arg: string | null;
  rule: Rule | null;
  numeric: boolean;
  verbose: boolean;
  exact: boolean;
  lineNumbers: boolean;
  /** Warnings iptables prints on stderr for this command, each ending in a newline ('' for none). */
  warnings: string;
}

/** Why parsing failed; `kind` tells how iptables reports it (see restore.ts / command.ts). */
export interface ParseError {
  message: string;
  /** Warnings iptables printed before it failed, each ending in a newline. */
  warnings?: string;
  /** iptables' exit code when it is not 2 (with no usage hint then). */
  exit?: number;
}

export interface ParseEnv {
  resolveUser: (name: string) => number | undefined;
  resolveGroup: (name: string) => number | undefined;
  ipsetExists: (name: string) => boolean;
  nfacctExists: (name: string) => boolean;
  shared: Map<string, unknown>;
  /** Whether a chain of that name exists in the table at this point of the batch. */
  chainExists(table: TableName, name: string): boolean;
  /**
   * Optional, instead of chainExists: the existing chain's own name string, which a jump then keeps.
   * The chain maps are keyed by that very string, so later lookups by the jump's name compare
   * pointers instead of characters (iptables-restore of a big table looks each jump up several times).
   */
  chainNamed?(table: TableName, name: string): string | undefined;
}

const SHORT: Record<string, string> = {
  '-A': 'append',
  '-I': 'insert',
  '-D': 'delete',
  '-R': 'replace',
  '-C': 'check',
  '-N': 'new-chain',
  '-X': 'delete-chain',
  '-F': 'flush',
  '-Z': 'zero',
  '-P': 'policy',
  '-E': 'rename-chain',
  '-L': 'list',
  '-S': 'list-rules',
  '-t': 'table',
  '-n': 'numeric',
  '-v': 'verbose',
  '-x': 'exact',
  '-c': 'set-counters',
  '-w': 'wait',
  '-W': 'wait-interval',
  '-4': 'ipv4',
  '-s': 'source',
  '-d': 'destination',
  '-i': 'in-interface',
  '-o': 'out-interface',
  '-p': 'protocol',
  '-f': 'fragment',
  '-j': 'jump',
  '-g': 'goto',
  '-m': 'match',
};

const COMMANDS: Record<string, CommandOp> = {
  append: 'A',
  insert: 'I',
  delete: 'D',
  replace: 'R',
  check: 'C',
  'new-chain': 'N',
  new: 'N',
  'delete-chain': 'X',
  flush: 'F',
  zero: 'Z',
  policy: 'P',
  'rename-chain': 'E',
  list: 'L',
  'list-rules': 'S',
};

/** Long options of the base command and rule, with their argument counts. */
const BASE_LONG: Record<string, OptionSpec> = {
  append: { args: 1 },
  insert: { args: 1 },
  delete: { args: 1 },
  replace: { args: 1 },
  check: { args: 1 },
  'new-chain': { args: 1 },
  new: { args: 1 },
  'delete-chain': { args: 0 },
  flush: { args: 0 },
  zero: { args: 0 },
  policy: { args: 2 },
  'rename-chain': { args: 2 },
  list: { args: 0 },
  'list-rules': { args: 0 },
  table: { args: 1 },
  numeric: { args: 0 },
  verbose: { args: 0 },
  exact: { args: 0 },
  'line-numbers': { args: 0 },
  'set-counters': { args: 2 },
  wait: { args: 'optional' },
  'wait-interval': { args: 1 },
  ipv4: { args: 0 },
  source: { args: 1, invert: true },
  src: { args: 1, invert: true },
  destination: { args: 1, invert: true },
  dst: { args: 1, invert: true },
  'in-interface': { args: 1, invert: true },
  'out-interface': { args: 1, invert: true },
  protocol: { args: 1, invert: true },
  proto: { args: 1, invert: true },
  fragment: { args: 0, invert: true },
  jump: { args: 1 },
  goto: { args: 1 },
  match: { args: 1 },
};

/** SHORT by the flag's letter, so that `-d`, `-j`, `-m` on every rule line need no string lookup. */
const SHORT_BY_CODE: (string | undefined)[] = [];
for (const [flag, long] of Object.entries(SHORT)) SHORT_BY_CODE[flag.charCodeAt(1)] = long;

/** Base option names that some extension also defines: only those must be looked for among the loaded extensions first. */
const SHADOWED = new Set<string>();
for (const def of [...MATCHES.values(), ...TARGETS.values()])
  for (const name of Object.keys(def.options)) if (Object.hasOwn(BASE_LONG, name)) SHADOWED.add(name);

const CHAIN_NAME_MAX = 28;
const MERGED = new Set(['tcp', 'udp']);

export function checkChainName(name: string): string | null {
  if (name.startsWith('-')) return "chain name not allowed to start with `-'";
  if (name.length > CHAIN_NAME_MAX) return `chain name \`${name}' too long (must be under ${CHAIN_NAME_MAX + 1} chars)`;
  if (/\s/.test(name)) return `Invalid chain name \`${name}'`;
  if ((STANDARD_VERDICTS as readonly string[]).includes(name) || TARGETS.has(name)) return 'chain name may not clash with target name';
  return null;
}

interface LoadedExt {
  def: MatchDef | TargetDef;
  uses: OptionUse[];
  index: OptionIndex;
}

/** An option found by exact name: its canonical name string and its spec. */
interface OptionEntry {
  name: string;
  spec: OptionSpec;
}

/**
 * Options by exact name, and by `--name` (`dashed`): a rule line's `--dport` is then looked up as
 * the token itself, without cutting off the dashes, and in a small Map rather than as an object key
 * (which a fresh string would first have to be interned for).
 */
interface OptionIndex {
  bare: Map<string, OptionEntry>;
  dashed: Map<string, OptionEntry>;
}

const INDEXES = new WeakMap<object, OptionIndex>();

function optionIndex(options: Readonly<Record<string, OptionSpec>>): OptionIndex {
  let ix = INDEXES.get(options);
  if (!ix) {
    ix = { bare: new Map(), dashed: new Map() };
    for (const name of Object.keys(options)) {
      const entry = { name, spec: options[name] };
      ix.bare.set(name, entry);
      ix.dashed.set(`--${name}`, entry);
    }
    INDEXES.set(options, ix);
  }
  return ix;
}

function loadExt(def: MatchDef | TargetDef): LoadedExt {
  return { def, uses: [], index: optionIndex(def.options) };
}

const BASE_INDEX = optionIndex(BASE_LONG);

/** Looks `name` up among `options`, accepting a unique prefix as getopt_long does. */
function lookupOption(
  name: string,
  pools: readonly Readonly<Record<string, OptionSpec>>[],
): { name: string; pool: number } | 'ambiguous' | null {
  for (let i = 0; i < pools.length; i++) if (Object.hasOwn(pools[i], name)) return { name, pool: i };
  let hit: { name: string; pool: number } | null = null;
  for (let i = 0; i < pools.length; i++)
    for (const k of Object.keys(pools[i]))
      if (k.startsWith(name)) {
        // Two kinds' options of one name are two getopt entries: a prefix of it is ambiguous too.
        if (hit) return 'ambiguous';
        hit = { name: k, pool: i };
      }
  return hit;
}

const fail = (message: string): ParseError => ({ message });

const NAT_DROP = '\nThe "nat" table is not intended for filtering, the use of DROP is therefore inhibited.\n\n';

/** iptables' words for a `!` before an option that takes none. */
function notInvertible(owner: LoadedExt | null, name: string): string {
  if (owner !== null) return `${owner.def.name}: option "--${name}" cannot be inverted.\n`;
  if (name === 'match') return 'unexpected ! flag before --match';
  const short = Object.keys(SHORT).find((k) => SHORT[k] === name);
  return `cannot have ! before ${short ?? `--${name}`}`;
}

/**
 * Headers with no address, interface or fragment test, shared per protocol: most kube-proxy rules
 * have one, and a loaded table would otherwise hold 83,000 copies. Frozen, as nothing may change a
 * built rule's header.
 */
const PLAIN_HEADERS = new Map<number, RuleHeader>();

function shareHeader(h: RuleHeader): RuleHeader {
  if (h.src !== null || h.dst !== null || h.inIf !== null || h.outIf !== null || h.frag !== 0) return h;
  const key = h.protoInv ? -1 - h.proto : h.proto;
  let shared = PLAIN_HEADERS.get(key);
  if (!shared) PLAIN_HEADERS.set(key, (shared = Object.freeze({ ...h })));
  return shared;
}

/** Bits of the base flags that may be given once, for `seen`. */
const ONCE_BIT: Readonly<Record<string, number>> = { '-s': 1, '-d': 2, '-i': 4, '-o': 8, '-p': 16, '-f': 32 };

/** iptables' rule numbers: 1 up to INT_MAX, in decimal. */
function ruleNumber(t: string | undefined): number | ParseError {
  const n = t !== undefined && /^\d+$/.test(t) ? Number(t) : 0;
  return n >= 1 && n <= 0x7fffffff ? n : fail(`Invalid rule number \`${t ?? ''}'`);
}

/** Whether an optional argument follows: iptables takes the next word unless it starts with `-` or `!`. */
const argFollows = (t: string | undefined): t is string => t !== undefined && t[0] !== '-' && t[0] !== '!';

/** A rule number after -I/-D/-L/-S/-Z, when an argument follows (which must then be one). */
function optionalNum(argv: readonly string[], i: number, cmd: ParsedCommand): number | ParseError {
  const t = argv[i + 1];
  if (!argFollows(t)) return i;
  const n = ruleNumber(t);
  if (typeof n !== 'number') return n;
  cmd.num = n;
  return i + 1;
}

/** The arguments of an option that takes none; never changed. */
const NO_ARGS: readonly string[] = Object.freeze([]);

/** What parsing has read so far, passed between its steps. */
interface ParseState {
  cmd: ParsedCommand;
  header: RuleHeader;
  /** Base flags given so far (ONCE_BIT), and the first of them for the "Illegal option" message. */
  seen: number;
  firstSeen: string | null;
  matches: LoadedExt[];
  target: LoadedExt | null;
  /** How many matches were loaded before the target: options are looked up newest extension first. */
  targetAt: number;
  targetKind: RuleTarget | null;
  counters: [number, number] | null;
  isRule: boolean;
  /** A `-t` naming no table: iptables-nft finds that out only after parsing the whole command. */
  badTable: string | null;
  /** -s/-d as written: iptables reads them after the extensions' final checks. */
  srcText: string | null;
  dstText: string | null;
  ctx: BuildCtx | null;
  /** Warnings of the target's options, printed when the target is checked at the end. */
  targetWarnings: string;
}

/** One option occurrence as found in argv: its name and spec, the extension that owns it, its arguments. */
interface FoundOption {
  name: string;
  spec: OptionSpec;
  owner: LoadedExt | null;
  a0: string | undefined;
  a1: string | undefined;
  nargs: number;
  /** Index of the option's last word in argv. */
  end: number;
}

function newState(defaultTable: TableName): ParseState {
  return {
    cmd: {
      op: null,
      table: defaultTable,
      chain: null,
      num: null,
      arg: null,
      rule: null,
      numeric: false,
      verbose: false,
      exact: false,
      lineNumbers: false,
      warnings: '',
    },
    header: emptyHeader(),
    seen: 0,
    firstSeen: null,
    matches: [],
    target: null,
    targetKind: null,
    counters: null,
    isRule: false,
    badTable: null,
    srcText: null,
    dstText: null,
    ctx: null,
    targetWarnings: '',
    targetAt: 0,
  };
}

export function parseCommand(argv: readonly string[], env: ParseEnv, defaultTable: TableName = 'filter'): ParsedCommand | ParseError {
  const st = newState(defaultTable);
  const r = parseWords(st, argv, env, defaultTable);
  // Warnings were printed as their options were read, before any error that followed.
  return 'message' in r && st.cmd.warnings !== '' && r.warnings === undefined ? { ...r, warnings: st.cmd.warnings } : r;
}

function parseWords(st: ParseState, argv: readonly string[], env: ParseEnv, defaultTable: TableName): ParsedCommand | ParseError {
  let invert = false;
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === '!') {
      if (invert) return fail('multiple consecutive ! not allowed');
      invert = true;
      continue;
    }
    const found = findOption(st, argv, i);
    if (found === 'bundled') {
      // Bundled flags such as -nvL or -vnx: parsed again, spelled out.
      const rest = tok
        .slice(1)
        .split('')
        .map((c) => `-${c}`);
      return parseCommand([...argv.slice(0, i), ...rest, ...argv.slice(i + 1)], env, defaultTable);
    }
    if ('message' in found) return found;
    i = found.end;
    const { name, spec, owner } = found;
    if (invert && !spec.invert) return fail(notInvertible(owner, name));
    const inv = invert;
    invert = false;
    if (owner !== null) {
      const { nargs, a0, a1 } = found;
      const use: OptionUse = { name, args: nargs === 0 ? NO_ARGS : nargs === 1 ? [a0!] : [a0!, a1!], invert: inv };
      const bad = owner.def.check === undefined ? null : owner.def.check(use, buildCtx(st, env), owner.uses);
      if (bad) return fail(bad);
      if (spec.warn !== undefined) {
        const w = typeof spec.warn === 'string' ? spec.warn : spec.warn(use.args);
        // A target's warnings come from its final check, after the matches' ones.
        if (w !== null && owner === st.target) st.targetWarnings += w + '\n';
        else if (w !== null) st.cmd.warnings += w + '\n';
      }
      if (owner.uses.length === 0) owner.uses = [use];
      else owner.uses.push(use);
      continue;
    }
    const op = COMMANDS[name];
    const next = op ? commandOption(st, op, found, argv) : baseOption(st, name, found.a0, found.a1, inv);
    if (typeof next !== 'number') return next;
    if (next > i) i = next;
  }
  if (invert) return fail('no command specified');
  return finish(st, env);
}

/** What iptables says when a two-argument option lacks its second. */
const SECOND_ARG_MISSING: Record<string, string> = {
  policy: '-P requires a chain and a policy',
  'rename-chain': '-E requires old-chain-name and new-chain-name',
  'set-counters': '-c requires packet and byte counter',
  'tcp-flags': '--tcp-flags requires two args.',
  'match-set': '--match-set requires two args.',
};

/**
 * The option at argv[i]: extension options first (in byKind's order), then the base options; an exact name is looked up without building the pool list, an abbreviation takes the
 * general path. 'bundled' for several short flags in one word.
 */
function findOption(st: ParseState, argv: readonly string[], i: number): FoundOption | ParseError | 'bundled' {
  const tok = argv[i];
  // `long` is the option name without dashes; for a plain `--name` token it is cut only when the
  // exact lookup below fails (`dashed`: the token itself is the lookup key).
  let long: string | null = null;
  let dashed = false;
  let inlineArg: string | null = null;
  // A single flag such as `-j` can only be an extension's when some extension reuses its long name.
  let baseOnly = false;
  if (tok.charCodeAt(0) === 45 && tok.charCodeAt(1) === 45) {
    const eq = tok.indexOf('=', 2);
    if (eq >= 0) {
      inlineArg = tok.slice(eq + 1);
      long = tok.slice(2, eq);
    } else dashed = true;
  } else if (tok.charCodeAt(0) === 45 && tok.length >= 2) {
    const s = tok.length === 2 ? SHORT_BY_CODE[tok.charCodeAt(1)] : SHORT[tok.slice(0, 2)];
    // `-b` is in iptables' getopt string but handled nowhere: it falls to the "Unknown arg" case.
    if (!s && tok[1] === 'b') return fail('Unknown arg "(null)"');
    if (!s) return fail(`unknown option "${tok}"`);
    long = s;
    baseOnly = tok.length === 2 && !SHADOWED.has(s);
    if (tok.length > 2) {
      const rest = tok
        .slice(1)
        .split('')
        .map((c) => `-${c}`);
      if (rest.every((r) => SHORT[r] && (BASE_LONG[SHORT[r]].args === 0 || r === rest[rest.length - 1]))) return 'bundled';
      inlineArg = tok.slice(2);
    }
  } else {
    return fail(`Bad argument \`${tok}'`);
  }

  let owner: LoadedExt | null = null;
  const key = dashed ? tok : long!;
  let entry: OptionEntry | undefined;
  // The most recently loaded extension first, as iptables merges each one's options in front of
  // the older ones: `-m recent -j CONNMARK --mask` is CONNMARK's, `-j CONNMARK -m recent --mask` recent's.
  if (!baseOnly) {
    const hit = exactOwner(st, key, dashed);
    if (hit) ({ ext: owner, entry } = hit);
  }
  entry ??= (dashed ? BASE_INDEX.dashed : BASE_INDEX.bare).get(key);
  let spec: OptionSpec;
  let name: string;
  if (entry !== undefined) {
    spec = entry.spec;
    name = entry.name;
  } else {
    const byPrefix = findAbbreviated(st, long ?? tok.slice(2));
    if (byPrefix === null) return fail(`unknown option "${tok}"`);
    ({ spec, name, owner } = byPrefix);
  }
  // The option's arguments. Base options use them at once; only an extension's option gets
  // them as an array, made at its final size (a pushed-to array reserves room for 16).
  let a0: string | undefined;
  let a1: string | undefined;
  let nargs = 0;
  let end = i;
  if (spec.args === 'optional') {
    if (inlineArg !== null) {
      a0 = inlineArg;
      nargs = 1;
    } else if (argv[end + 1] !== undefined && !argv[end + 1].startsWith('-')) {
      a0 = argv[++end];
      nargs = 1;
    }
  } else if (spec.args > 0) {
    a0 = inlineArg ?? argv[end + 1];
    // getopt names the word as it was typed (`-s`, `--dport` read as multiport's `--dports`).
    if (a0 === undefined) return fail(`option "${tok}" requires an argument`);
    if (inlineArg === null) end++;
    nargs = 1;
    if (spec.args === 2) {
      a1 = argv[end + 1];
      // The second argument is read by the option itself, which takes no word starting with - or !.
      if (a1 === undefined || a1.startsWith('-') || a1.startsWith('!'))
        return fail(SECOND_ARG_MISSING[name] ?? `option "${tok}" requires an argument`);
      end++;
      nargs = 2;
    }
  }
  return { name, spec, owner, a0, a1, nargs, end };
}

/** When an extension was loaded, counting the target among the matches. */
const loadSeq = (st: ParseState, i: number) => (i < st.matches.length ? (i < st.targetAt ? i : i + 1) : st.targetAt);

/**
 * The loaded extensions as iptables' getopt sees their options: each kind once, the most recently
 * first loaded first (iptables merges a kind's options in front of the older ones when it first
 * loads it, not again for a second `-m` of it), standing for its latest instance, which takes the
 * options given after it. A loop, not a list, on the common path: this runs for every option word.
 */
function byKind(st: ParseState): LoadedExt[] {
  const n = st.matches.length;
  const kinds: { ext: LoadedExt; first: number }[] = [];
  for (let i = 0; i <= n; i++) {
    const ext = i < n ? st.matches[i] : st.target;
    if (ext === null) continue;
    const k = kinds.find((x) => x.ext.def === ext.def);
    if (k) k.ext = ext;
    else kinds.push({ ext, first: loadSeq(st, i) });
  }
  return kinds.sort((a, b) => b.first - a.first).map((k) => k.ext);
}

/** The extension whose option is named exactly `key`, as byKind orders them, without building the list. */
function exactOwner(st: ParseState, key: string, dashed: boolean): { ext: LoadedExt; entry: OptionEntry } | null {
  const n = st.matches.length;
  let best: { ext: LoadedExt; entry: OptionEntry } | null = null;
  let bestFirst = -1;
  let bestSeq = -1;
  for (let i = 0; i <= n; i++) {
    const ext = i < n ? st.matches[i] : st.target;
    if (ext === null) continue;
    const entry = (dashed ? ext.index.dashed : ext.index.bare).get(key);
    if (entry === undefined) continue;
    const seq = loadSeq(st, i);
    let first = seq;
    for (let j = 0; j < i && j < n; j++)
      if (st.matches[j].def === ext.def) {
        first = loadSeq(st, j);
        break;
      }
    if (first > bestFirst || (first === bestFirst && seq > bestSeq)) {
      best = { ext, entry };
      bestFirst = first;
      bestSeq = seq;
    }
  }
  return best;
}

/** An option given by a unique prefix of its name (as getopt_long allows), loading the protocol's match if it has it. */
function findAbbreviated(st: ParseState, long: string): { spec: OptionSpec; name: string; owner: LoadedExt | null } | null {
  const { matches, header } = st;
  const poolsNow = () =>
    byKind(st)
      .map((e) => e.def.options)
      .concat([BASE_LONG]);
  let pools = poolsNow();
  let found = lookupOption(long, pools);
  if (found === null || found === 'ambiguous') {
    // An option of the protocol's match loads that match implicitly (`-p tcp --dport 80`).
    const implicit = IMPLICIT_BY_PROTO.get(header.proto);
    // Also after `! -p tcp`: iptables looks at the protocol's number only.
    if (found === null && implicit && !matches.some((m) => m.def.name === implicit)) {
      const def = MATCHES.get(implicit)!;
      const f = lookupOption(long, [def.options]);
      if (f !== null && f !== 'ambiguous') {
        matches.push(loadExt(def));
        pools = poolsNow();
        found = lookupOption(long, pools);
      }
    }
    if (found === null || found === 'ambiguous') return null;
  }
  const owner = found.pool < pools.length - 1 ? byKind(st)[found.pool] : null;
  return { spec: pools[found.pool][found.name], name: found.name, owner };
}

/** A command option (-A, -I, -D, ...): its chain and rule number. Returns the index of the last word it used. */
function commandOption(st: ParseState, op: CommandOp, o: FoundOption, argv: readonly string[]): number | ParseError {
  const { cmd } = st;
  const i = o.end;
  if (cmd.op !== null) return fail('Cannot use -' + op + ' with -' + cmd.op);
  cmd.op = op;
  switch (op) {
    case 'A':
    case 'C':
      cmd.chain = o.a0!;
      st.isRule = true;
      return i;
    case 'I':
      cmd.chain = o.a0!;
      st.isRule = true;
      return optionalNum(argv, i, cmd);
    case 'R': {
      cmd.chain = o.a0!;
      const n = ruleNumber(argv[i + 1]);
      if (typeof n !== 'number') return n;
      cmd.num = n;
      st.isRule = true;
      return i + 1;
    }
    case 'D': {
      cmd.chain = o.a0!;
      const next = optionalNum(argv, i, cmd);
      st.isRule = cmd.num === null;
      return next;
    }
    case 'N':
      cmd.chain = o.a0!;
      return i;
    case 'P':
    case 'E':
      if (op === 'E' && o.a1!.startsWith('-')) return fail('-E requires old-chain-name and new-chain-name');
      cmd.chain = o.a0!;
      cmd.arg = o.a1!;
      return i;
    default:
      // -X -F -Z -L -S take an optional chain (and -L -S -Z a rule number).
      if (!argFollows(argv[i + 1])) return i;
      cmd.chain = argv[i + 1];
      return op === 'L' || op === 'S' || op === 'Z' ? optionalNum(argv, i + 1, cmd) : i + 1;
  }
}

/** Marks a base flag that may be given once as seen, or says it was given twice. */
function once(st: ParseState, flag: string): ParseError | null {
  if (st.seen & ONCE_BIT[flag]) return fail(`multiple ${flag} flags not allowed`);
  st.seen |= ONCE_BIT[flag];
  st.firstSeen ??= flag;
  return null;
}

/** A base option other than a command; returns -1 (no words used beyond its own) or an error. */
function baseOption(st: ParseState, name: string, a0: string | undefined, a1: string | undefined, inv: boolean): number | ParseError {
  const { cmd, header } = st;
  let e: ParseError | null;
  switch (name) {
    case 'table':
      if (!(TABLES as readonly string[]).includes(a0!)) st.badTable = a0!;
      else cmd.table = a0! as TableName;
      break;
    case 'numeric':
      cmd.numeric = true;
      break;
    case 'verbose':
      cmd.verbose = true;
      break;
    case 'exact':
      cmd.exact = true;
      break;
    case 'line-numbers':
      cmd.lineNumbers = true;
      break;
    case 'set-counters':
      if (!/^\d+$/.test(a0!)) return fail(`-c packet counter not numeric`);
      if (!/^\d+$/.test(a1!)) return fail(`-c byte counter not numeric`);
      st.counters = [Number(a0!), Number(a1!)];
      break;
    case 'source':
    case 'src':
      if ((e = once(st, '-s'))) return e;
      st.srcText = a0!;
      header.srcInv = inv;
      break;
    case 'destination':
    case 'dst':
      if ((e = once(st, '-d'))) return e;
      st.dstText = a0!;
      header.dstInv = inv;
      break;
    case 'in-interface':
    case 'out-interface': {
      const isIn = name === 'in-interface';
      if ((e = once(st, isIn ? '-i' : '-o'))) return e;
      if (a0!.length > 15) return fail(`interface name \`${a0!}' must be shorter than IFNAMSIZ (15)`);
      // `-i +` matches every interface; iptables-nft leaves it out.
      if (a0 === '+' && !inv) break;
      if (isIn) {
        header.inIf = a0!;
        header.inInv = inv;
      } else {
        header.outIf = a0!;
        header.outInv = inv;
      }
      break;
    }
    case 'protocol':
    case 'proto': {
      if ((e = once(st, '-p'))) return e;
      const p = parseProto(a0!);
      if (p === null) return fail(`unknown protocol "${a0!}" specified`);
      if (p === 0 && inv) return fail('rule would never match protocol');
      header.proto = p;
      header.protoInv = inv;
      break;
    }
    case 'fragment':
      if ((e = once(st, '-f'))) return e;
      header.frag = inv ? 2 : 1;
      break;
    case 'match': {
      const def = MATCHES.get(a0!);
      if (!def) return fail(`Couldn't load match \`${a0!}':No such file or directory\n`);
      // A second `-m udp` is a match of its own: options after it are its own (see mergeNative).
      st.matches.push(loadExt(def));
      break;
    }
    case 'jump':
    case 'goto': {
      if (st.targetKind) return fail('multiple -j flags not allowed');
      const t = a0!;
      // iptables checks the name as it reads it, whatever it names.
      if (t === '') return fail('Invalid target name (too short)');
      if (t.length > CHAIN_NAME_MAX) return fail(`Invalid target name \`${t}' (${CHAIN_NAME_MAX} chars max)`);
      if (/\s/.test(t)) return fail(`Invalid target name \`${t}'`);
      if (name === 'jump' && (STANDARD_VERDICTS as readonly string[]).includes(t))
        st.targetKind = { kind: 'verdict', verdict: t as 'ACCEPT' };
      else if (name === 'jump' && TARGETS.has(t)) {
        st.target = loadExt(TARGETS.get(t)!);
        st.targetAt = st.matches.length;
        st.targetKind = { kind: 'none' };
      } else st.targetKind = { kind: name === 'jump' ? 'jump' : 'goto', chainName: t, chain: null };
      break;
    }
    // wait, wait-interval, ipv4: accepted and meaningless here.
  }
  return -1;
}

/** After the last word, in iptables' order: generic checks, the extensions' final checks, addresses, chain checks, the jump's chain. */
function finish(st: ParseState, env: ParseEnv): ParsedCommand | ParseError {
  const { cmd, targetKind } = st;
  if (cmd.op === null) return fail('no command specified');
  const natDrop =
    cmd.table === 'nat' && ((cmd.op === 'P' && cmd.arg === 'DROP') || (targetKind?.kind === 'verdict' && targetKind.verdict === 'DROP'));
  if (natDrop) return fail(NAT_DROP);
  const noTable: ParseError | null =
    st.badTable === null
      ? null
      : { message: `table '${st.badTable}' does not exist\nPerhaps iptables or your kernel needs to be upgraded.`, exit: 3 };
  if (!st.isRule) {
    if (st.seen !== 0 || st.matches.length > 0 || targetKind)
      return fail(`Illegal option \`-${st.firstSeen?.replace('-', '') ?? 'j'}' with this command`);
    if (noTable && cmd.op === 'N') {
      const bad = checkChainName(cmd.chain!);
      if (bad) return fail(bad);
    }
    if (cmd.chain !== null && cmd.chain.length > CHAIN_NAME_MAX)
      return fail(`chain name \`${cmd.chain}' too long (must be under ${CHAIN_NAME_MAX + 1} chars)`);
    return noTable ?? cmd;
  }
  const chain = cmd.chain!;
  const built = buildExtensions(st, env);
  if ('message' in built) return built;
  const addrs = readAddresses(st);
  if (addrs) return addrs;
  if (st.counters && (cmd.op === 'D' || cmd.op === 'C')) return fail("Illegal option `-c' with this command");
  // The chain's name is checked after the extensions' final checks, the addresses and the options' command check.
  if (chain.length > CHAIN_NAME_MAX) return fail(`chain name \`${chain}' too long (must be under ${CHAIN_NAME_MAX + 1} chars)`);
  if (st.seen & ONCE_BIT['-o'] && (chain === 'INPUT' || chain === 'PREROUTING')) return fail(`Can't use -o with ${chain}\n`);
  if (st.seen & ONCE_BIT['-i'] && (chain === 'OUTPUT' || chain === 'POSTROUTING')) return fail(`Can't use -i with ${chain}\n`);
  if (noTable) return noTable;
  // tcp/udp options without their -p: found when the rule is turned into nf_tables expressions, before the jump's chain is looked up.
  if (built.lateError !== undefined) return fail(built.lateError);
  if (targetKind && (targetKind.kind === 'jump' || targetKind.kind === 'goto')) {
    // A built-in chain's name is known to iptables whether or not the chain exists (the kernel refuses the jump).
    const builtin = (BUILTIN_CHAINS[cmd.table] as readonly string[]).includes(targetKind.chainName);
    const named = builtin
      ? targetKind.chainName
      : env.chainNamed
        ? env.chainNamed(cmd.table, targetKind.chainName)
        : env.chainExists(cmd.table, targetKind.chainName)
          ? targetKind.chainName
          : undefined;
    if (named === undefined) return fail(`Chain '${targetKind.chainName}' does not exist`);
    targetKind.chainName = named;
  }
  const header = st.header;
  // specCache is declared here, not added by the printer later, so that rules keep one shape and no extra property store.
  cmd.rule = {
    header: shareHeader(header),
    matches: built.matches,
    target: built.target,
    test: compileRule(header, built.matches),
    pkts: st.counters ? st.counters[0] : 0,
    bytes: st.counters ? st.counters[1] : 0,
    specCache: undefined,
  };
  return cmd;
}

/** The extensions' view of the rule so far: made once per command, its protocol and table kept current. */
function buildCtx(st: ParseState, env: ParseEnv): BuildCtx {
  const ctx = (st.ctx ??= {
    proto: 0,
    protoInvert: false,
    table: st.cmd.table,
    resolveUser: env.resolveUser,
    resolveGroup: env.resolveGroup,
    ipsetExists: env.ipsetExists,
    nfacctExists: env.nfacctExists,
    shared: env.shared,
  });
  ctx.proto = st.header.proto;
  ctx.protoInvert = st.header.protoInv;
  ctx.table = st.cmd.table;
  return ctx;
}

/** Each extension checks and builds itself from its options (matches in order, then the target). */
function buildExtensions(
  st: ParseState,
  env: ParseEnv,
): { matches: MatchInstance[]; target: RuleTarget; lateError: string | undefined } | ParseError {
  const { matches } = st;
  const ctx = buildCtx(st, env);
  // Sized up front: a pushed-to array keeps room for 16, and a loaded table keeps one per rule.
  let built: MatchInstance[] = new Array<MatchInstance>(matches.length);
  let elided = false;
  // Taken before elided matches go: `-m tcp --tcp-flags NONE ACK` stores nothing, yet still needs its -p.
  let lateError: string | undefined;
  for (let m = 0; m < matches.length; m++) {
    const inst = (matches[m].def as MatchDef).build(matches[m].uses, ctx);
    if (typeof inst === 'string') return fail(inst);
    built[m] = inst;
    elided ||= inst.elided === true;
    lateError ??= inst.lateError;
  }
  for (const name of MERGED) built = mergeNative(name, matches, built, ctx);
  if (elided) built = built.filter((m) => m.elided !== true);
  let target: RuleTarget = st.targetKind ?? { kind: 'none' };
  st.cmd.warnings += st.targetWarnings;
  if (st.target) {
    const inst = (st.target.def as TargetDef).build(st.target.uses, ctx);
    if (typeof inst === 'string') return fail(inst);
    target = { kind: 'ext', ext: inst };
  }
  return { matches: built, target, lateError };
}

/** The option a tcp/udp option sets in the native match, for "a later one replaces an earlier one". */
function nativeField(name: string): string {
  if (name === 'source-port') return 'sport';
  if (name === 'destination-port') return 'dport';
  return name === 'syn' ? 'tcp-flags' : name;
}

/**
 * iptables-nft stores each tcp/udp match that has options as nf_tables payload compares and, listing
 * the rule, prints them all back as one match at the first one's place, a later option replacing an
 * earlier one of its kind (`-m udp --dport 80 -m udp --dport 90` prints `--dport 90`). The packet
 * must still pass every compare. A match with no option (and tcp's `--tcp-option`) stays an xt match.
 */
function mergeNative(name: string, loaded: readonly LoadedExt[], built: MatchInstance[], ctx: BuildCtx): MatchInstance[] {
  const native: number[] = [];
  for (let m = 0; m < loaded.length; m++) {
    const { def, uses } = loaded[m];
    // A match whose options are only full port ranges is an xt match (or, inverted, dropped): not merged.
    if (def.name === name && uses.length > 0 && !uses.some((u) => u.name === 'tcp-option') && storesNative(uses, name)) native.push(m);
  }
  if (native.length < 2) return built;
  const last = new Map<string, OptionUse>();
  for (const m of native) for (const u of loaded[m].uses) last.set(nativeField(u.name), u);
  const printed = (loaded[native[0]].def as MatchDef).build([...last.values()], ctx);
  if (typeof printed === 'string') return built;
  const tests = native.map((m) => built[m].test);
  const merged: MatchInstance = Object.create(printed) as MatchInstance;
  Object.defineProperty(merged, 'test', { value: ((skb, env) => tests.every((t) => t(skb, env))) satisfies MatchFn });
  // Port ranges merge end by end, not as whole options; the printers read these two fields.
  const uses = native.flatMap((m) => loaded[m].uses);
  for (const key of ['sport', 'dport'] as const) Object.defineProperty(merged, key, { value: mergedPortSel(uses, name, key) });
  Object.defineProperty(merged, 'exactDport', { value: undefined });
  const drop = new Set(native.slice(1));
  return built.map((b, m) => (m === native[0] ? merged : b)).filter((_, m) => !drop.has(m));
}

/** -s and -d, read now as iptables reads them after the extensions. */
function readAddresses(st: ParseState): ParseError | null {
  const h = st.header;
  for (const isSrc of [true, false]) {
    const text = isSrc ? st.srcText : st.dstText;
    if (text === null) continue;
    const am = parseHostMask(text);
    if (typeof am === 'string') return fail(am);
    // iptables-nft leaves out a test every address passes (`0/0`, `1.2.3.4/0`): the rule prints without it.
    // Inverted, it is kept for the kernel to refuse (see apply.ts).
    if (am.mask === 0 && !(isSrc ? h.srcInv : h.dstInv)) {
      if (isSrc) h.srcInv = false;
      else h.dstInv = false;
    } else if (isSrc) h.src = am;
    else h.dst = am;
  }
  return null;
}

export { ifaceMatcher };
