/**
 * The terminal UI's root: draws the UiModel in the layout the terminal size
 * allows, forwards keys to it, and redraws when the terminal is resized or the
 * simulation has run a slice.
 */
import { Box, useApp, useStdin, useStdout } from 'ink';
import { useEffect, useReducer, useRef, useState } from 'react';
import type { DriverOptions } from './driver.js';
import { decodeKeys } from './keys.js';
import type { PaneKind } from './layout.js';
import { UiModel } from './model.js';
import { CommandLine } from './panes/command-line.js';
import { HelpPane } from './panes/help-pane.js';
import { MatrixPane } from './panes/matrix-pane.js';
import { NodePane } from './panes/node-pane.js';
import { OutputPane } from './panes/output-pane.js';
import { PacketPane } from './panes/packet-pane.js';
import { StatusBar } from './panes/status-bar.js';
import { TimelinePane } from './panes/timeline-pane.js';
import { TopologyPane } from './panes/topology-pane.js';
import type { UiSession } from './ui-session.js';

export interface AppProps {
  session: UiSession;
  /** Fixed size (tests); otherwise the terminal's, following resizes. */
  size?: { cols: number; rows: number };
  onExit?: (code: number) => void;
  driver?: DriverOptions;
  /** Lets tests reach the model that drives the screen. */
  onModel?: (m: UiModel) => void;
}

/**
 * Raw terminal input, every key of it. ink's useInput hands a read holding
 * several keys (`kkkk`, a pasted line ending in Enter) to its handler as one
 * unrecognised key, so it is not used; ink still owns raw mode and splits reads
 * at escape sequences, and decodeKeys splits the rest.
 */
function useKeys(model: UiModel): void {
  const { setRawMode, internal_eventEmitter: input } = useStdin();
  useEffect(() => {
    setRawMode(true);
    const on = (data: string) => model.keys(decodeKeys(data));
    input.on('input', on);
    return () => {
      input.off('input', on);
      setRawMode(false);
    };
  }, [model, input, setRawMode]);
}

function useTerminalSize(fixed?: { cols: number; rows: number }): { cols: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ cols: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const on = () => setSize(read());
    stdout.on('resize', on);
    return () => {
      stdout.off('resize', on);
    };
  }, [stdout, fixed]);
  return fixed ?? size;
}

export function App({ session, size, onExit, driver, onModel }: AppProps) {
  const { exit } = useApp();
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const model = useRef<UiModel | null>(null);
  if (!model.current) {
    model.current = new UiModel(
      session,
      () => redraw(),
      (code) => {
        onExit?.(code);
        exit();
      },
      driver,
    );
    onModel?.(model.current);
  }
  const m = model.current;
  useEffect(() => () => m.dispose(), [m]);
  const { cols, rows } = useTerminalSize(size);
  useKeys(m);
  const layout = m.resize(cols, rows);

  const pane = (kind: PaneKind, width: number, height: number) => {
    const focused = m.focus === kind;
    const common = { focused, width, height };
    switch (kind) {
      case 'topology':
        return <TopologyPane key={kind} {...common} view={m.topo} selected={m.selectedNode} />;
      case 'timeline':
        return (
          <TimelinePane
            key={kind}
            {...common}
            count={m.timeline.length}
            at={(i) => m.timeline.at(i)}
            cursor={m.timelineCursor}
            detail={m.timeline.detail}
          />
        );
      case 'packet': {
        const ct = m.cellTrace;
        return (
          <PacketPane
            key={kind}
            {...common}
            id={ct ? null : m.packetId}
            trace={m.shownTrace()}
            offset={m.offsets.packet}
            shift={m.shifts.packet}
            cell={ct ? { ...ct.cell, index: ct.index, count: ct.traces.length } : undefined}
          />
        );
      }
      case 'matrix':
        return m.matrix ? <MatrixPane key={kind} {...common} grid={m.matrix} /> : <HelpPane key={kind} {...common} offset={0} />;
      case 'node':
        return <NodePane key={kind} {...common} report={m.nodeReport()} offset={m.offsets.node} shift={m.shifts.node} />;
      case 'output':
        return m.output ? (
          <OutputPane key={kind} {...common} {...m.output} offset={m.offsets.output} shift={m.shifts.output} />
        ) : (
          <HelpPane key={kind} {...common} offset={0} />
        );
      case 'help':
        return <HelpPane key={kind} {...common} offset={m.offsets.help} />;
    }
  };

  return (
    <Box flexDirection="column" width={cols}>
      <StatusBar
        lab={session.topology.name}
        state={session.state}
        t_us={session.now()}
        events={m.driver.events}
        packets={m.packets}
        tick={m.driver.ticks}
        width={cols}
        activity={m.matrixProgress}
      />
      <Box flexDirection="row">
        {layout.columns.map((c, i) => (
          <Box key={i} flexDirection="column" width={c.width}>
            {c.panes.map((p) => pane(p.kind, c.width, p.height))}
          </Box>
        ))}
      </Box>
      {layout.bottom && pane(layout.bottom.kind, layout.bottom.width, layout.bottom.height)}
      <CommandLine
        active={m.cmdActive}
        value={m.cmdValue}
        cursor={m.editor.cursor}
        messages={m.messages}
        rows={layout.messageRows}
        width={cols}
      />
    </Box>
  );
}
