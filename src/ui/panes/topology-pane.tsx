/** The topology pane: hosts, namespaces, interfaces, links; Up/Down selects a node. */
import type { TopologyView } from '../topology-lines.js';
import { bodyRows, Frame } from './frame.js';

export interface TopologyPaneProps {
  view: TopologyView;
  selected: string | null;
  focused: boolean;
  width: number;
  height: number;
}

export function TopologyPane({ view, selected, focused, width, height }: TopologyPaneProps) {
  const line = selected !== null ? (view.nodeLine.get(selected) ?? null) : null;
  const rows = bodyRows(height);
  // Scroll only when the node's header and a little of what follows would not show.
  const offset = line !== null && line + 3 > rows ? Math.min(line, Math.max(0, view.lines.length - rows)) : 0;
  const n = selected ? view.nodes.indexOf(selected) + 1 : 0;
  return (
    <Frame
      title="Topology"
      info={`node ${n}/${view.nodes.length}`}
      focused={focused}
      width={width}
      height={height}
      lines={view.lines}
      offset={offset}
      selected={line}
    />
  );
}
