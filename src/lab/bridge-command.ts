/**
 * Bridge port options a user sets in a node: hairpin mode, by either spelling
 * iproute2 has (`bridge link set dev PORT hairpin on|off` and
 * `ip link set dev PORT type bridge_slave hairpin on|off`), with the tools'
 * messages and exit codes as measured on iproute2 6.1.
 */
import type { Node } from '../node/node.js';
import type { CommandOutput } from './types.js';

const ok: CommandOutput = { stdout: '', stderr: '', exitCode: 0 };
const fail = (stderr: string, exitCode: number): CommandOutput => ({ stdout: '', stderr, exitCode });
const prefixOf = (word: string | undefined, full: string) => word !== undefined && word.length > 0 && full.startsWith(word);

const BRIDGE_USAGE =
  'Usage: bridge link set dev DEV [ hairpin {on | off} ]\n       (nflab models only the hairpin option of bridge ports)\n';

/** Where the option is set, and the two tools' exit codes for the same faults. */
interface Tool {
  noDevice: (dev: string) => CommandOutput;
  notPort: number;
  badValue: number;
}

const IP: Tool = { noDevice: (d) => fail(`Cannot find device "${d}"\n`, 1), notPort: 2, badValue: 1 };
const BRIDGE: Tool = { noDevice: (d) => fail(`Cannot find bridge device "${d}"\n`, 255), notPort: 255, badValue: 234 };

function setHairpin(node: Node, tool: Tool, dev: string, opts: string[], unsupported: string): CommandOutput {
  const d = node.devs.get(dev);
  if (!d) return tool.noDevice(dev);
  let value: boolean | null = null;
  for (let i = 0; i < opts.length; i += 2) {
    if (opts[i] !== 'hairpin') return fail(unsupported, 255);
    const v = opts[i + 1];
    if (v === undefined) return fail('Command line is not complete. Try option "help"\n', 255);
    if (v !== 'on' && v !== 'off') return fail(`Error: argument of "hairpin" must be one of "off", "on", not "${v}"\n`, tool.badValue);
    value = v === 'on';
  }
  if (!d.master) return fail('RTNETLINK answers: Operation not supported\n', tool.notPort);
  if (value !== null) d.hairpin = value;
  return ok;
}

/** `bridge link set dev PORT hairpin on|off`. */
export function bridgeCommand(node: Node, args: string[]): CommandOutput {
  if (!prefixOf(args[0], 'link') || !prefixOf(args[1], 'set'))
    return fail(`nflab: bridge: only "bridge link set dev PORT hairpin on|off" is modelled\n`, 255);
  if (args[2] !== 'dev' || args[3] === undefined) return fail(BRIDGE_USAGE, 255);
  return setHairpin(node, BRIDGE, args[3], args.slice(4), BRIDGE_USAGE);
}

/**
 * `ip link set [dev] PORT type bridge_slave hairpin on|off`; null for any
 * other `ip` command (the routing layer's `ip` answers those).
 */
export function ipLinkBridgeSlave(node: Node, args: string[]): CommandOutput | null {
  if (!prefixOf(args[0], 'link') || !prefixOf(args[1], 'set')) return null;
  let i = 2;
  if (args[i] === 'dev') i++;
  const dev = args[i];
  if (dev === undefined || args[i + 1] !== 'type' || args[i + 2] !== 'bridge_slave') return null;
  const unsupported = 'Error: nflab supports only "ip link set DEV type bridge_slave hairpin on|off".\n';
  return setHairpin(node, IP, dev, args.slice(i + 3), unsupported);
}
