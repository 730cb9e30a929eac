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
  /** Work going on beside the simulation (a matrix computing), shown where the key hints usually are. */
  activity?: string | null;
}

const SPIN = ['|', '/', '-', '\\'];
const HINTS = '? help  : command  q quit';
const STATE_COLOR: Record<SessionState, string> = {
  loaded: 'white',
  running: 'green',
  paused: 'yellow',
  stepping: 'yellow',
  finished: 'gray',
};

export function StatusBar({ lab, state, t_us, events, packets, tick, width, activity }: StatusBarProps) {
  const spin = state === 'running' ? ` ${SPIN[tick % SPIN.length]}` : '';
  const short = `nflab: ${lab}  [${state.toUpperCase()}${spin}]  t=${formatMicros(t_us)}`;
  const full = `${short}  events ${events}  packets ${packets}`;
  const fits = (l: string, r: string) => width - l.length - r.length >= 2;
  const joined = (l: string, r: string) => `${l}${' '.repeat(Math.max(2, width - l.length - r.length))}${r}`;
  let text: string;
  if (!activity) text = fits(full, HINTS) ? joined(full, HINTS) : full;
  // Work in progress matters more than the event counts: they give way to it on a narrow screen.
  else text = joined(fits(full, activity) ? full : short, activity);
  return (
    <Text color={STATE_COLOR[state]} inverse wrap="truncate">
      {clip(text.padEnd(width), width)}
    </Text>
  );
}
