/**
 * The nflab command. The only place that touches the process: arguments,
 * files, stdout/stderr and exit codes (0 ok, 1 an expectation or validation
 * failed, 2 bad usage or unreadable input). Errors are one line each, never a
 * stack trace.
 */
import { formatDiagnostic } from '../core/diagnostic.js';
import { ExitError, UsageError } from './args.js';
import { commands } from './commands.js';

const HELP = `nflab — a multi-host network emulation lab

usage:
  nflab                                   the terminal UI on the bundled default lab
  nflab tui TOPOLOGY                      the terminal UI on a topology
  nflab run SCENARIO... [--json] [--junit FILE] [--pcap FILE [--capture NODE:IFACE,...]]
  nflab trace TOPOLOGY --from NODE --to IP[:PORT] [--proto tcp|udp|icmp] [--json] [--pcap FILE [--capture ...]]
  nflab serve TOPOLOGY [--scenario FILE] [--port 7070] [--host 127.0.0.1] [--token T]
                 [--scenario-dir DIR] [--capture-dir DIR]
  nflab check TOPOLOGY|SCENARIO...
  nflab export TOPOLOGY --format netns [--prefix P]
  nflab save TOPOLOGY --node NODE [-c] [-t TABLE] [--after SCENARIO]
  nflab matrix TOPOLOGY [--from NODE,...] [--to auto|IP:PORT,...] [--proto tcp|udp] [--seed N]
                 [--against TOPOLOGY] [--json]
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const name = cmd === undefined ? 'tui' : cmd;
  const run = commands[name];
  if (!run) throw new UsageError(`unknown command "${cmd}"; try nflab --help`);
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
