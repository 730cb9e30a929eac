/**
 * Text renderings of a matrix and of a difference: a grid that fits 80
 * columns (sources as lettered columns, wrapped into blocks when there are
 * many; destinations as rows), a legend, and the deciding rule of every cell
 * that did not get through.
 */
import type { RuleTraceStep } from '../trace/steps.js';
import type { CellResult } from './cell.js';
import type { Difference, MatrixPlan } from './matrix.js';
import { destinationText } from './destinations.js';

const WIDTH = 80;
/** Beyond this many failed cells the text lists only the first ones; --json has them all. */
const MAX_LISTED = 20;

const REACHED = new Set(['connected', 'delivered', 'reply']);

export function reached(c: CellResult): boolean {
  return REACHED.has(c.result);
}

/** A cell's one-character mark in the grid; the terminal UI draws the same marks. */
export function symbol(c: CellResult): string {
  if (reached(c)) return c.decided_by ? '*' : '+';
  switch (c.result) {
    case 'refused':
      return 'R';
    case 'timeout':
      return 'T';
    case 'unreachable':
      return 'U';
    case 'no-route':
      return 'N';
    default:
      return '?';
  }
}

const LEGEND = [
  'legend: + reached   * reached through DNAT/REDIRECT   R refused',
  '        T timeout (dropped)   U unreachable (ICMP error)   N no route',
  '        ? unsettled (a loop?) or other',
].join('\n');

/** `NAME: tcp, 6 sources × 6 destinations, seed 1`. */
export function matrixHeading(title: string, plan: MatrixPlan): string {
  const n = (k: number, word: string) => `${k} ${word}${k === 1 ? '' : 's'}`;
  return `${title}: ${plan.proto}, ${n(plan.from.length, 'source')} × ${n(plan.to.length, 'destination')}, seed ${plan.seed}`;
}

/** Column labels: A..Z, or 1..N when there are more sources than letters. */
function labels(n: number): string[] {
  return Array.from({ length: n }, (_, i) => (n <= 26 ? String.fromCharCode(65 + i) : String(i + 1)));
}

/** `node1 nat/KUBE-SEP-X #2 DNAT: -A ...` or `node1 filter/FORWARD policy DROP`. */
export function describeStep(s: RuleTraceStep | null): string {
  if (!s) return 'no rule decided (routing or the socket table did)';
  if (s.family !== undefined) {
    const at = `${s.node} nft ${s.family} ${s.table}/${s.chain}`;
    return s.policy ? `${at} policy ${s.verdict}` : `${at} handle ${s.handle ?? '?'} ${s.verdict}: ${s.rule_text ?? ''}`.trimEnd();
  }
  const where = `${s.node} ${s.table}/${s.chain}`;
  if (s.policy) return `${where} policy ${s.verdict}`;
  return `${where} #${s.rule} ${s.target ?? s.verdict}: ${s.rule_text ?? ''}`.trimEnd();
}

/** Packs `items` into lines of at most WIDTH characters, each line starting with `indent`. */
function packLine(head: string, items: string[], indent: string): string[] {
  const lines: string[] = [];
  let line = head;
  for (const it of items) {
    if (line.length + it.length + 2 > WIDTH && line.trim() !== head.trim()) {
      lines.push(line.trimEnd());
      line = indent;
    }
    line += `${it}  `;
  }
  lines.push(line.trimEnd());
  return lines;
}

export function renderMatrixText(title: string, plan: MatrixPlan, cells: CellResult[]): string {
  const cols = labels(plan.from.length);
  const byKey = new Map(cells.map((c) => [`${c.from}|${c.to}`, c]));
  const rows = plan.to.map((d) => destinationText(d));
  const rowW = Math.max(11, ...rows.map((r) => r.length)) + 1;
  const colW = Math.max(...cols.map((c) => c.length)) + 2;
  const perBlock = Math.max(1, Math.floor((WIDTH - rowW) / colW));
  const out: string[] = [];
  out.push(matrixHeading(title, plan));
  out.push(
    ...packLine(
      'sources: ',
      plan.from.map((f, i) => `${cols[i]} ${f}`),
      '         ',
    ),
  );
  for (let start = 0; start < cols.length; start += perBlock) {
    const span = cols.slice(start, start + perBlock);
    const used = rowW + span.length * colW;
    out.push('');
    out.push(('destination'.padEnd(rowW) + span.map((c) => c.padStart(colW)).join('')).trimEnd());
    plan.to.forEach((d, r) => {
      const marks = span.map((_, j) => symbol(byKey.get(`${plan.from[start + j]}|${rows[r]}`)!).padStart(colW)).join('');
      // Why the row is there, as far as the line has room: only a single block has any.
      const room = cols.length <= perBlock ? WIDTH - used - 2 : 0;
      const why = room >= 8 ? `  ${d.why.length > room ? d.why.slice(0, room - 1) + '…' : d.why}` : '';
      out.push(`${rows[r].padEnd(rowW)}${marks}${why}`.trimEnd());
    });
  }
  out.push('', LEGEND);
  const failed = cells.filter((c) => !reached(c));
  if (failed.length) {
    out.push('', `not reached (${failed.length}):`);
    for (const c of failed.slice(0, MAX_LISTED)) out.push(`  ${c.from} → ${c.to}: ${c.result}; ${cause(c)}`);
    if (failed.length > MAX_LISTED) out.push(`  … and ${failed.length - MAX_LISTED} more (--json lists every cell)`);
  }
  return out.join('\n') + '\n';
}

function cause(c: CellResult): string {
  if (c.result === 'unsettled') return 'the lab never settled (a proxy or forwarding loop?)';
  if (!c.decided_by && reached(c)) return 'no rule decided (delivered as addressed)';
  return describeStep(c.decided_by);
}

/** What changed about a cell, in words: which of result, server, what it saw and the deciding rule. */
function why(d: Difference): string {
  const a = d.a;
  const b = d.b;
  if (!a || !b) return 'only in one matrix';
  const parts: string[] = [];
  if (a.result !== b.result) parts.push(`result ${a.result} → ${b.result}`);
  if (a.server !== b.server) parts.push(`server ${a.server ?? 'none'} → ${b.server ?? 'none'}`);
  else if (a.server_sees !== b.server_sees) parts.push('the server saw another peer');
  if (describeStep(a.decided_by) !== describeStep(b.decided_by)) parts.push('deciding rule changed');
  return parts.join('; ') || 'deciding rule changed';
}

/** Cells that changed the same way (same results, servers and deciding rules on each side) are listed under one heading. */
export function renderDiffText(aName: string, bName: string, total: number, diffs: Difference[]): string {
  if (!diffs.length) return `no difference: all ${total} cells are the same in ${aName} and ${bName}\n`;
  const groups = new Map<string, Difference[]>();
  for (const d of diffs) {
    const key = [why(d), sideBrief(d.a), sideBrief(d.b)].join('\n');
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  const out = [`${diffs.length} of ${total} cells differ (a: ${aName}, b: ${bName}):`];
  for (const [key, ds] of groups) {
    const [head, a, b] = key.split('\n');
    out.push('', `${head} (${ds.length} cell${ds.length === 1 ? '' : 's'}):`, `  a: ${a}`, `  b: ${b}`);
    out.push(
      ...packLine(
        '  cells: ',
        ds.map((d) => `${d.from} → ${d.to}`),
        '         ',
      ),
    );
  }
  out.push('', '--json gives each cell in full, with what its server saw.');
  return out.join('\n') + '\n';
}

function sideBrief(c: CellResult | null): string {
  if (!c) return 'no such cell (the source node is not in this topology)';
  return `${c.result}${c.server ? `, server ${c.server}` : ''}; ${cause(c)}`;
}
