/** Human-readable traces: one line per step, indented by node. */
import { isRuleStep, type RuleTraceStep, type TraceStep } from './steps.js';

/** What decided a drop by verdict: the engine's drop step says only the hook; the rule or policy step before it names the chain. */
function decidedBy(h: RuleTraceStep): string {
  if (h.policy) return `policy ${h.verdict} of ${h.table}/${h.chain}`;
  if (h.family !== undefined) return `${h.family} ${h.table} ${h.chain} handle ${h.handle}`;
  return `${h.table}/${h.chain} rule #${h.rule}`;
}

/** One step; `before` is the node's last rule or policy step, which names what a verdict drop came from. */
export function renderStep(s: TraceStep, before?: RuleTraceStep): string {
  if ('hook' in s) {
    const where = `${s.hook} ${s.table}/${s.chain}`;
    const pkt = `${s.packet.src} → ${s.packet.dst}${s.packet.flags ? ` [${s.packet.flags}]` : ''}`;
    // A native step reads as `nft -a monitor trace` prints it, after the hook.
    if (s.family !== undefined) {
      const head = `${s.hook} ${s.family} ${s.table} ${s.chain}`;
      if (s.policy) return `${head} policy ${s.verdict}   (${pkt})`;
      return `${head} rule ${s.rule_text ?? ''} # handle ${s.handle} (verdict ${s.verdict})   (${pkt})`;
    }
    if (s.policy) return `${where}: policy ${s.verdict}   (${pkt})`;
    return `${where} #${s.rule}: ${s.verdict}${s.target && s.target !== s.verdict ? ` (${s.target})` : ''}   ${s.rule_text ?? ''}   (${pkt})`;
  }
  if ('route' in s) {
    const r = s.route;
    // A lookup that no table answered has no table to name.
    if (r.type && r.type !== 'unicast' && r.type !== 'local') return `route ${r.dst}: ${r.type}${r.table ? ` (table ${r.table})` : ''}`;
    return `route ${r.dst}${r.type === 'local' ? ' local' : ''} dev ${r.dev ?? '-'}${r.via ? ` via ${r.via}` : ''} (table ${r.table})`;
  }
  if ('link' in s)
    return s.link.drop
      ? `link ${s.link.from} → ${s.link.to}: lost (${s.link.drop})`
      : `link ${s.link.from} → ${s.link.to} (arrives at ${s.link.at_us} µs)`;
  if ('deliver' in s) return `deliver to ${s.deliver.socket}${s.deliver.app ? ` (${s.deliver.app})` : ''}`;
  if ('nat' in s) return `${s.nat.kind} at ${s.nat.hook}: ${s.nat.before} → ${s.nat.after}`;
  if ('conntrack' in s)
    return `conntrack: ${s.conntrack.state}${s.conntrack.dir ? ` (${s.conntrack.dir})` : ''}${s.conntrack.orig ? ` ${s.conntrack.orig} / reply ${s.conntrack.reply}` : ''}`;
  if ('bridge' in s) return `bridge ${s.bridge.bridge}: ${s.bridge.in} → ${s.bridge.out.join(', ') || '(nowhere)'}`;
  if (s.drop.reason === 'rule' && before !== undefined && (s.drop.hook === undefined || s.drop.hook === before.hook))
    return `drop: ${decidedBy(before)} at ${before.hook}`;
  // A native chain's drop names its chain (its table alone could be any of several at the hook).
  const chain = s.drop.table && s.drop.chain ? `/${s.drop.chain}` : '';
  return `drop: ${s.drop.reason}${s.drop.hook ? ` at ${s.drop.hook}${s.drop.table ? ` ${s.drop.table}${chain}` : ''}` : ''}`;
}

export function renderTraceText(steps: TraceStep[], outcome: string): string {
  const lines: string[] = [];
  let node = '';
  let lastRule: RuleTraceStep | undefined;
  for (const s of steps) {
    if (s.node !== node) {
      node = s.node;
      lastRule = undefined;
      lines.push(`[${node}]`);
    }
    lines.push(`  ${renderStep(s, lastRule)}`);
    if (isRuleStep(s)) lastRule = s;
  }
  if (outcome) lines.push(`=> ${outcome}`);
  return lines.join('\n');
}
