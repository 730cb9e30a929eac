/**
 * The nflab command. The only place that touches the process: arguments,
 * files, stdout/stderr and exit codes (0 ok, 1 an expectation or validation
 * failed, 2 bad usage or unreadable input). Errors are one line each, never a
 * stack trace.
 */
import { formatDiagnostic } from '../core/diagnostic.js';
import { ExitError, UsageError } from './args.js';
import { commands } from './commands.js';
import { commandDef } from './defs.js';
import { commandHelp, overview } from './help.js';
import { version } from './version.js';

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === '--help' || cmd === '-h' || (cmd === 'help' && rest.length === 0)) {
    process.stdout.write(overview());
    return 0;
  }
  if (cmd === '--version' || cmd === '-V') {
    process.stdout.write(`nflab ${version()}\n`);
    return 0;
  }
  const name = cmd === undefined ? 'tui' : cmd === 'help' ? rest[0] : cmd;
  const def = commandDef(name);
  const run = commands[name];
  if (!def || !run) throw new UsageError(`unknown command "${name}"; try nflab --help`);
  const beforeDashes = rest.indexOf('--') < 0 ? rest : rest.slice(0, rest.indexOf('--'));
  if (cmd === 'help' || beforeDashes.includes('--help') || beforeDashes.includes('-h')) {
    process.stdout.write(commandHelp(def));
    return 0;
  }
  return run(rest);
}

// A reader that goes away (`nflab run ... | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`nflab: ${e.message}\n`);
      process.exitCode = 2;
    } else if (e instanceof ExitError) {
      for (const d of e.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      process.exitCode = e.code;
    } else {
      // An internal error is still one line: the bug report needs the message, the user does not need a stack.
      process.stderr.write(`nflab: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
      if (process.env.NFLAB_DEBUG) console.error(e);
      process.exitCode = 70;
    }
  },
);
