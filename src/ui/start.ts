/**
 * `nflab tui`: builds the session, takes over the terminal (alternate screen,
 * raw keys), and resolves with the exit code when the user quits.
 */
import { formatDiagnostic } from '../core/diagnostic.js';
import { Session } from '../session/session.js';
import type { Topology } from '../topology/model.js';

const ALT_ON = '\x1b[?1049h\x1b[H';
const ALT_OFF = '\x1b[?1049l';

export async function startTui(topo: Topology, file: string, seed = 1): Promise<number> {
  const s = Session.create(topo, seed);
  if (!s.ok) {
    for (const d of s.error) process.stderr.write(`${formatDiagnostic({ file, ...d })}\n`);
    return 1;
  }
  if (!process.stdin.isTTY) {
    process.stderr.write('nflab tui needs a terminal (stdin is not a TTY); try nflab run or nflab trace\n');
    return 2;
  }
  // React's development build checks every element it makes, which doubled the time a key took to reach the
  // screen; it is chosen when React is first loaded, so React, ink and the app are loaded only now.
  process.env.NODE_ENV ??= 'production';
  const [{ createElement }, { render }, { App }] = await Promise.all([import('react'), import('ink'), import('./app.js')]);
  const out = process.stdout;
  // One row less than the terminal: a frame that fills it makes ink clear the whole screen on every redraw.
  const rowsOf = () => Math.max(12, (out.rows || 24) - 1);
  let code = 0;
  out.write(ALT_ON);
  try {
    const size = { cols: out.columns || 80, rows: rowsOf() };
    const app = render(createElement(App, { session: s.value, size, onExit: (c: number) => (code = c) }), {
      // Ctrl-C is a key like the others (src/ui/model.ts), so it also quits when it arrives with other keys.
      exitOnCtrlC: false,
      patchConsole: true,
    });
    const onResize = () => {
      out.write('\x1b[2J\x1b[H');
      app.rerender(
        createElement(App, { session: s.value, size: { cols: out.columns || 80, rows: rowsOf() }, onExit: (c: number) => (code = c) }),
      );
    };
    out.on('resize', onResize);
    await app.waitUntilExit();
    out.off('resize', onResize);
  } finally {
    out.write(ALT_OFF);
  }
  return code;
}
