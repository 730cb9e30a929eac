/**
 * A packet's whole path as lines for the packet inspector: grouped by node,
 * each step with a mark and a tone (rule verdicts, NAT before/after, routes,
 * link crossings, conntrack changes). The wording is src/trace/render.ts's, so
 * the UI and `nflab trace` say the same thing.
 */
import { renderStep } from '../trace/render.js';
import type { PacketSummary, PacketTrace, TraceStep } from '../trace/steps.js';
import { isNatTarget, type Line, MARK, type Tone, verdictTone } from './style.js';

export function packetLabel(p: PacketSummary): string {
  const flags = p.flags ? ` [${p.flags}]` : p.icmp ? ` [icmp ${p.icmp.type}/${p.icmp.code}]` : '';
  return `${p.proto} ${p.src} > ${p.dst}${flags}`;
}

export function stepTone(s: TraceStep): Tone {
  if ('hook' in s) {
    if (isNatTarget(s.target)) return 'nat';
    const t = verdictTone(s.verdict);
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

export function traceLines(t: PacketTrace): Line[] {
  const lines: Line[] = [
    { text: `packet #${t.id}  ${packetLabel(t.packet)}  ttl ${t.packet.ttl} len ${t.packet.len} mark ${t.packet.mark}`, tone: 'head' },
    { text: `${MARK[verdictTone(t.outcome)]} outcome: ${t.outcome}`, tone: verdictTone(t.outcome) },
  ];
  let node = '';
  for (const s of t.steps) {
    if (s.node !== node) {
      node = s.node;
      lines.push({ text: `[${node}]`, tone: 'head' });
    }
    const tone = stepTone(s);
    lines.push({ text: `${MARK[tone]} ${renderStep(s)}`, tone });
  }
  return lines;
}
