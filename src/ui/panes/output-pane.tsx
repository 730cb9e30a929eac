/** A command's full output (e.g. `docker-host iptables -t nat -L -n -v`), scrollable. */
import { expandTabs, type Line } from '../style.js';
import { Frame } from './frame.js';

export interface OutputPaneProps {
  command: string;
  text: string;
  ok: boolean;
  offset: number;
  shift?: number;
  focused: boolean;
  width: number;
  height: number;
}

export function OutputPane({ shift, command, text, ok, offset, focused, width, height }: OutputPaneProps) {
  const lines: Line[] = text.split('\n').map((t) => ({ text: expandTabs(t), tone: ok ? undefined : 'error' }));
  return (
    <Frame
      title={`Output: ${command}`}
      info={ok ? undefined : 'failed'}
      focused={focused}
      width={width}
      height={height}
      lines={lines}
      offset={Math.min(offset, Math.max(0, lines.length - 1))}
      shift={shift}
    />
  );
}
