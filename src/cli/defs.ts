/**
 * What each nflab command accepts, declared once: the argument parser, `nflab
 * COMMAND --help`, the shell completions and the man page are all made from
 * this table, so they cannot disagree with one another.
 */
import type { FlagSpec } from './args.js';

/** What a positional argument or an option's value is, for help text and for completion. */
export type ValueKind = 'topology' | 'scenario' | 'file' | 'node' | 'table' | 'proto' | 'format' | 'shell' | 'text';

export interface OptionDef extends FlagSpec {
  name: string;
  /** The value's placeholder in help text (`--port PORT`); absent for a switch. */
  arg?: string;
  kind?: ValueKind;
  /** The values it takes, for completion. */
  choices?: readonly string[];
  help: string;
}

export interface CommandDef {
  name: string;
  /** The arguments after the command name, as help shows them. */
  usage: string;
  summary: string;
  /** What the positional arguments are, for completion. */
  positional: ValueKind | null;
  options: OptionDef[];
}

const pcap: OptionDef[] = [
  {
    name: 'pcap',
    value: true,
    arg: 'FILE',
    kind: 'file',
    help: 'write every packet to a pcapng file (several scenarios: FILE-1, FILE-2, ...)',
  },
  { name: 'capture', value: true, arg: 'NODE:IFACE,...', kind: 'text', help: 'capture only these interfaces (needs --pcap)' },
];

export const TABLE_NAMES = ['raw', 'mangle', 'nat', 'filter', 'security'] as const;

export const COMMANDS: CommandDef[] = [
  {
    name: 'run',
    usage: 'SCENARIO... [options]',
    summary: 'run scenarios; exit 0 only if every expectation held',
    positional: 'scenario',
    options: [
      {
        name: 'json',
        help: 'print one JSON document per scenario (every step, with conntrack and iptables-save at each expect) instead of text',
      },
      {
        name: 'junit',
        value: true,
        arg: 'FILE',
        kind: 'file',
        help: 'also write a JUnit XML report (one testsuite per scenario, one testcase per step)',
      },
      { name: 'color', help: 'colour the text report even when stdout is not a terminal' },
      { name: 'no-color', help: 'never colour the text report (also: NO_COLOR=1)' },
      ...pcap,
    ],
  },
  {
    name: 'trace',
    usage: 'TOPOLOGY --from NODE --to IP[:PORT] [options]',
    summary: 'one exchange on a fresh lab, every packet hop by hop',
    positional: 'topology',
    options: [
      { name: 'from', value: true, arg: 'NODE', kind: 'node', help: 'the node that sends' },
      {
        name: 'to',
        value: true,
        arg: 'IP[:PORT]',
        kind: 'text',
        help: 'the destination (with a port: tcp unless --proto udp; without: ping)',
      },
      { name: 'proto', value: true, arg: 'PROTO', kind: 'proto', choices: ['tcp', 'udp', 'icmp'], help: 'tcp, udp or icmp' },
      { name: 'uid', value: true, arg: 'UID', kind: 'text', help: "the sending process's uid (for -m owner); default 0" },
      {
        name: 'timeout',
        value: true,
        arg: 'DURATION',
        kind: 'text',
        help: 'how long the probe waits for its answer, in virtual time (default 900ms, as in scenarios)',
      },
      { name: 'seed', value: true, arg: 'N', kind: 'text', help: 'the random seed (ports, ISNs, -m statistic); default 1' },
      {
        name: 'json',
        help: 'one JSON object per packet, with its trace steps, each with the probe\'s result ("result": connected, refused, ...)',
      },
      ...pcap,
    ],
  },
  {
    name: 'check',
    usage: 'TOPOLOGY|SCENARIO...',
    summary: 'validate files; print every problem as file:line:col: message; exit 1 on error',
    positional: 'file',
    options: [],
  },
  {
    name: 'save',
    usage: 'TOPOLOGY --node NODE [-c] [-t TABLE] [--after SCENARIO] [--nft [-a]]',
    summary: "a node's rules exactly as iptables-save (or, with --nft, nft list ruleset) prints them",
    positional: 'topology',
    options: [
      {
        name: 'node',
        value: true,
        repeat: true,
        arg: 'NODE',
        kind: 'node',
        help: 'the node (HOST or HOST/NS); repeat it for several nodes, each after a "# node NAME" line',
      },
      { name: 'counters', short: 'c', help: 'print packet and byte counters, as iptables-save -c' },
      {
        name: 'table',
        short: 't',
        value: true,
        arg: 'TABLE',
        kind: 'table',
        choices: TABLE_NAMES,
        help: 'only this table, as iptables-save -t',
      },
      {
        name: 'after',
        value: true,
        arg: 'SCENARIO',
        kind: 'scenario',
        help: 'run this scenario first (on its own topology), so counters show its traffic',
      },
      { name: 'nft', help: "print the node's nftables ruleset as nft list ruleset does" },
      { name: 'handle', short: 'a', help: 'with --nft: show rule handles, as nft -a list ruleset' },
    ],
  },
  {
    name: 'export',
    usage: 'TOPOLOGY [--format netns|containerlab] [--prefix P] [-o DIR] [--image IMAGE]',
    summary: 'a bash script that builds the same lab with real namespaces (up, down), or a containerlab topology',
    positional: 'topology',
    options: [
      {
        name: 'format',
        value: true,
        arg: 'FORMAT',
        kind: 'format',
        choices: ['netns', 'containerlab'],
        help: 'netns (default): a bash script on stdout; containerlab: DIR/NAME.clab.yml and DIR/setup/NODE.sh',
      },
      {
        name: 'prefix',
        value: true,
        arg: 'P',
        kind: 'text',
        help: 'netns: the namespace-name prefix (the script also reads NFLAB_PREFIX)',
      },
      { name: 'out', short: 'o', value: true, arg: 'DIR', kind: 'file', help: 'containerlab: the directory to write into' },
      { name: 'image', value: true, arg: 'IMAGE', kind: 'text', help: 'containerlab: the container image of every node' },
    ],
  },
  {
    name: 'tui',
    usage: '[TOPOLOGY]',
    summary: 'the terminal UI (on the bundled Docker lab without a topology)',
    positional: 'topology',
    options: [],
  },
  {
    name: 'serve',
    usage: 'TOPOLOGY [--scenario FILE] [--port 7070] [--host 127.0.0.1] [--token T] [--scenario-dir DIR] [--capture-dir DIR]',
    summary: 'the websocket feed and its viewer page',
    positional: 'topology',
    options: [
      { name: 'scenario', value: true, arg: 'FILE', kind: 'scenario', help: 'load this scenario at start' },
      { name: 'port', value: true, arg: 'PORT', kind: 'text', help: 'TCP port (default 7070; 0 picks a free one)' },
      { name: 'host', value: true, arg: 'ADDR', kind: 'text', help: 'address to listen on (default 127.0.0.1)' },
      { name: 'token', value: true, arg: 'T', kind: 'text', help: 'clients must present this token' },
      {
        name: 'scenario-dir',
        value: true,
        arg: 'DIR',
        kind: 'file',
        help: "the only directory a client's load scenario reads from (default: the topology's directory)",
      },
      {
        name: 'capture-dir',
        value: true,
        arg: 'DIR',
        kind: 'file',
        help: "where a client's capture start writes (default: a new temporary directory)",
      },
    ],
  },
  {
    name: 'matrix',
    usage:
      'TOPOLOGY [--from NODE,...] [--to auto|IP:PORT,...] [--proto tcp|udp] [--seed N] [--after SCENARIO] [--against TOPOLOGY] [--json|--html FILE] [--jobs N]',
    summary: 'who reaches what, and the rule that decided each cell; --against: only the cells a change alters (exit 1)',
    positional: 'topology',
    options: [
      { name: 'from', value: true, arg: 'NODE,...', kind: 'text', help: 'source nodes (default: every node with an address)' },
      {
        name: 'to',
        value: true,
        arg: 'auto|IP:PORT,...',
        kind: 'text',
        help: 'destinations (default auto: listeners and DNAT/REDIRECT targets)',
      },
      { name: 'proto', value: true, arg: 'PROTO', kind: 'proto', choices: ['tcp', 'udp'], help: 'tcp (default) or udp' },
      { name: 'seed', value: true, arg: 'N', kind: 'text', help: 'the seed of every cell (default 1)' },
      { name: 'against', value: true, arg: 'TOPOLOGY', kind: 'topology', help: 'print only the cells that differ from this topology' },
      {
        name: 'after',
        value: true,
        arg: 'SCENARIO',
        kind: 'scenario',
        help: "run the scenario's exec steps first (with --against: on the --against side)",
      },
      { name: 'json', help: 'print JSON' },
      { name: 'html', value: true, arg: 'FILE', kind: 'file', help: 'also write the grid as one self-contained, sortable HTML page' },
      { name: 'jobs', value: true, arg: 'N', kind: 'text', help: 'threads running cells (default: every CPU core)' },
    ],
  },
  {
    name: 'snapshot-script',
    usage: '',
    summary: 'print the POSIX sh script that snapshots a real host into a bundle (run it there as root)',
    positional: null,
    options: [],
  },
  {
    name: 'import',
    usage: 'BUNDLE... [-o DIR] [--strip-prefix P]',
    summary: 'turn bundles from nflab snapshot-script into DIR/topology.yaml and its rule files',
    positional: 'file',
    options: [
      { name: 'out', short: 'o', value: true, arg: 'DIR', kind: 'file', help: 'the directory to write (default: ./imported)' },
      { name: 'strip-prefix', value: true, arg: 'P', kind: 'text', help: 'namespace-name prefix to drop from host names' },
    ],
  },
  {
    name: 'completion',
    usage: 'bash|zsh',
    summary: 'print a shell completion script (eval "$(nflab completion bash)")',
    positional: 'shell',
    options: [],
  },
];

export function commandDef(name: string): CommandDef | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** The parser's view of a command's options. */
export function flagSpecs(def: CommandDef): Record<string, FlagSpec> {
  const out: Record<string, FlagSpec> = {};
  for (const o of def.options) out[o.name] = { value: o.value, repeat: o.repeat, short: o.short };
  return out;
}
