/**
 * What colour means in the UI. Every tone also has a mark or a word in the
 * text itself, so a monochrome terminal (or a screen reader, or a capture in
 * a bug report) loses nothing: colour only repeats what the text says.
 */
export type Tone = 'accept' | 'drop' | 'nat' | 'conntrack' | 'route' | 'link' | 'info' | 'dim' | 'error' | 'head' | 'plain';

export interface Line {
  text: string;
  tone?: Tone;
}

/** Lines a pane can show without holding them all: an array, or a view that makes each line when asked. */
export interface Lines {
  readonly length: number;
  at(i: number): Line | undefined;
}

const COLORS: Record<Tone, string | undefined> = {
  accept: 'green',
  drop: 'red',
  nat: 'yellow',
  conntrack: 'cyan',
  route: 'blue',
  link: 'magenta',
  info: undefined,
  dim: 'gray',
  error: 'red',
  head: undefined,
  plain: undefined,
};

export function toneColor(t: Tone | undefined): string | undefined {
  return t ? COLORS[t] : undefined;
}

/** Marks shown in front of timeline and trace lines; ASCII so every terminal and capture shows them. */
export const MARK: Record<Tone, string> = {
  accept: '+',
  drop: 'x',
  nat: '*',
  conntrack: '~',
  route: '>',
  link: '=',
  info: ' ',
  dim: ' ',
  error: '!',
  head: ' ',
  plain: ' ',
};

/** How a rule verdict, trace outcome or probe result reads. */
export function verdictTone(v: string): Tone {
  switch (v) {
    case 'ACCEPT':
    case 'delivered':
    case 'connected':
    case 'reply':
      return 'accept';
    case 'DROP':
    case 'REJECT':
    case 'dropped':
    case 'rejected':
    case 'refused':
    case 'timeout':
    case 'unreachable':
    case 'no-route':
    case 'ttl-exceeded':
      return 'drop';
    case 'in-flight':
      return 'dim';
  }
  return 'info';
}

const NAT_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP', 'TPROXY']);

export function isNatTarget(t: string | undefined): boolean {
  return t !== undefined && NAT_TARGETS.has(t);
}

/** Cuts a line to the width; the one place text is clipped, so panes never wrap. */
export function clip(s: string, width: number): string {
  if (width <= 0) return '';
  return s.length <= width ? s : width === 1 ? '…' : `${s.slice(0, width - 1)}…`;
}

/** Tabs to spaces at 8-column stops (`ip rule` prints tabs; a tab inside a pane would break its border). */
export function expandTabs(s: string): string {
  if (!s.includes('\t')) return s;
  let out = '';
  for (const ch of s) out += ch === '\t' ? ' '.repeat(8 - (out.length % 8)) : ch;
  return out;
}

/** Every line's text (for tests and copies; panes read only the rows they show). */
export function allText(lines: Lines): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) out.push(lines.at(i)?.text ?? '');
  return out;
}
