/**
 * A command's full output (e.g. `docker-host iptables -t nat -L -n -v`),
 * scrollable a page at a time. The output is split into lines once, when the
 * command ran; only the rows in view are drawn, so 120,000 lines of a
 * kube-proxy node's listing page as fast as twenty.
 */
import { expandTabs, type Lines } from '../style.js';
import { bodyRows, Frame } from './frame.js';

export interface OutputPaneProps {
  command: string;
  /** Instead of `Output: COMMAND`. */
  title?: string;
  /** Word-wraps the lines to the pane (prose, such as the lab's description); command output is never wrapped. */
  wrap?: boolean;
  lines: readonly string[];
  ok: boolean;
  offset: number;
  shift?: number;
  focused: boolean;
  width: number;
  height: number;
}

function wrapWords(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  out.push(line);
  return out;
}

export function OutputPane({ shift, command, title, wrap, lines: given, ok, offset, focused, width, height }: OutputPaneProps) {
  const lines = wrap ? given.flatMap((l) => wrapWords(l, Math.max(10, width - 2))) : given;
  const view: Lines = { length: lines.length, at: (i) => ({ text: expandTabs(lines[i] ?? ''), tone: ok ? undefined : 'error' }) };
  const rows = bodyRows(height);
  const first = Math.min(offset, Math.max(0, lines.length - 1));
  // Long output says where in it the page is; PgUp/PgDn, Home/End move by pages.
  const where = lines.length > rows ? `${first + 1}-${Math.min(lines.length, first + rows)} of ${lines.length}` : '';
  return (
    <Frame
      title={title ?? `Output: ${command}`}
      info={[ok ? '' : 'failed', where].filter(Boolean).join('  ') || undefined}
      focused={focused}
      width={width}
      height={height}
      lines={view}
      offset={first}
      shift={shift}
    />
  );
}
