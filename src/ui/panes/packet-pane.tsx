/** The packet inspector: the selected packet's whole path (src/ui/trace-lines.ts). */
import type { MatrixCell } from '../../session/port.js';
import type { PacketTrace } from '../../trace/steps.js';
import type { Line } from '../style.js';
import { traceLines } from '../trace-lines.js';
import { Frame } from './frame.js';

export interface PacketPaneProps {
  trace: PacketTrace | null;
  /** The id asked for, to say when it has aged out of the trace store. */
  id: number | null;
  offset: number;
  shift?: number;
  focused: boolean;
  width: number;
  height: number;
  /** A matrix cell's packet (traced on the cell's own copy of the lab): which cell, and which of its packets. */
  cell?: MatrixCell & { index: number; count: number };
}

const HINT: Line[] = [{ text: 'No packet selected: move to the timeline (Tab) and press Enter on a packet event.', tone: 'dim' }];

export function PacketPane({ shift, trace, id, offset, focused, width, height, cell }: PacketPaneProps) {
  const lines = trace ? traceLines(trace) : id !== null ? [{ text: `packet #${id} is no longer recorded`, tone: 'dim' as const }] : HINT;
  const title = cell
    ? `Cell ${cell.from} → ${cell.to}: ${cell.result}, packet ${cell.index + 1} of ${cell.count}`
    : trace
      ? `Packet #${trace.id}`
      : 'Packet';
  const info = cell ? '[ ] packets  Esc: grid' : `${trace?.steps.length ?? 0} steps`;
  return (
    <Frame
      title={title}
      info={info}
      focused={focused}
      width={width}
      height={height}
      lines={lines}
      offset={Math.min(offset, Math.max(0, lines.length - 1))}
      shift={shift}
    />
  );
}
