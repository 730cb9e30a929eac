/**
 * The node inspector's content, gathered through the session's own commands so
 * it reads exactly as a shell on that node would print it: `iptables -L -n -v`
 * per table, `ip route`, `ip rule`, `conntrack -L`, and the listening sockets.
 * Built when a node is selected or the lab changes, never per frame.
 */
import type { CommandResult } from '../session/session.js';
import type { ListenSpec } from '../topology/model.js';
import { expandTabs, type Line, type Tone } from './style.js';
import { listenText } from './topology-lines.js';

export type Exec = (cmd: string) => CommandResult;

export interface Section {
  title: string;
  /** Line index where the section starts (for jumping between sections). */
  start: number;
}

export interface NodeReport {
  node: string;
  lines: Line[];
  sections: Section[];
}

const ALWAYS = ['filter', 'nat'];
const WHEN_USED = ['mangle', 'raw', 'security'];

/** A table with no rules and ACCEPT policies only says what every empty table says. */
function tableInUse(exec: Exec, table: string): boolean {
  let r: CommandResult;
  try {
    r = exec(`iptables-save -t ${table}`);
  } catch {
    return false;
  }
  if (!r.ok) return false;
  return r.output.split('\n').some((l) => l.startsWith('-A ') || (l.startsWith(':') && !l.includes(' ACCEPT ') && !l.includes(' - ')));
}

function ruleTone(line: string): Tone | undefined {
  const w = line.trim().split(/\s+/);
  // The target column of `-L -v` is the third word on a rule line.
  const target = /^\d+$/.test(w[0] ?? '') ? w[2] : undefined;
  if (target === 'ACCEPT') return 'accept';
  if (target === 'DROP' || target === 'REJECT') return 'drop';
  if (target === 'DNAT' || target === 'SNAT' || target === 'MASQUERADE' || target === 'REDIRECT') return 'nat';
  if (line.startsWith('Chain ')) return 'head';
  return undefined;
}

/** A socket as the session lists it (`ss -tuan` style). */
export interface SocketRow {
  proto: string;
  state: string;
  local: string;
  peer: string;
  uid: number;
  app: string;
}

function socketLines(sockets: SocketRow[]): string {
  return sockets
    .map((s) => `${s.proto.padEnd(4)} ${s.state.padEnd(11)} ${s.local.padEnd(21)} ${s.peer.padEnd(21)} uid=${s.uid} ${s.app}`)
    .join('\n');
}

export function nodeReport(node: string, exec: Exec, listen: ListenSpec[], sockets: SocketRow[] | null = null): NodeReport {
  const lines: Line[] = [];
  const sections: Section[] = [];
  const section = (title: string, body: string, tone?: (l: string) => Tone | undefined) => {
    sections.push({ title, start: lines.length });
    lines.push({ text: `── ${title}`, tone: 'head' });
    for (const l of body.split('\n')) lines.push({ text: expandTabs(l), tone: tone?.(l) });
    lines.push({ text: '' });
  };
  // A listing that fails (or throws) says so in its section; the pane never breaks.
  const run = (cmd: string) => {
    try {
      const r = exec(cmd);
      return r.ok ? r.output : `(${cmd}: ${r.output})`;
    } catch (e) {
      return `(${cmd}: ${e instanceof Error ? e.message : String(e)})`;
    }
  };
  for (const t of [...ALWAYS, ...WHEN_USED.filter((t) => tableInUse(exec, t))]) {
    section(`iptables -t ${t} -L -n -v`, run(`iptables -t ${t} -L -n -v`), ruleTone);
  }
  section('ip route show', run('ip route show') || '(no routes)');
  section('ip rule show', run('ip rule show'));
  section('conntrack -L', run('conntrack -L') || '(no entries)', () => 'conntrack');
  if (sockets) section('sockets', sockets.length ? socketLines(sockets) : '(no sockets)');
  else section('sockets', listen.length ? listen.map((l) => `LISTEN ${listenText(l)}`).join('\n') : '(none listening)');
  return { node, lines, sections };
}
