/** `?`: the key bindings and the command language. */
import { COMMAND_HELP } from '../../session/command-language.js';
import type { Line } from '../style.js';
import { bodyRows, Frame } from './frame.js';

export const KEY_HELP = `keys:
  Tab Shift-Tab   next / previous pane          1 2 3 4    jump to a pane
  Up Down j k     move the selection or scroll  PgUp PgDn  page
  Left Right      scroll an inspector sideways  Home End   start, end
  Enter           open the selected packet (timeline), node (topology)
                  or cell's trace (matrix; Esc goes back to the grid)
  arrows h j k l  matrix: move between cells     g G  first, last
  [ ]             previous / next section (node) or packet (packet)
  End G           timeline: follow the newest event again
  a               timeline: show every rule step too
  space           run / pause          s   step one event
  r               run                  p   pause (a new probe then waits)
  :               the command line     ?   this help (Esc closes)
  q               quit (also :q, quit, exit, Ctrl-C)
command line (as in a shell; Esc abandons it):
  Left Right  Ctrl-B Ctrl-F   a character   Alt-B Alt-F  a word
  Home End    Ctrl-A Ctrl-E   start, end    Up Down      history
  Ctrl-W      the word before               Tab          complete
  Ctrl-U      delete to the start           Ctrl-K       delete to the end
  Ctrl-Y      put back what was deleted     Delete Ctrl-D  the next one`;

export const HELP_LINES: Line[] = [...KEY_HELP.split('\n'), '', ...COMMAND_HELP.split('\n')].map((t) => ({
  text: t,
  tone: t.endsWith(':') ? 'head' : undefined,
}));

export interface HelpPaneProps {
  offset: number;
  focused: boolean;
  width: number;
  height: number;
}

export function HelpPane({ offset, focused, width, height }: HelpPaneProps) {
  const rows = bodyRows(height);
  const first = Math.min(offset, Math.max(0, HELP_LINES.length - rows));
  // When the window is too small for all of it, say where it is and how to see the rest.
  const where =
    HELP_LINES.length > rows ? `${first + 1}-${Math.min(HELP_LINES.length, first + rows)} of ${HELP_LINES.length}, j k PgDn  ` : '';
  return (
    <Frame title="Help" info={`${where}Esc closes`} focused={focused} width={width} height={height} lines={HELP_LINES} offset={first} />
  );
}
