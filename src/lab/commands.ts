/**
 * Commands a user runs inside a node, as in `ip netns exec NODE ...`:
 * iptables (and -restore/-save), ip, conntrack and sysctl, with the real
 * tools' output, error text and exit codes.
 */
import { splitShellWords } from '../core/shell.js';
import { runIp } from '../routing/ip-command.js';
import { runConntrack } from '../netfilter/conntrack/command.js';
import type { Node } from '../node/node.js';
import { makeCidr } from '../packet/ipv4.js';
import { iptablesCommand, iptablesRestoreCommand, iptablesSaveCommand } from './netfilter-adapter.js';
import type { CommandOutput, NodeModules } from './types.js';
import { runNftCommand } from '../nftables/command.js';
import { sysctlCommand } from './sysctl-command.js';
import { bridgeCommand, ipLinkBridgeSlave } from './bridge-command.js';

const fail = (stderr: string, exitCode = 1): CommandOutput => ({
  stdout: '',
  stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n`,
  exitCode,
});

export function runNodeCommand(node: Node, mods: NodeModules, line: string, stdin: string | null): CommandOutput {
  const split = splitShellWords(line);
  if (!split.ok) return fail(`nflab: ${split.message} (column ${split.col})`, 2);
  const [tool, ...args] = split.words;
  switch (tool) {
    case undefined:
      return fail('nflab: empty command', 2);
    // The -legacy tools act on the same rules; they differ only in what a change costs (see rule-updates.ts).
    case 'iptables':
    case 'iptables-nft':
    case 'iptables-legacy':
      return iptablesCommand(node, mods, args);
    case 'iptables-restore':
    case 'iptables-nft-restore':
    case 'iptables-legacy-restore':
      return iptablesRestoreCommand(node, mods, args, stdin ?? '');
    case 'iptables-save':
    case 'iptables-nft-save':
    case 'iptables-legacy-save':
      return iptablesSaveCommand(mods, args);
    case 'ip': {
      const port = ipLinkBridgeSlave(node, args);
      if (port) return port;
      const out = runIp(mods.routing, args);
      if (out.exitCode === 0 && args[0] !== undefined && 'address'.startsWith(args[0])) syncAddresses(node, mods);
      return out;
    }
    case 'conntrack':
      return runConntrack(mods.conntrack, args);
    case 'nft':
      return runNftCommand(mods.nft, args, stdin, mods.ruleset);
    case 'sysctl':
      return sysctlCommand(node, mods, args);
    case 'bridge':
      return bridgeCommand(node, args);
    default:
      return fail(
        `nflab: ${tool}: command not found (nodes run iptables, iptables-restore, iptables-save, nft, ip, bridge, conntrack, sysctl)`,
        127,
      );
  }
}

/**
 * After `ip addr add|del`, the devices take their addresses from the routing
 * tables (the one source of truth); MASQUERADE entries whose address went away
 * are dropped, as the kernel's masquerade notifier does.
 */
function syncAddresses(node: Node, mods: NodeModules): void {
  const rt = mods.routing;
  for (const dev of node.devs.values()) {
    if (dev.kind === 'loopback') continue;
    const now = rt.addresses(dev.name);
    for (const old of dev.addrs) {
      if (!now.some((a) => a.addr === old.addr)) mods.conntrack.removeMasqueradedVia(dev.name, old.addr);
    }
    dev.addrs.length = 0;
    for (const a of now) dev.addrs.push({ addr: a.addr, cidr: makeCidr(a.addr, a.len) });
  }
}
