/** Human-readable traces: one line per step, indented by node. */
import { type TraceStep } from './steps.js';

export function renderStep(s: TraceStep): string {
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
    if (r.type && r.type !== 'unicast' && r.type !== 'local') return `route ${r.dst}: ${r.type} (table ${r.table})`;
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
  // A native chain's drop names its chain (its table alone could be any of several at the hook).
  const chain = s.drop.table && s.drop.chain ? `/${s.drop.chain}` : '';
  return `drop: ${s.drop.reason}${s.drop.hook ? ` at ${s.drop.hook}${s.drop.table ? ` ${s.drop.table}${chain}` : ''}` : ''}`;
}

export function renderTraceText(steps: TraceStep[], outcome: string): string {
  const lines: string[] = [];
  let node = '';
  for (const s of steps) {
    if (s.node !== node) {
      node = s.node;
      lines.push(`[${node}]`);
    }
    lines.push(`  ${renderStep(s)}`);
  }
  if (outcome) lines.push(`=> ${outcome}`);
  return lines.join('\n');
}
