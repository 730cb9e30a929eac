/** The command line and the rows under it for results, errors and completions. */
import { Box, Text } from 'ink';
import { clip, type Line, toneColor } from '../style.js';

export interface CommandLineProps {
  active: boolean;
  value: string;
  /** Where the cursor is in `value` (default: its end). */
  cursor?: number;
  messages: Line[];
  rows: number;
  width: number;
}

/**
 * The part of `value` that fits in `room` columns with the cursor in view: the
 * end of the line while typing at its end, else a window around the cursor.
 */
export function visibleWindow(value: string, cursor: number, room: number): { from: number; text: string } {
  if (value.length < room) return { from: 0, text: value };
  const from = Math.max(0, Math.min(cursor - room + 1, value.length - room + 1));
  return { from, text: value.slice(from, from + room) };
}

/** Cuts a message into rows of at most `width` columns, at spaces where it can, so a long error is read whole. */
export function wrapLine(m: Line, width: number): Line[] {
  const out: Line[] = [];
  let rest = m.text;
  while (rest.length > width && width > 8) {
    let cut = rest.lastIndexOf(' ', width);
    if (cut < width / 2) cut = width;
    out.push({ text: rest.slice(0, cut), tone: m.tone });
    rest = `  ${rest.slice(cut).trimStart()}`;
  }
  out.push({ text: rest, tone: m.tone });
  return out;
}

export function CommandLine({ active, value, cursor = value.length, messages, rows, width }: CommandLineProps) {
  // The newest messages that fit; a message too long for all the rows shows its beginning.
  let shown: Line[] = [];
  for (let i = messages.length - 1; i >= 0 && shown.length < rows; i--) {
    const wrapped = wrapLine(messages[i], width);
    if (shown.length + wrapped.length > rows) {
      if (!shown.length) shown = [...wrapped.slice(0, rows - 1), { ...wrapped[rows - 1], text: `${wrapped[rows - 1].text}…` }];
      break;
    }
    shown = [...wrapped, ...shown];
  }
  while (shown.length < rows) shown.unshift({ text: '' });
  let prompt;
  if (!active) {
    prompt = (
      <Text dimColor wrap="truncate">
        {clip('  press : for a command, ? for help', width)}
      </Text>
    );
  } else {
    // The cursor is the character under it in reverse video, or `_` past the end (visible in a plain-text screen copy too).
    const { from, text } = visibleWindow(value, cursor, Math.max(1, width - 2));
    const at = cursor - from;
    prompt = (
      <Text bold wrap="truncate">
        {from > 0 ? '…' : ':'}
        {text.slice(0, at)}
        {at < text.length ? <Text inverse>{text[at]}</Text> : '_'}
        {text.slice(at + 1)}
      </Text>
    );
  }
  return (
    <Box flexDirection="column" width={width}>
      {shown.map((m, i) => (
        <Text key={i} color={toneColor(m.tone)} wrap="truncate">
          {clip(m.text || ' ', width)}
        </Text>
      ))}
      {prompt}
    </Box>
  );
}
