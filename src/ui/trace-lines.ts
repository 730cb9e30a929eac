/**
 * A packet's whole path as lines for the packet inspector: grouped by node,
 * each step with a mark and a tone (rule verdicts, NAT before/after, routes,
 * link crossings, conntrack changes). The wording is src/trace/render.ts's, so
 * the UI and `nflab trace` say the same thing.
 */
import { clockTime } from '../core/time.js';
import { renderStep } from '../trace/render.js';
import type { PacketSummary, PacketTrace, TraceStep } from '../trace/steps.js';
import { isNatTarget, type Line, MARK, type Tone, verdictTone } from './style.js';

export function packetLabel(p: PacketSummary): string {
  const flags = p.flags ? ` [${p.flags}]` : p.icmp ? ` [icmp ${p.icmp.type}/${p.icmp.code}]` : '';
  return `${p.proto} ${p.src} > ${p.dst}${flags}`;
}

/** A step as `nflab trace` words it, except that a link's arrival is a time on the UI's one clock, not in µs. */
export function stepText(s: TraceStep): string {
  if ('link' in s && !s.link.drop) return `link ${s.link.from} → ${s.link.to} (arrives at t=${clockTime(s.link.at_us)})`;
  return renderStep(s);
}

export function stepTone(s: TraceStep): Tone {
  if ('hook' in s) {
    if (isNatTarget(s.target)) return 'nat';
    // nft verdicts are lower case (`accept`, `drop`); they colour as iptables' do.
    const t = verdictTone(s.family !== undefined ? s.verdict.toUpperCase() : s.verdict);
    return t === 'info' ? 'plain' : t;
  }
  if ('nat' in s) return 'nat';
  if ('route' in s) return s.route.error || (s.route.type && s.route.type !== 'unicast' && s.route.type !== 'local') ? 'drop' : 'route';
  if ('link' in s) return s.link.drop ? 'drop' : 'link';
  if ('deliver' in s) return 'accept';
  if ('conntrack' in s) return 'conntrack';
  if ('drop' in s) return 'drop';
  return 'plain';
}

/**
 * Rule and NAT steps get more than one line here: the rule text on its own line
 * (it is too long to share one with the verdict), and NAT as before / after.
 * The packet is shown again only when NAT changed it.
 */
export function traceLines(t: PacketTrace): Line[] {
  const lines: Line[] = [
    { text: `packet #${t.id}  ${packetLabel(t.packet)}  ttl ${t.packet.ttl} len ${t.packet.len} mark ${t.packet.mark}`, tone: 'head' },
    { text: `${MARK[verdictTone(t.outcome)]} outcome: ${t.outcome}`, tone: verdictTone(t.outcome) },
  ];
  let node = '';
  let seen = `${t.packet.src} ${t.packet.dst}`;
  let lastHook: Extract<TraceStep, { hook: string }> | null = null;
  for (const s of t.steps) {
    if (s.node !== node) {
      node = s.node;
      lines.push({ text: `[${node}]`, tone: 'head' });
    }
    const tone = stepTone(s);
    const m = MARK[tone];
    if ('hook' in s) {
      const now = `${s.packet.src} ${s.packet.dst}`;
      if (now !== seen) {
        seen = now;
        lines.push({ text: `    packet now ${packetLabel(s.packet)}`, tone: 'nat' });
      }
      const where = `${s.table}/${s.chain} (${s.hook})`;
      if (s.policy) lines.push({ text: `${m} ${where}: policy ${s.verdict}`, tone });
      else {
        const target = s.target && s.target !== s.verdict ? ` (${s.target})` : '';
        const which = s.family !== undefined ? `${s.family} handle ${s.handle}` : `rule ${s.rule}`;
        lines.push({ text: `${m} ${where} ${which}: ${s.verdict}${target}`, tone });
        if (s.rule_text) lines.push({ text: `      ${s.rule_text}`, tone: 'dim' });
      }
    } else if ('nat' in s) {
      lines.push({ text: `${m} ${s.nat.kind} at ${s.nat.hook}`, tone });
      lines.push({ text: `      before ${s.nat.before}`, tone });
      lines.push({ text: `      after  ${s.nat.after}`, tone });
    } else if ('drop' in s && s.drop.reason === 'rule' && lastHook) {
      // The engine says only "rule at HOOK"; the step before says whether a rule or the chain's policy decided.
      const h = lastHook;
      const by = h.policy
        ? `the policy of ${h.table}/${h.chain} (policy ${h.verdict})`
        : `${h.table}/${h.chain} rule ${h.rule} (${h.verdict})`;
      lines.push({ text: `${m} dropped at ${s.drop.hook ?? h.hook} by ${by}`, tone });
    } else lines.push({ text: `${m} ${stepText(s)}`, tone });
    if ('hook' in s) lastHook = s;
  }
  return lines;
}
