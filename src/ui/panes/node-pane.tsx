/** The node inspector: rules with counters, routes, policy rules, conntrack, sockets. */
import type { NodeReport } from '../node-report.js';
import type { Line } from '../style.js';
import { Frame } from './frame.js';

export interface NodePaneProps {
  report: NodeReport | null;
  offset: number;
  shift?: number;
  focused: boolean;
  width: number;
  height: number;
}

const HINT: Line[] = [{ text: 'No node selected: move to the topology (Tab) and press Enter on a node.', tone: 'dim' }];

export function NodePane({ shift, report, offset, focused, width, height }: NodePaneProps) {
  const lines = report?.lines ?? HINT;
  const here = report ? [...report.sections].reverse().find((s) => s.start <= offset) : undefined;
  return (
    <Frame
      title={report ? `Node ${report.node}` : 'Node'}
      info={here ? `${here.title}  [ ] sections` : undefined}
      focused={focused}
      width={width}
      height={height}
      lines={lines}
      offset={Math.min(offset, Math.max(0, lines.length - 1))}
      shift={shift}
    />
  );
}
