/**
 * "Why not?": when a probe did not do what a scenario expected, name the rules
 * nearest to matching where the packet was decided, and which of their
 * conditions failed. Conditions are evaluated again on a copy of the packet as
 * it entered that table; stateful matches (statistic, limit, recent, ...) are
 * not re-run, so the explanation never changes the simulation.
 */
import { Rng } from '../core/rng.js';
import { formatIpv4, parseIpv4 } from '../packet/ipv4.js';
import type { Lab } from '../lab/lab.js';
import type { TableSnapshot } from '../trace/tracer.js';
import type { Rule } from '../netfilter/rule.js';
import type { NfEnv, Skb, TableName } from '../netfilter/types.js';
import { isRuleStep, type PacketTrace, type RuleTraceStep } from '../trace/steps.js';
import type { RuleRef } from './model.js';
import { dropsPacket, failingExpressions } from '../nftables/why-not.js';
import { printRule } from '../nftables/print.js';
import type { Rule as NftRule, Table as NftTable } from '../nftables/ast.js';
import { findNftRule } from './nft-ref.js';

const STATEFUL = new Set(['statistic', 'limit', 'hashlimit', 'recent', 'connlimit', 'nfacct', 'quota']);

function describePacket(skb: Skb): string {
  const p = skb.pkt;
  const port = (n: number | undefined) => (n === undefined ? '' : `:${n}`);
  const proto = p.tcp ? 'tcp' : p.udp ? 'udp' : p.icmp ? 'icmp' : `proto ${p.proto}`;
  return `${proto} ${formatIpv4(p.src)}${port(p.tcp?.sport ?? p.udp?.sport)} → ${formatIpv4(p.dst)}${port(p.tcp?.dport ?? p.udp?.dport)} in=${skb.inIf ?? '-'} out=${skb.outIf ?? '-'}`;
}

/** The conditions of `rule` that fail for `skb`, as readable phrases. Empty: it matches. */
export function failingConditions(rule: Rule, skb: Skb, env: NfEnv): string[] {
  const h = rule.header;
  const out: string[] = [];
  const p = skb.pkt;
  const not = (inv: boolean) => (inv ? '! ' : '');
  if (h.src && ((p.src & h.src.mask) >>> 0 === h.src.addr) === h.srcInv) {
    out.push(`${not(h.srcInv)}-s ${formatIpv4(h.src.addr)}/${maskText(h.src.mask)} (source was ${formatIpv4(p.src)})`);
  }
  if (h.dst && ((p.dst & h.dst.mask) >>> 0 === h.dst.addr) === h.dstInv) {
    out.push(`${not(h.dstInv)}-d ${formatIpv4(h.dst.addr)}/${maskText(h.dst.mask)} (destination was ${formatIpv4(p.dst)})`);
  }
  if (h.inIf !== null && ifMatch(h.inIf, skb.inIf) === h.inInv)
    out.push(`${not(h.inInv)}-i ${h.inIf} (in-interface was ${skb.inIf ?? 'none'})`);
  if (h.outIf !== null && ifMatch(h.outIf, skb.outIf) === h.outInv)
    out.push(`${not(h.outInv)}-o ${h.outIf} (out-interface was ${skb.outIf ?? 'none'})`);
  if (h.proto !== 0 && (p.proto === h.proto) === h.protoInv) out.push(`${not(h.protoInv)}-p ${h.proto} (protocol was ${p.proto})`);
  if (out.length && rule.matches.length === 0) return out;
  for (const m of rule.matches) {
    if (STATEFUL.has(m.name)) continue;
    if (!m.test(skb, env)) out.push(`-m ${m.name}${m.save()} (${whatMatchSaw(m.name, skb)})`);
  }
  return out;
}

/** The packet fields a match looks at, so the reader sees at once what differed. */
function whatMatchSaw(name: string, skb: Skb): string {
  const p = skb.pkt;
  switch (name) {
    case 'tcp':
    case 'udp':
    case 'multiport': {
      const l4 = p.tcp ?? p.udp;
      return l4 ? `sport was ${l4.sport}, dport was ${l4.dport}` : 'no TCP/UDP header';
    }
    case 'icmp':
      return p.icmp ? `icmp type ${p.icmp.type} code ${p.icmp.code}` : 'not ICMP';
    case 'mark':
      return `mark was 0x${(skb.mark >>> 0).toString(16)}`;
    case 'conntrack':
    case 'state':
      return `ctstate was ${skb.ctState}${skb.ctReply ? ' (reply direction)' : ''}`;
    case 'owner':
      return skb.socket ? `uid ${skb.socket.uid}, gid ${skb.socket.gid}` : 'no local socket';
    default:
      return `packet: ${describePacket(skb)}`;
  }
}

function maskText(mask: number): string {
  let len = 0;
  for (let m = mask >>> 0; m & 0x80000000; m = (m << 1) >>> 0) len++;
  return String(len);
}

function ifMatch(pattern: string, name: string | null): boolean {
  if (pattern.endsWith('+')) return (name ?? '').startsWith(pattern.slice(0, -1));
  return name === pattern;
}

/** An NfEnv for re-evaluation: the node's own, but with a private RNG so nothing real is consumed. */
function quietEnv(lab: Lab, node: string, snap: TableSnapshot): NfEnv {
  const real = lab.node(node)!.nfEnv;
  const env = Object.create(real) as NfEnv & { hook: string; table: string; rng: Rng };
  Object.defineProperty(env, 'rng', { value: new Rng(0) });
  Object.defineProperty(env, 'hook', { value: snap.hook });
  Object.defineProperty(env, 'table', { value: snap.nft ? 'filter' : snap.table });
  return env;
}

/** A native step's verdict names the chain it jumps or goes to: `jump services`. */
const nftTarget = (verdict: string): string | null => /^(?:jump|goto) (.+)$/.exec(verdict)?.[1] ?? null;

const nftSnaps = (snaps: readonly TableSnapshot[], node: string, family: string, table: string) =>
  snaps.filter((s) => s.node === node && s.nft?.family === family && s.table === table);

/** Native chains of one table the packet walked at one hook: where it was, and where its rules sent it. */
function nftWalked(steps: readonly RuleTraceStep[], node: string, hook: string, family: string, table: string): Set<string> {
  const out = new Set<string>();
  for (const s of steps)
    if (s.node === node && s.hook === hook && s.family === family && s.table === table) {
      out.add(s.chain);
      const t = nftTarget(s.verdict);
      if (t !== null) out.add(t);
    }
  return out;
}

function explainNftRule(lab: Lab, snap: TableSnapshot, table: NftTable, chain: string, rule: NftRule): { failing: string[]; text: string } {
  const skb = snap.skb as Skb;
  const failing = failingExpressions(table, rule, skb, quietEnv(lab, snap.node, snap));
  const where = `${snap.node} ${table.family} ${table.name}/${chain} handle ${rule.handle} \`${printRule(rule, table.family)}\``;
  if (!failing.length)
    return {
      failing,
      text: `${where} matches the packet as it entered ${snap.hook} ${table.family} ${table.name} ${snap.nft?.chain}, but an earlier rule decided first`,
    };
  return { failing, text: `${where} did not match: ${failing.join('; ')}` };
}

/** Why the first packet did not pass a native rule (or fall to a native base chain's policy). */
function explainNftRef(lab: Lab, trace: PacketTrace, ref: RuleRef & { nft: NonNullable<RuleRef['nft']> }): string {
  const { family } = ref.nft;
  const snaps = nftSnaps(lab.tracer.snapshotsOf(trace), ref.node, family, ref.table);
  if (!snaps.length) return `why not: the packet never entered the nftables table ${family} ${ref.table} on ${ref.node}${lastPlace(trace)}`;
  const found = findNftRule(lab, ref.node, ref.table, ref.chain, ref.nft);
  if ('error' in found) return `why not: ${found.error}`;
  if (found.rule === null) return `why not: the packet did not fall through to the policy of ${family} ${ref.table}/${ref.chain}`;
  const steps = trace.steps.filter(isRuleStep);
  // The entry into the base chain whose walk reached the chain, else the last entry into the table.
  const reached = [...snaps].reverse().find((s) => nftWalked(steps, s.node, s.hook, family, ref.table).has(ref.chain));
  const snap = reached ?? snaps[snaps.length - 1];
  const prefix = reached ? '' : `the packet never walked ${family} ${ref.table}/${ref.chain} (no rule jumped there); had it, `;
  return `why not: ${prefix}${explainNftRule(lab, snap, found.table, ref.chain, found.rule).text}`;
}

/** Native rules of the walked chains that would have let the packet on, each with what failed. */
function nftCandidates(
  lab: Lab,
  trace: PacketTrace,
  steps: readonly RuleTraceStep[],
  at: { node: string; hook: string; family: string; table: string },
): Array<{ failing: number; index: number; text: string }> {
  const table = lab.node(at.node)?.nft?.rs.tables.find((t) => t.family === at.family && t.name === at.table);
  const snaps = nftSnaps(lab.tracer.snapshotsOf(trace), at.node, at.family, at.table).filter((s) => s.hook === at.hook);
  if (!table || !snaps.length) return [];
  const out: Array<{ failing: number; index: number; text: string }> = [];
  for (const name of nftWalked(steps, at.node, at.hook, at.family, at.table)) {
    const chain = table.chainByName.get(name);
    if (!chain) continue;
    const snap = snaps.findLast((s) => s.nft?.chain === name) ?? snaps[snaps.length - 1];
    chain.rules.forEach((rule, i) => {
      if (dropsPacket(rule)) return;
      const e = explainNftRule(lab, snap, table, name, rule);
      if (e.failing.length) out.push({ failing: e.failing.length, index: i + 1, text: e.text });
    });
  }
  return out;
}

interface Candidate {
  chain: string;
  index: number;
  rule: Rule;
  failing: string[];
}

function ruleLine(lab: Lab, node: string, table: string, chain: string, index: number): string {
  return lab.node(node)!.views.ruleText(table, chain, index) ?? `${chain} #${index}`;
}

function explainRule(lab: Lab, snap: TableSnapshot, chain: string, index: number, rule: Rule): string {
  const env = quietEnv(lab, snap.node, snap);
  const failing = failingConditions(rule, snap.skb as Skb, env);
  const text = ruleLine(lab, snap.node, snap.table, chain, index);
  if (!failing.length)
    return `${snap.node} ${snap.table}/${chain}#${index} \`${text}\` matches the packet as it entered ${snap.hook} ${snap.table}, but an earlier rule decided first`;
  return `${snap.node} ${snap.table}/${chain}#${index} \`${text}\` did not match: ${failing.join('; ')}`;
}

/**
 * Explains why `ref` was not passed (or, with ref null, why the probe ended as
 * it did): up to three rules nearest to matching, each with what failed.
 */
export function explainMiss(lab: Lab, trace: PacketTrace, ref: RuleRef | null): string | null {
  const snaps = lab.tracer.snapshotsOf(trace).filter((s) => !s.nft);
  if (ref?.nft) return explainNftRef(lab, trace, { ...ref, nft: ref.nft });
  if (ref) {
    const snap = [...snaps].reverse().find((s) => s.node === ref.node && s.table === ref.table);
    if (!snap) return `why not: the packet never entered the ${ref.table} table on ${ref.node}${lastPlace(trace)}`;
    const chain = lab
      .modulesOf(ref.node)!
      .ruleset.table(ref.table as TableName)
      ?.chains.get(ref.chain);
    if (!chain) return `why not: ${ref.node} has no chain ${ref.table}/${ref.chain}`;
    if (ref.rule === null) return `why not: the packet did not fall through to the policy of ${ref.table}/${ref.chain}`;
    const rule = chain.rules[ref.rule - 1];
    if (!rule) return `why not: ${ref.table}/${ref.chain} has only ${chain.rules.length} rules`;
    const visited = trace.steps.some(
      (s) =>
        isRuleStep(s) &&
        s.family === undefined &&
        s.node === ref.node &&
        s.table === ref.table &&
        (s.chain === ref.chain || s.verdict === `JUMP:${ref.chain}` || s.verdict === `GOTO:${ref.chain}`),
    );
    const prefix = visited ? '' : `the packet never walked ${ref.table}/${ref.chain} (no rule jumped there); had it, `;
    return `why not: ${prefix}${explainRule(lab, snap, ref.chain, ref.rule, rule)}`;
  }
  const arp = unansweredArp(lab, trace);
  if (arp) return arp;
  // Where was the packet decided? The last rule or policy step that dropped it; failing that, the last node whose rules it met.
  const ruleSteps = trace.steps.filter(isRuleStep);
  const decisive = [...ruleSteps]
    .reverse()
    .find((s) => s.verdict === 'DROP' || s.target === 'REJECT' || (s.family !== undefined && s.verdict === 'drop'));
  const focus = decisive ?? ruleSteps[ruleSteps.length - 1];
  if (!focus) return `why not: the packet ended ${trace.outcome}${lastPlace(trace)}; it met no rule on the way`;
  const tables = decisive
    ? [{ hook: decisive.hook, table: decisive.table, family: decisive.family }]
    : uniqueTables(ruleSteps.filter((s) => s.node === focus.node));
  const candidates: Array<Candidate & { snap: TableSnapshot }> = [];
  const native: Array<{ failing: number; index: number; text: string }> = [];
  for (const { hook, table: tableName, family } of tables) {
    if (family !== undefined) {
      native.push(...nftCandidates(lab, trace, ruleSteps, { node: focus.node, hook, family, table: tableName }));
      continue;
    }
    const snap = [...snaps].reverse().find((s) => s.node === focus.node && s.table === tableName && s.hook === hook);
    const table = lab.modulesOf(focus.node)!.ruleset.table(tableName as TableName);
    if (!snap || !table) continue;
    const walked = new Set(
      ruleSteps
        .filter((s) => s.family === undefined && s.node === focus.node && s.table === tableName && s.hook === hook)
        .flatMap((s) => [s.chain, s.verdict.replace(/^(JUMP|GOTO):/, '')]),
    );
    const env = quietEnv(lab, snap.node, snap);
    for (const name of walked) {
      const chain = table.chains.get(name);
      if (!chain) continue;
      chain.rules.forEach((rule, i) => {
        if (rule.target.kind === 'verdict' && rule.target.verdict !== 'ACCEPT') return;
        const failing = failingConditions(rule, snap.skb as Skb, env);
        if (failing.length) candidates.push({ chain: name, index: i + 1, rule, failing, snap });
      });
    }
  }
  const nearest = [
    ...candidates.map((c) => ({ failing: c.failing.length, index: c.index, text: explainRule(lab, c.snap, c.chain, c.index, c.rule) })),
    ...native,
  ];
  nearest.sort((a, b) => a.failing - b.failing || a.index - b.index);
  const lines = decisive
    ? [`why not: ${decisive.node} decided the packet at ${decisive.hook} by ${decidedBy(decisive)}`]
    : [`why not: the packet ended ${trace.outcome}${lastPlace(trace)}; the rules on ${focus.node} nearest to changing its way:`];
  for (const c of nearest.slice(0, 3)) lines.push(`  nearest: ${c.text.replace(/^\S+ /, '')}`);
  return lines.join('\n');
}

/**
 * A packet routed to a next hop that never answered ARP waits (and after three
 * unanswered requests is dropped as host unreachable). No rule is to blame
 * then, whatever a NAT rule did before: say which address stayed silent.
 */
function unansweredArp(lab: Lab, trace: PacketTrace): string | null {
  const steps = trace.steps;
  let i = steps.length - 1;
  const last = steps[i];
  if (last && 'drop' in last && /unreachable|no ARP reply/.test(last.drop.reason)) i--;
  else if (trace.outcome !== 'in-flight') return null;
  const step = steps[i];
  if (!step || !('route' in step) || step.route.dev === null || step.route.error || (step.route.type && step.route.type !== 'unicast'))
    return null;
  const hop = step.route.via ?? step.route.dst;
  const node = lab.node(step.node);
  const waiting = node?.neighbours.list().some((l) => l.startsWith(`${hop} dev ${step.route.dev} `) && !l.includes('lladdr'));
  if (!node || (!waiting && !('drop' in last))) return null;
  const addr = parseIpv4(hop);
  const owner = addr === null ? undefined : [...lab.nodes.values()].find((n) => n.isLocalAddress(addr));
  const nat = steps.slice(0, i).findLast((s) => 'nat' in s && s.node === step.node);
  const after = nat && 'nat' in nat ? ` after ${nat.nat.kind} to ${nat.nat.after.split(' → ')[1]}` : '';
  const who = owner
    ? `${owner.name} has ${hop}, but not on the network ${step.node} reaches through ${step.route.dev}`
    : `no interface in the lab has ${hop}`;
  return `why not: no ARP reply from ${hop}: ${step.node} routed the packet${after} out of ${step.route.dev}${step.route.via ? ` via ${hop}` : ''} and asked who has ${hop}; nobody answered (${who}). No rule dropped it.`;
}

function decidedBy(s: RuleTraceStep): string {
  if (s.family !== undefined) {
    const where = `${s.family} ${s.table}/${s.chain}`;
    return s.policy
      ? `the policy of ${where} (${s.verdict})`
      : `${where} handle ${s.handle} (${/\breject\b/.test(s.rule_text ?? '') ? 'reject' : s.verdict})`;
  }
  return s.policy ? `the policy of ${s.table}/${s.chain} (${s.verdict})` : `${s.table}/${s.chain}#${s.rule} (${s.target ?? s.verdict})`;
}

function uniqueTables(steps: readonly RuleTraceStep[]): Array<{ hook: string; table: string; family?: string }> {
  const seen = new Map<string, { hook: string; table: string; family?: string }>();
  for (const s of steps) seen.set(`${s.hook}/${s.family ?? ''}/${s.table}`, { hook: s.hook, table: s.table, family: s.family });
  return [...seen.values()];
}

function lastPlace(trace: PacketTrace): string {
  const last = trace.steps[trace.steps.length - 1];
  if (!last) return '';
  if ('drop' in last) return `; it was dropped on ${last.node}: ${last.drop.reason}`;
  return `; its last step was on ${last.node}`;
}
