/** Help, shell completion and the man page, all made from the command table in defs.ts. */
import { COMMANDS, type CommandDef, type OptionDef, type ValueKind } from './defs.js';

export function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = [
    'nflab — a multi-host network emulation lab',
    '',
    'usage: nflab [COMMAND] [ARGS...]      (no command: the terminal UI on the bundled Docker lab)',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "`nflab COMMAND --help` describes a command's options. `nflab --version` prints the version.",
    'Exit codes: 0 success, 1 an expectation or validation failed, 2 bad usage or unreadable input.',
  ];
  return lines.join('\n') + '\n';
}

function optionLabel(o: OptionDef): string {
  const long = `--${o.name}${o.arg ? ` ${o.arg}` : ''}`;
  return o.short ? `-${o.short}, ${long}` : long;
}

export function commandHelp(c: CommandDef): string {
  const lines = [`usage: nflab ${c.name} ${c.usage}`, '', c.summary];
  if (c.options.length) {
    const width = Math.max(...c.options.map((o) => optionLabel(o).length));
    lines.push('', 'options:');
    for (const o of c.options) lines.push(`  ${optionLabel(o).padEnd(width)}  ${o.help}`);
  }
  return lines.join('\n') + '\n';
}

/** Words a shell completes for a kind of value; files are left to the shell's own file completion. */
function words(kind: ValueKind | undefined, choices?: readonly string[]): string | null {
  if (choices) return choices.join(' ');
  if (kind === 'shell') return 'bash zsh';
  return null;
}

const isFileKind = (k: ValueKind | null | undefined) => k === 'topology' || k === 'scenario' || k === 'file';

export function bashCompletion(): string {
  const out = [
    '# bash completion for nflab; load with: eval "$(nflab completion bash)"',
    '_nflab() {',
    '  local cur prev cmd',
    '  cur="${COMP_WORDS[COMP_CWORD]}"',
    '  prev="${COMP_WORDS[COMP_CWORD-1]}"',
    '  cmd="${COMP_WORDS[1]}"',
    '  if [ "$COMP_CWORD" -eq 1 ]; then',
    `    COMPREPLY=( $(compgen -W "${COMMANDS.map((c) => c.name).join(' ')} --help --version" -- "$cur") )`,
    '    return',
    '  fi',
    '  case "$cmd" in',
  ];
  for (const c of COMMANDS) {
    out.push(`    ${c.name})`);
    out.push('      case "$prev" in');
    for (const o of c.options.filter((o) => o.value)) {
      const names = [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])].join('|');
      const w = words(o.kind, o.choices);
      if (w) out.push(`        ${names}) COMPREPLY=( $(compgen -W "${w}" -- "$cur") ); return ;;`);
      else if (isFileKind(o.kind)) out.push(`        ${names}) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;`);
      else out.push(`        ${names}) COMPREPLY=(); return ;;`);
    }
    out.push('      esac');
    const flags = [...c.options.map((o) => `--${o.name}`), '--help'].join(' ');
    out.push(`      if [[ "$cur" == -* ]]; then COMPREPLY=( $(compgen -W "${flags}" -- "$cur") ); return; fi`);
    const w = words(c.positional ?? undefined);
    if (w) out.push(`      COMPREPLY=( $(compgen -W "${w}" -- "$cur") )`);
    else out.push('      COMPREPLY=( $(compgen -f -- "$cur") )');
    out.push('      ;;');
  }
  out.push('  esac', '}', 'complete -o filenames -o bashdefault -F _nflab nflab', '');
  return out.join('\n');
}

function zshQuote(s: string): string {
  return s.replace(/'/g, "'\\''").replace(/[[\]:]/g, (m) => `\\${m}`);
}

export function zshCompletion(): string {
  const out = [
    '#compdef nflab',
    '# zsh completion for nflab; load with: source <(nflab completion zsh)',
    '_nflab() {',
    '  local -a commands',
    '  commands=(',
    ...COMMANDS.map((c) => `    '${c.name}:${zshQuote(c.summary)}'`),
    '  )',
    '  if (( CURRENT == 2 )); then',
    "    _describe 'command' commands",
    "    _arguments '--help[show help]' '--version[print the version]'",
    '    return',
    '  fi',
    '  local cmd=${words[2]}',
    '  shift words; (( CURRENT-- ))',
    '  case $cmd in',
  ];
  for (const c of COMMANDS) {
    const specs = c.options.map((o) => {
      const action = o.value ? `:${zshQuote(o.arg ?? 'value')}:${zshAction(o.kind, o.choices)}` : '';
      const repeat = o.repeat ? '*' : '';
      // A short alias: brace expansion outside the quotes gives both spellings one description.
      if (o.short) return `'(-${o.short} --${o.name})'{-${o.short},--${o.name}}'[${zshQuote(o.help)}]${action}'`;
      return `'${repeat}--${o.name}[${zshQuote(o.help)}]${action}'`;
    });
    specs.push("'--help[show help]'");
    specs.push(`'*:${c.positional ?? 'arg'}:${zshAction(c.positional ?? undefined)}'`);
    out.push(`    ${c.name}) _arguments ${specs.join(' ')} ;;`);
  }
  out.push('  esac', '}', 'compdef _nflab nflab', '');
  return out.join('\n');
}

function zshAction(kind: ValueKind | undefined | null, choices?: readonly string[]): string {
  const w = words(kind ?? undefined, choices);
  if (w) return `(${w})`;
  if (isFileKind(kind)) return kind === 'file' ? '_files' : '_files -g "*.y(a|)ml"';
  return ' ';
}

function roff(s: string): string {
  return s
    .replace(/\\/g, '\\e')
    .replace(/^([.'])/gm, '\\&$1')
    .replace(/-/g, '\\-');
}

/** The man page (man/nflab.1): a test keeps the committed file equal to this. */
export function manPage(version: string): string {
  const out = [
    `.TH NFLAB 1 "" "nflab ${version}" "User Commands"`,
    '.SH NAME',
    'nflab \\- a multi\\-host network emulation lab: namespaces, links, routing, iptables, conntrack and NAT, packet by packet',
    '.SH SYNOPSIS',
    '.B nflab',
    '[\\fICOMMAND\\fR] [\\fIARGS\\fR...]',
    '.SH DESCRIPTION',
    'nflab runs a lab described in a YAML topology file: hosts, network namespaces, links, routes and iptables rules.',
    'It sends traffic and shows every packet through the five Netfilter hooks, conntrack, NAT and routing.',
    'The Linux kernel is the reference.',
    'Without a command, nflab opens the terminal UI on the bundled Docker port\\-mapping lab.',
    '.SH COMMANDS',
  ];
  for (const c of COMMANDS) {
    out.push('.TP', `\\fBnflab ${c.name}\\fR ${roff(c.usage)}`, roff(c.summary) + '.');
    for (const o of c.options) out.push('.RS', '.TP', `\\fB${roff(optionLabel(o))}\\fR`, roff(o.help), '.RE');
  }
  out.push(
    '.SH EXIT STATUS',
    '0 success; 1 an expectation or validation failed; 2 bad usage or unreadable input.',
    'Errors are printed on standard error, one line each.',
    '.SH FILES',
    'Topology and scenario files are YAML; see docs/topology.md in the package for every key.',
    '.SH EXAMPLES',
    '.nf',
    'nflab trace topologies/docker\\-port\\-mapping.yaml \\-\\-from client \\-\\-to 198.51.100.1:8080',
    'nflab run scenarios/*.yaml \\-\\-junit report.xml',
    'nflab save lab.yaml \\-\\-node router \\-t nat',
    'eval "$(nflab completion bash)"',
    '.fi',
    '',
  );
  return out.join('\n');
}
