/**
 * The reachability matrix: destinations are rows, sources lettered columns,
 * one glyph per cell in its colour; the selected cell is bracketed (`[*]`) as
 * well as shown in reverse, and spelled out under the grid with its deciding
 * rule. Only the rows and columns in view are drawn, so a grid of thousands
 * of cells scrolls as fast as a small one.
 */
import { Box, Text } from 'ink';
import { describeDecision } from '../../session/port.js';
import { cellGlyph, glyphTone, MATRIX_CHROME, MATRIX_LEGEND, type MatrixGrid } from '../matrix-grid.js';
import { clip, toneColor, verdictTone } from '../style.js';
import { bodyRows } from './frame.js';

export interface MatrixPaneProps {
  grid: MatrixGrid;
  focused: boolean;
  width: number;
  height: number;
}

export function MatrixPane({ grid, focused, width, height }: MatrixPaneProps) {
  const inner = Math.max(1, width - 2);
  const gridRows = Math.max(1, bodyRows(height) - MATRIX_CHROME);
  grid.follow(gridRows, inner);
  const v = grid.view;
  const nCols = Math.min(grid.cols - grid.colOff, grid.visibleCols(inner));
  const colIdx = Array.from({ length: nCols }, (_, i) => grid.colOff + i);
  const rowIdx = Array.from({ length: Math.min(gridRows, grid.rows - grid.rowOff) }, (_, i) => grid.rowOff + i);
  const head = `${focused ? '» ' : '  '}Matrix ${v.lab} ${v.proto}${v.changes ? ` after ${v.changes} change${v.changes === 1 ? '' : 's'}` : ''}`;
  const info = ` ${grid.cols}×${grid.rows}  row ${grid.row + 1} col ${grid.labels[grid.col]}  Enter: trace`;
  const sources = `sources: ${colIdx.map((c) => `${grid.labels[c]} ${v.sources[c]}`).join('  ')}`;
  const header = 'destination'.padEnd(grid.rowW) + colIdx.map((c) => grid.labels[c].padStart(grid.colW - 1).padEnd(grid.colW)).join('');
  const sel = grid.selected;
  const detail = sel
    ? `${sel.from} → ${sel.to}: ${sel.result}${sel.server ? ` (server ${sel.server}${sel.server_sees ? `, saw ${sel.server_sees}` : ''})` : ''}`
    : '';
  const why = sel ? `decided by: ${describeDecision(sel.decided_by)}` : '';
  const used = grid.rowW + nCols * grid.colW;
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="single" borderColor={focused ? 'cyan' : 'gray'}>
      <Text bold={focused} wrap="truncate">
        {clip(head + ' '.repeat(Math.max(0, inner - head.length - info.length)) + info, inner)}
      </Text>
      <Text wrap="truncate">{clip(sources, inner)}</Text>
      <Text bold wrap="truncate">
        {clip(header, inner)}
      </Text>
      {rowIdx.map((r) => {
        const d = v.destinations[r];
        const room = inner - used - 2;
        return (
          <Text key={r} wrap="truncate">
            <Text inverse={r === grid.row && !focused}>{d.to.padEnd(grid.rowW)}</Text>
            {colIdx.map((c) => {
              const g = cellGlyph(grid.cell(r, c));
              const here = r === grid.row && c === grid.col;
              const text = (here ? `[${g}]` : ` ${g} `).padStart(grid.colW);
              return (
                <Text key={c} color={toneColor(glyphTone(g))} inverse={here}>
                  {text}
                </Text>
              );
            })}
            <Text color="gray">{room >= 8 ? `  ${clip(d.why, room)}` : ''}</Text>
          </Text>
        );
      })}
      {Array.from({ length: gridRows - rowIdx.length }, (_, i) => (
        <Text key={`pad${i}`}> </Text>
      ))}
      <Text color={sel ? toneColor(verdictTone(sel.result)) : undefined} wrap="truncate">
        {clip(detail || ' ', inner)}
      </Text>
      <Text color="gray" wrap="truncate">
        {clip(why || ' ', inner)}
      </Text>
      <Text color="gray" wrap="truncate">
        {clip(MATRIX_LEGEND, inner)}
      </Text>
    </Box>
  );
}
