/** Parses `conntrack -L` (the default text format) into the conntrack entries scenario reports show (src/netfilter/conntrack/format.ts, PlainEntry). */

import type { PlainTuple } from '../../src/netfilter/conntrack/format.js';

/** One direction of an entry: the same shape nflab's reports use. */
export type CtTuple = PlainTuple;

export interface CtEntry {
  proto: string;
  state?: string;
  mark: string;
  timeout: number;
  orig: CtTuple;
  reply: CtTuple;
  flags: string[];
}

const NUMERIC = new Set(['sport', 'dport', 'type', 'code', 'id']);

export function parseConntrack(text: string): CtEntry[] {
  const out: CtEntry[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim().split(/\s+/);
    if (t.length < 4 || !/^\d+$/.test(t[1])) continue;
    const e: CtEntry = {
      proto: t[0],
      mark: '0x0',
      timeout: Number(t[2]),
      orig: { src: '', dst: '' },
      reply: { src: '', dst: '' },
      flags: [],
    };
    let tuple: CtTuple | null = null;
    let seenSrc = 0;
    for (const tok of t.slice(3)) {
      if (tok.startsWith('[') && tok.endsWith(']')) {
        e.flags.push(tok.slice(1, -1));
        continue;
      }
      const eq = tok.indexOf('=');
      if (eq < 0) {
        if (seenSrc === 0) e.state = tok;
        continue;
      }
      const k = tok.slice(0, eq);
      const v = tok.slice(eq + 1);
      if (k === 'src') tuple = ++seenSrc === 1 ? e.orig : seenSrc === 2 ? e.reply : null;
      if (k === 'mark') e.mark = `0x${Number(v).toString(16)}`;
      else if (tuple !== null && (k === 'src' || k === 'dst')) tuple[k] = v;
      else if (tuple !== null && NUMERIC.has(k)) (tuple as unknown as Record<string, number>)[k] = Number(v);
    }
    out.push(e);
  }
  return out;
}
