/**
 * The matrix pane's content without React: the glyph and tone of a cell, the
 * cursor, and which rows and columns fit in the pane. Glyphs are those of
 * `nflab matrix` (src/matrix/render.ts), so a screen and a terminal's text
 * output read the same; colour only repeats them.
 */
import { cellSymbol, type MatrixCell, type MatrixView } from '../session/port.js';
import type { Tone } from './style.js';

/** An empty slot of the grid (past the last row or column) is blank; a cell reads as in `nflab matrix`. */
export function cellGlyph(c: MatrixCell | undefined): string {
  return c ? cellSymbol(c) : ' ';
}

export function glyphTone(g: string): Tone {
  switch (g) {
    case '+':
      return 'accept';
    case '*':
      return 'nat';
    case '?':
      return 'dim';
    default:
      return 'drop';
  }
}

export const MATRIX_LEGEND = '+ reached  * via DNAT/REDIRECT  R refused  T timeout  U unreachable  N no route  ? other';

/** Column labels: A..Z, or 1..N past 26 sources, as `nflab matrix` labels them. */
export function columnLabels(n: number): string[] {
  return Array.from({ length: n }, (_, i) => (n <= 26 ? String.fromCharCode(65 + i) : String(i + 1)));
}

/** Rows of the pane that are not grid rows: sources, header, the cell (2 lines), the legend. */
export const MATRIX_CHROME = 5;

export class MatrixGrid {
  row = 0;
  col = 0;
  rowOff = 0;
  colOff = 0;
  readonly labels: string[];
  /** Width of a column: its label and a space either side, at least `[x]`. */
  readonly colW: number;
  readonly rowW: number;

  constructor(readonly view: MatrixView) {
    this.labels = columnLabels(view.sources.length);
    this.colW = Math.max(3, ...this.labels.map((l) => l.length + 1));
    this.rowW = Math.max(11, ...view.destinations.map((d) => d.to.length)) + 1;
  }

  get rows(): number {
    return this.view.destinations.length;
  }

  get cols(): number {
    return this.view.sources.length;
  }

  cell(row: number, col: number): MatrixCell | undefined {
    return this.view.cells[row * this.cols + col];
  }

  get selected(): MatrixCell | undefined {
    return this.cell(this.row, this.col);
  }

  move(dRow: number, dCol: number): void {
    this.row = Math.max(0, Math.min(this.rows - 1, this.row + dRow));
    this.col = Math.max(0, Math.min(this.cols - 1, this.col + dCol));
  }

  /** Grid columns that fit beside the destination column in `width`. */
  visibleCols(width: number): number {
    return Math.max(1, Math.floor((width - this.rowW) / this.colW));
  }

  /** Scrolls as little as possible to keep the cursor in a `gridRows` × `width` view. */
  follow(gridRows: number, width: number): void {
    const cols = this.visibleCols(width);
    if (this.row < this.rowOff) this.rowOff = this.row;
    else if (gridRows > 0 && this.row >= this.rowOff + gridRows) this.rowOff = this.row - gridRows + 1;
    if (this.col < this.colOff) this.colOff = this.col;
    else if (this.col >= this.colOff + cols) this.colOff = this.col - cols + 1;
  }
}
