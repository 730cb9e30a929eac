/**
 * The timeline pane: events on virtual time, newest at the bottom. Only the
 * visible rows are formatted. While following, the newest event stays in view.
 */
import type { SessionEvent } from '../../session/session.js';
import { eventLine } from '../timeline.js';
import { bodyRows, follow, Frame } from './frame.js';

export interface TimelinePaneProps {
  count: number;
  at: (i: number) => SessionEvent;
  /** Selected row, or null to follow the newest event. */
  cursor: number | null;
  detail: boolean;
  focused: boolean;
  width: number;
  height: number;
}

export function TimelinePane({ count, at, cursor, detail, focused, width, height }: TimelinePaneProps) {
  const rows = bodyRows(height);
  const sel = cursor === null ? count - 1 : Math.min(cursor, count - 1);
  const offset = cursor === null ? Math.max(0, count - rows) : follow(sel, Math.max(0, sel - rows + 1), rows);
  const lines = [];
  for (let i = offset; i < Math.min(count, offset + rows); i++) lines.push(eventLine(at(i)));
  const info = `${cursor === null ? 'following' : `${sel + 1}/${count}`}${detail ? ' all steps' : ''}`;
  return (
    <Frame
      title="Timeline"
      info={info}
      focused={focused}
      width={width}
      height={height}
      lines={lines}
      offset={0}
      selected={cursor === null || count === 0 ? null : sel - offset}
    />
  );
}
