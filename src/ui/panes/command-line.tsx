/** The command line and the rows under it for results, errors and completions. */
import { Box, Text } from 'ink';
import { clip, type Line, toneColor } from '../style.js';

export interface CommandLineProps {
  active: boolean;
  value: string;
  messages: Line[];
  rows: number;
  width: number;
}

export function CommandLine({ active, value, messages, rows, width }: CommandLineProps) {
  const shown = messages.slice(-rows);
  while (shown.length < rows) shown.unshift({ text: '' });
  const prompt = active ? `:${value}_` : `  press : for a command, ? for help`;
  return (
    <Box flexDirection="column" width={width}>
      {shown.map((m, i) => (
        <Text key={i} color={toneColor(m.tone)} wrap="truncate">
          {clip(m.text || ' ', width)}
        </Text>
      ))}
      <Text bold={active} dimColor={!active} wrap="truncate">
        {clip(prompt.length > width ? `:…${value.slice(value.length - width + 3)}_` : prompt, width)}
      </Text>
    </Box>
  );
}
