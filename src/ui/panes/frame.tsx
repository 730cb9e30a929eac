/**
 * The frame every pane draws in: a border, a title row, and exactly as many
 * body rows as fit, each cut to the width so nothing wraps and the layout never
 * moves. The focused pane's title is marked with » as well as coloured.
 */
import { Box, Text } from 'ink';
import { clip, type Line, type Lines, toneColor } from '../style.js';

export interface FrameProps {
  title: string;
  focused: boolean;
  width: number;
  height: number;
  /** Only the rows in view are read. */
  lines: Lines;
  /** First line shown. */
  offset: number;
  /** Line drawn highlighted (the selection), if any. */
  selected?: number | null;
  /** Shown right of the title (position, hints). */
  info?: string;
  /** Columns scrolled off to the left (Left/Right in the inspectors). */
  shift?: number;
}

/** Body rows a frame of this height has room for. */
export function bodyRows(height: number): number {
  return Math.max(0, height - 3);
}

/** The offset that keeps `cursor` visible, moving as little as possible. */
export function follow(cursor: number, offset: number, rows: number): number {
  if (rows <= 0) return 0;
  if (cursor < offset) return Math.max(0, cursor);
  if (cursor >= offset + rows) return cursor - rows + 1;
  return offset;
}

export function Frame({ title, focused, width, height, lines, offset, selected, info, shift = 0 }: FrameProps) {
  const inner = Math.max(1, width - 2);
  const rows = bodyRows(height);
  const visible: Line[] = [];
  for (let i = offset; i < Math.min(lines.length, offset + rows); i++) visible.push(lines.at(i) ?? { text: '' });
  const head = `${focused ? '» ' : '  '}${title}`;
  const tail = info ? ` ${info}` : '';
  const pad = Math.max(0, inner - head.length - tail.length);
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="single" borderColor={focused ? 'cyan' : 'gray'}>
      <Text bold={focused} wrap="truncate">
        {clip(head + ' '.repeat(pad) + tail, inner)}
      </Text>
      {visible.map((l, i) => (
        <Text key={i} color={toneColor(l.tone)} bold={l.tone === 'head'} inverse={selected === offset + i} wrap="truncate">
          {clip(selected === offset + i ? l.text.slice(shift).padEnd(inner) : l.text.slice(shift) || ' ', inner)}
        </Text>
      ))}
    </Box>
  );
}
