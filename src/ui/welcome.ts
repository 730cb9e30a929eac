/**
 * The first screen's suggestion: a command to try on this lab, the first one
 * its description offers after "Try:", or else a connect to a listener.
 */
import type { NodeSummary } from '../session/session.js';
import type { ListenSpec } from '../topology/model.js';

/** The first command after "Try:" in a topology's description, if it names a node of the lab. */
export function suggestedCommand(description: string, isNode: (name: string) => boolean): string | null {
  const m = /\bTry:\s*([^,;(]+?)(?:\s*\(|,|;|\s\.\.\.|\.\s|\.$|$)/.exec(description.replace(/\s+/g, ' '));
  const cmd = m?.[1].trim();
  return cmd && isNode(cmd.split(' ')[0]) ? cmd : null;
}

/** Without a "Try:" in the description: a connect from the first node to a listener on another. */
export function derivedCommand(nodes: NodeSummary[], listen: Map<string, ListenSpec[]>): string | null {
  for (const n of nodes) {
    const l = listen.get(n.name)?.find((x) => x.proto === 'tcp');
    const addr = n.interfaces.find((d) => d.name !== 'lo' && d.addrs.length)?.addrs[0]?.split('/')[0];
    const from = nodes.find((o) => o.name !== n.name && !o.name.startsWith(`${n.name.split('/')[0]}/`) && o.name !== n.name.split('/')[0]);
    if (l && addr && from) return `${from.name} connect ${addr}:${l.port}`;
  }
  return null;
}
