/**
 * The command language of the terminal UI and the websocket feed, in the
 * style of Mininet: `NODE ping IP`, `NODE connect IP:PORT`, `NODE send udp
 * IP:PORT`, `NODE iptables ...`, and session verbs (run, pause, step, reset).
 */
/** What only drives the session's own clock or lists it, the same in every session (see controlCommand). */
export type ControlCommand = { kind: 'help' | 'run' | 'pause' | 'nodes' } | { kind: 'step'; count: number };

export type ParsedCommand =
  | ControlCommand
  | { kind: 'reset' }
  | { kind: 'scenario'; file: string }
  | { kind: 'capture-start'; file: string; filter: string[] }
  | { kind: 'capture-stop' }
  | { kind: 'exec'; node: string; cmd: string }
  | { kind: 'matrix'; from: string[] | null; to: string[] | null; proto: 'tcp' | 'udp' }
  | { kind: 'probe'; node: string; probe: 'connect' | 'send' | 'ping'; to: string; proto: 'tcp' | 'udp'; uid: number };

export const SESSION_VERBS = ['help', 'run', 'pause', 'step', 'reset', 'nodes', 'load', 'capture', 'matrix'] as const;
export const NODE_VERBS = [
  'ping',
  'connect',
  'send',
  'iptables',
  'iptables-save',
  'iptables-restore',
  'ip',
  'conntrack',
  'sysctl',
  // The same rules, priced as that backend's change (README, "Rule updates").
  'iptables-legacy',
  'iptables-legacy-restore',
  'iptables-legacy-save',
  'iptables-nft',
  'iptables-nft-restore',
  'iptables-nft-save',
  'nft',
] as const;

export const COMMAND_HELP = `commands:
  NODE ping IP                      ICMP echo
  NODE connect IP:PORT [uid N]      TCP connect, send a line, read the answer
  NODE send udp IP:PORT [uid N]     one UDP datagram
  NODE iptables [-t T] ...          e.g. -L -n -v, -S, -I CHAIN 1 ..., -D ...
  NODE iptables-save [-c]           the node's rules
  NODE iptables-legacy|-nft ...     the same, priced as that backend's rule change
  NODE ip route|rule ...            routes and policy rules
  NODE nft list ruleset [-a] | ...  native nftables (nft add|insert|delete|flush ...)
  NODE conntrack -L|-F|-D ...       connection tracking
  NODE sysctl [-w] KEY[=VALUE]
  matrix [--from N,..] [--to auto|IP:PORT,..] [--proto tcp|udp]
                                    who reaches what, on the lab as it is now
  run | pause | step [N] | reset    drive virtual time
  load scenario FILE                run a scenario's steps on this lab
  capture start FILE [NODE:IF,...]  write every frame to a pcapng file (Wireshark)
  capture stop
  nodes | help`;

export function tokenize(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2] !== undefined ? m[2] : m[3]);
  return out;
}

function readUid(words: string[]): number | { error: string } {
  const i = words.indexOf('uid');
  if (i < 0) return 0;
  const v = Number(words[i + 1]);
  return Number.isInteger(v) && v >= 0 ? v : { error: 'uid needs a number' };
}

export function parseCommand(line: string, resolveNode: (name: string) => string | null): ParsedCommand | { error: string } {
  const words = tokenize(line.trim());
  if (!words.length) return { error: 'empty command' };
  const [first, ...rest] = words;
  switch (first) {
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'run':
    case 'pause':
    case 'reset':
    case 'nodes':
      return { kind: first };
    case 'step': {
      const n = rest.length ? Number(rest[0]) : 1;
      return Number.isInteger(n) && n > 0 ? { kind: 'step', count: n } : { error: 'step takes a positive count' };
    }
    case 'load':
      if (rest[0] === 'scenario' && rest[1]) return { kind: 'scenario', file: rest[1] };
      return { error: 'usage: load scenario FILE' };
    case 'matrix':
      return parseMatrix(rest, resolveNode);
    case 'capture':
      if (rest[0] === 'start' && rest[1])
        return { kind: 'capture-start', file: rest[1], filter: (rest[2] ?? '').split(',').filter(Boolean) };
      if (rest[0] === 'stop') return { kind: 'capture-stop' };
      return { error: 'usage: capture start FILE [NODE:IFACE,...] | capture stop' };
  }
  const node = resolveNode(first);
  if (!node) return { error: `unknown command or node "${first}" (try help)` };
  const [verb, ...args] = rest;
  if (!verb) return { error: `what should ${first} do? (${NODE_VERBS.join(', ')})` };
  switch (verb) {
    case 'ping':
      if (!args[0]) return { error: 'usage: NODE ping IP' };
      return { kind: 'probe', node, probe: 'ping', to: args[0], proto: 'tcp', uid: 0 };
    case 'connect': {
      if (!args[0]) return { error: 'usage: NODE connect IP:PORT [uid N]' };
      const uid = readUid(args);
      if (typeof uid !== 'number') return uid;
      return { kind: 'probe', node, probe: 'connect', to: args[0], proto: 'tcp', uid };
    }
    case 'send': {
      const proto = args[0] === 'tcp' || args[0] === 'udp' ? args[0] : null;
      const to = proto ? args[1] : args[0];
      if (!to) return { error: 'usage: NODE send udp IP:PORT [uid N]' };
      const uid = readUid(args);
      if (typeof uid !== 'number') return uid;
      return proto === 'tcp'
        ? { kind: 'probe', node, probe: 'connect', to, proto: 'tcp', uid }
        : { kind: 'probe', node, probe: 'send', to, proto: 'udp', uid };
    }
    default:
      if ((NODE_VERBS as readonly string[]).includes(verb))
        return { kind: 'exec', node, cmd: [verb, ...args].map(quoteIfNeeded).join(' ') };
      return { error: `unknown command "${verb}" for ${first} (${NODE_VERBS.join(', ')})` };
  }
}

/**
 * `matrix [--from A,B] [--to auto|IP:PORT,...] [--proto tcp|udp]`, options as
 * `nflab matrix` takes them (also `--from=A`). Source names resolve as node
 * names do everywhere in the language (`web` for `docker-host/web`).
 */
function parseMatrix(args: string[], resolveNode: (name: string) => string | null): ParsedCommand | { error: string } {
  const usage = 'usage: matrix [--from NODE,...] [--to auto|IP:PORT,...] [--proto tcp|udp]';
  const out: Extract<ParsedCommand, { kind: 'matrix' }> = { kind: 'matrix', from: null, to: null, proto: 'tcp' };
  for (let i = 0; i < args.length; i++) {
    const eq = args[i].indexOf('=');
    const opt = eq > 0 ? args[i].slice(0, eq) : args[i];
    const value = eq > 0 ? args[i].slice(eq + 1) : args[++i];
    if (value === undefined || value === '') return { error: `${opt} needs a value; ${usage}` };
    switch (opt) {
      case '--from': {
        const names: string[] = [];
        for (const n of value.split(',')) {
          const full = n ? resolveNode(n) : null;
          if (!full) return { error: `--from: no node "${n}"` };
          names.push(full);
        }
        out.from = names;
        break;
      }
      case '--to':
        if (value === 'auto') out.to = null;
        else {
          const items = value.split(',');
          const bad = items.find((t) => !/^\d+\.\d+\.\d+\.\d+:\d+$/.test(t));
          if (bad !== undefined) return { error: `--to takes auto or IP:PORT,..., not "${bad}"` };
          out.to = items;
        }
        break;
      case '--proto':
        if (value !== 'tcp' && value !== 'udp') return { error: `--proto is tcp or udp, not "${value}"` };
        out.proto = value;
        break;
      default:
        return { error: `matrix: unknown option "${opt}"; ${usage}` };
    }
  }
  return out;
}

function quoteIfNeeded(w: string): string {
  return /[\s"'\\]/.test(w) || w === '' ? `"${w.replace(/(["\\])/g, '\\$1')}"` : w;
}
