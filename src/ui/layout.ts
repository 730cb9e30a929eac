/**
 * Where the panes go for a terminal size. At 80×24 the topology and timeline
 * share the top and one inspector (packet, node, command output or help) takes
 * the bottom; from 120 columns and 32 rows the node inspector gets its own
 * place under the topology so both inspectors are visible at once. The
 * matrix grid takes the inspector slot as the others do.
 */
export type PaneKind = 'topology' | 'timeline' | 'packet' | 'node' | 'output' | 'help' | 'matrix';

/** What the shared inspector slot shows. */
export type Inspector = 'packet' | 'node' | 'output' | 'help' | 'matrix';

export interface PaneBox {
  kind: PaneKind;
  height: number;
}

export interface Column {
  width: number;
  panes: PaneBox[];
}

export interface Layout {
  wide: boolean;
  columns: Column[];
  /** Rows for command results and errors, under the panes. */
  messageRows: number;
  /** Visible panes in focus order (Tab). */
  order: PaneKind[];
  /** The compact layout's full-width inspector under the columns. */
  bottom: (PaneBox & { width: number }) | null;
}

export const MIN_COLS = 40;
export const MIN_ROWS = 12;

export function computeLayout(cols: number, rows: number, inspector: Inspector): Layout {
  cols = Math.max(cols, MIN_COLS);
  rows = Math.max(rows, MIN_ROWS);
  const wide = cols >= 120 && rows >= 32;
  const messageRows = wide ? 4 : 2;
  // Status bar and command line take one row each.
  const main = rows - 2 - messageRows;
  if (!wide) {
    const top = Math.max(5, Math.floor(main * 0.45));
    const left = Math.min(38, Math.floor(cols * 0.4));
    return {
      wide,
      messageRows,
      columns: [
        { width: left, panes: [{ kind: 'topology', height: top }] },
        { width: cols - left, panes: [{ kind: 'timeline', height: top }] },
      ],
      order: ['topology', 'timeline', inspector],
      bottom: { kind: inspector, width: cols, height: main - top },
    };
  }
  const left = Math.min(72, Math.floor(cols * 0.42));
  const topL = Math.floor(main * 0.4);
  const topR = Math.floor(main * 0.4);
  const right: PaneKind = inspector === 'node' ? 'packet' : inspector;
  return {
    wide,
    messageRows,
    columns: [
      {
        width: left,
        panes: [
          { kind: 'topology', height: topL },
          { kind: 'node', height: main - topL },
        ],
      },
      {
        width: cols - left,
        panes: [
          { kind: 'timeline', height: topR },
          { kind: right, height: main - topR },
        ],
      },
    ],
    order: ['topology', 'timeline', 'node', right],
    bottom: null,
  };
}
