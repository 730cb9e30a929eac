/**
 * Puts what the kernel and nflab report into one comparable form: counter
 * deltas from two `iptables-save -c` texts, conntrack entries with ephemeral
 * ports and ICMP ids blanked, and first-packet rule steps grouped per node.
 */
import type { PlainTuple } from '../../src/netfilter/conntrack/format.js';
import type { RuleTraceStep } from '../../src/trace/steps.js';
import { traceRuleText } from './nft-observe.js';

interface Counted {
  key: string;
  packets: number;
  bytes: number;
}

const CHAIN = /^:(\S+) (\S+) \[(\d+):(\d+)\]$/;
const RULE = /^\[(\d+):(\d+)\] (.*)$/;

/** Every counter in an `iptables-save -c` text, keyed by table and rule text (repeated identical rules get an occurrence number). */
export function parseCounters(save: string): Counted[] {
  const out: Counted[] = [];
  const seen = new Map<string, number>();
  let table = '';
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) {
      table = line.slice(1).trim();
      continue;
    }
    let key: string;
    let p: string;
    let b: string;
    const c = CHAIN.exec(line);
    const r = c === null ? RULE.exec(line) : null;
    if (c !== null) {
      if (c[2] === '-') continue;
      [key, p, b] = [`${table} :${c[1]} ${c[2]}`, c[3], c[4]];
    } else if (r !== null) {
      [key, p, b] = [`${table} ${r[3]}`, r[1], r[2]];
    } else continue;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    out.push({ key: n > 1 ? `${key} (${n})` : key, packets: Number(p), bytes: Number(b) });
  }
  return out;
}

export interface DeltaOptions {
  /** Compare packet counts only (byte counts depend on payloads the two sides choose differently). */
  packetsOnly?: boolean;
  /** Only these tables (nat sees just a connection's first packet). */
  tables?: ReadonlySet<string>;
}

/** Counters that moved between two saves of one node, as `node table rule +p[:b]`, in save order. */
export function counterDeltas(node: string, before: string, after: string, o: DeltaOptions = {}): string[] {
  const old = new Map(parseCounters(before).map((c) => [c.key, c]));
  const out: string[] = [];
  for (const c of parseCounters(after)) {
    if (o.tables !== undefined && !o.tables.has(c.key.slice(0, c.key.indexOf(' ')))) continue;
    const was = old.get(c.key);
    const dp = c.packets - (was?.packets ?? 0);
    const db = c.bytes - (was?.bytes ?? 0);
    if (dp === 0 && (o.packetsOnly || db === 0)) continue;
    out.push(`${node} ${c.key} +${dp}${o.packetsOnly ? '' : `:${db}`}`);
  }
  return out;
}

/** A save text without counters, for comparing rule sets. */
export function withoutCounters(save: string): string {
  return save
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/^\[\d+:\d+\] /, '').replace(/ \[\d+:\d+\]$/, ''))
    .join('\n');
}

/** One direction of an entry, as conntrack's plain form has it (nflab's and the parsed kernel listing alike). */
export type CtTupleLike = PlainTuple;

export interface CtLike {
  proto: string;
  state?: string;
  mark: string;
  orig: CtTupleLike;
  reply: CtTupleLike;
  flags: string[];
}

/** Linux picks client ports from 32768-60999; nflab from its own seeded RNG. Neither is part of the behaviour under test. */
export const EPHEMERAL_MIN = 32768;

function port(p: number | undefined, fixed: ReadonlySet<number>): string {
  if (p === undefined) return '';
  return p >= EPHEMERAL_MIN && !fixed.has(p) ? ':*' : `:${p}`;
}

function tuple(t: CtTupleLike, fixed: ReadonlySet<number>, natPort = false): string {
  if (t.type !== undefined) return `${t.src}>${t.dst} type=${t.type} code=${t.code ?? 0}`;
  return `${t.src}${port(t.sport, fixed)}>${t.dst}${natPort ? ':*' : port(t.dport, fixed)}`;
}

const FLAGS = new Set(['ASSURED', 'UNREPLIED']);

/**
 * One line per entry, sorted; ephemeral ports and ICMP ids do not appear, nor
 * a source port SNAT chose (`--random-fully` picks any port, and a clash moves
 * a port to a random offset). `origOnly` keeps
 * only the original direction: where `statistic --mode random` picks the
 * backend, the reply tuple is the kernel's dice against nflab's seeded ones.
 */
export function normaliseConntrack(entries: readonly CtLike[], fixedPorts: ReadonlySet<number> = new Set(), origOnly = false): string[] {
  return entries
    .map((e) => {
      if (origOnly) return `${e.proto}${e.state ? ` ${e.state}` : ''} ${tuple(e.orig, fixedPorts)}`;
      const flags = e.flags.filter((f) => FLAGS.has(f)).sort();
      const mark = e.mark === '0x0' ? '' : ` mark=${e.mark}`;
      // A source NAT that moved the port (an SNAT rule, or the implicit one that resolves a clash of reply
      // tuples) starts its search at a random offset in the kernel (nf_nat_l4proto_unique_tuple), so which
      // port it took is not behaviour; whether it kept the original port is, and stays compared.
      const natPort = e.reply.dst !== e.orig.src || (e.reply.dport !== undefined && e.reply.dport !== e.orig.sport);
      return `${e.proto}${e.state ? ` ${e.state}` : ''} ${tuple(e.orig, fixedPorts)} reply ${tuple(e.reply, fixedPorts, natPort)}${mark}${flags.length ? ` [${flags.join(',')}]` : ''}`;
    })
    .sort();
}

/** What the comparison reads of a rule or policy step, from nflab's trace or the kernel's. */
export type RuleStepLike = Pick<RuleTraceStep, 'node' | 'hook' | 'table' | 'chain' | 'rule' | 'verdict' | 'policy'> &
  Partial<Pick<RuleTraceStep, 'family' | 'handle' | 'rule_text'>>;

/** A native step as `nft -a monitor trace` prints it, after the hook; rule counters left out (see traceRuleText). */
function nativeStepLine(s: RuleStepLike): string {
  const head = `${s.hook} ${s.family} ${s.table} ${s.chain}`;
  if (s.policy) return `${head} policy ${s.verdict}`;
  return `${head} rule ${traceRuleText(s.rule_text ?? '')} # handle ${s.handle} (verdict ${s.verdict})`;
}

/**
 * Rule steps per node, in order. The kernel's monitors see one namespace each,
 * so a packet that visits a node twice has its visits listed together there;
 * grouping nflab's steps per node the same way makes the two comparable.
 */
export function traceByNode(steps: readonly RuleStepLike[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of steps) {
    const line =
      s.family !== undefined ? nativeStepLine(s) : `${s.hook} ${s.table}/${s.chain}#${s.policy ? 'policy' : (s.rule ?? '?')} ${s.verdict}`;
    (out[s.node] ??= []).push(line);
  }
  return out;
}

/** The address part of `IP:PORT`, unless the port is to be kept. */
export function seenAddress(sees: string | null | undefined, keepPort: boolean): string | null {
  if (sees === null || sees === undefined) return null;
  return keepPort ? sees : sees.split(':')[0];
}
