/** `?`: the key bindings and the command language. */
import { COMMAND_HELP } from '../../session/command-language.js';
import type { Line } from '../style.js';
import { Frame } from './frame.js';

export const KEY_HELP = `keys:
  Tab / Shift-Tab   next / previous pane         1 2 3 4   jump to a pane
  Up Down j k       move the selection or scroll  PgUp PgDn  page
  Left Right        scroll an inspector sideways  Home      back to the start
  Enter             open the selected packet (timeline) or node (topology)
  [ ]               previous / next section (node) or packet (packet)
  End / G           timeline: follow the newest event again
  a                 timeline: show every rule step too
  space             run / pause          s   step one event
  r                 run                  p   pause
  :                 command line (Esc abandons it, Up/Down history, Tab completes)
  ?                 this help (Esc closes)          q   quit (or :q, quit, exit)
command line (as in a shell):
  Left Right  Ctrl-B Ctrl-F    a character     Alt-B Alt-F  a word
  Home End    Ctrl-A Ctrl-E    start, end      Ctrl-W  delete the word before
  Ctrl-U      delete to the start              Ctrl-K  delete to the end
  Ctrl-Y      put back what was deleted        Delete Ctrl-D  the character under`;

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
  return (
    <Frame
      title="Help"
      info="Esc closes"
      focused={focused}
      width={width}
      height={height}
      lines={HELP_LINES}
      offset={Math.min(offset, HELP_LINES.length - 1)}
    />
  );
}
