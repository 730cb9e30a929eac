/** One row: the lab, the session state, virtual time and how far a long run has got. */
import { Text } from 'ink';
import type { SessionState } from '../../session/lifecycle.js';
import { clip } from '../style.js';
import { formatMicros } from '../timeline.js';

export interface StatusBarProps {
  lab: string;
  state: SessionState;
  t_us: number;
  /** Events run since the last run started. */
  events: number;
  packets: number;
  /** Advances with every slice while running, so a long run visibly moves. */
  tick: number;
  width: number;
}

const SPIN = ['|', '/', '-', '\\'];
const STATE_COLOR: Record<SessionState, string> = {
  loaded: 'white',
  running: 'green',
  paused: 'yellow',
  stepping: 'yellow',
  finished: 'gray',
};

export function StatusBar({ lab, state, t_us, events, packets, tick, width }: StatusBarProps) {
  const spin = state === 'running' ? ` ${SPIN[tick % SPIN.length]}` : '';
  const left = `nflab: ${lab}  [${state.toUpperCase()}${spin}]  t=${formatMicros(t_us)}  events ${events}  packets ${packets}`;
  const right = '? help  : command  q quit';
  const gap = width - left.length - right.length;
  const text = gap >= 2 ? `${left}${' '.repeat(gap)}${right}` : left;
  return (
    <Text color={STATE_COLOR[state]} inverse wrap="truncate">
      {clip(text.padEnd(width), width)}
    </Text>
  );
}
