/**
 * The node inspector's content, as a shell on that node would print it:
 * `iptables -L -n -v` per table, its native nftables tables (`nft -a list
 * ruleset`: family, table, base chains with hook, priority and policy, rules
 * with their counters and handles), `ip route`, `ip rule`, `conntrack -L`,
 * and the listening sockets. The rule listings can be huge (40,000 rules on a
 * kube-proxy node), so they are never printed whole: with the session's live
 * listings a row is formatted only when it is drawn, counters as they are
 * then. The short sections are gathered through the session's own commands
 * when the node is selected or the lab changed, never per frame.
 */
import type { CommandResult, TableListing } from '../session/session.js';
import type { ListenSpec } from '../topology/model.js';
import { expandTabs, type Line, type Lines, type Tone } from './style.js';
import { listenText } from './topology-lines.js';

export type Exec = (cmd: string) => CommandResult;
/** A table's live listing (Session.listing), or null where the session has none. */
export type ListingOf = (table: string) => TableListing | null;
/** The node's native nftables tables as `nft -a list ruleset` prints them (Session.nftTables); '' when none. */
export type NftTablesOf = () => string | null;

export interface Section {
  title: string;
  /** Line index where the section starts (for jumping between sections). */
  start: number;
}

export interface NodeReport {
  node: string;
  lines: Lines;
  sections: Section[];
  /** Takes in rule changes made since (the listings' shape); counters need nothing, they are read when drawn. */
  refresh(): void;
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

/** An nft listing line's tone, by its verdict or NAT statement (a rule's last words, before its comment and handle). */
function nftTone(line: string): Tone | undefined {
  const t = line.trim();
  if (t.startsWith('table ') || t.startsWith('chain ') || t.startsWith('set ') || t.startsWith('map ')) return 'head';
  if (t.startsWith('type ')) return 'dim';
  const body = t.replace(/ # handle \d+$/, '').replace(/ comment "[^"]*"$/, '');
  if (/\b(dnat|snat|masquerade|redirect)\b/.test(body)) return 'nat';
  if (/\b(drop|reject)( with [\w -]+)?$/.test(body)) return 'drop';
  if (/\baccept$/.test(body)) return 'accept';
  return undefined;
}

function ruleTone(line: string): Tone | undefined {
  if (line.startsWith('Chain ')) return 'head';
  const w = line.trim().split(/\s+/, 3);
  // The target column of `-L -v` is the third word on a rule line.
  const target = /^\d+[KMGT]?$/.test(w[0] ?? '') ? w[2] : undefined;
  if (target === 'ACCEPT') return 'accept';
  if (target === 'DROP' || target === 'REJECT') return 'drop';
  if (target === 'DNAT' || target === 'SNAT' || target === 'MASQUERADE' || target === 'REDIRECT') return 'nat';
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

/** A section: its heading, its body, and a blank line. */
interface Block {
  title: string;
  size(): number;
  at(i: number): Line;
  listing?: TableListing;
}

function textBlock(title: string, body: string, tone?: (l: string) => Tone | undefined): Block {
  const lines: Line[] = [{ text: `── ${title}`, tone: 'head' }];
  for (const l of body.split('\n')) lines.push({ text: expandTabs(l), tone: tone?.(l) });
  lines.push({ text: '' });
  return { title, size: () => lines.length, at: (i) => lines[i] };
}

function listingBlock(title: string, l: TableListing): Block {
  return {
    title,
    listing: l,
    size: () => l.length + 2,
    at: (i) => {
      if (i === 0) return { text: `── ${title}`, tone: 'head' };
      if (i > l.length) return { text: '' };
      const text = l.line(i - 1);
      return { text, tone: ruleTone(text) };
    },
  };
}

class Report implements NodeReport {
  sections: Section[] = [];
  lines: Lines;

  constructor(
    readonly node: string,
    private readonly blocks: Block[],
  ) {
    this.layOut();
    const count = (): number => {
      const last = this.sections.length - 1;
      return last < 0 ? 0 : this.sections[last].start + this.blocks[last].size();
    };
    this.lines = {
      get length() {
        return count();
      },
      at: (i) => this.at(i),
    };
  }

  private layOut(): void {
    let n = 0;
    this.sections = this.blocks.map((b) => {
      const s = { title: b.title, start: n };
      n += b.size();
      return s;
    });
  }

  private at(i: number): Line | undefined {
    for (let b = this.sections.length - 1; b >= 0; b--)
      if (this.sections[b].start <= i)
        return i - this.sections[b].start < this.blocks[b].size() ? this.blocks[b].at(i - this.sections[b].start) : undefined;
    return undefined;
  }

  refresh(): void {
    let changed = false;
    for (const b of this.blocks) if (b.listing?.refresh()) changed = true;
    if (changed) this.layOut();
  }
}

export function nodeReport(
  node: string,
  exec: Exec,
  listen: ListenSpec[],
  sockets: SocketRow[] | null = null,
  listing: ListingOf | null = null,
  nftTables: NftTablesOf | null = null,
): NodeReport {
  const blocks: Block[] = [];
  // A listing that fails (or throws) says so in its section; the pane never breaks.
  const run = (cmd: string) => {
    try {
      const r = exec(cmd);
      return r.ok ? r.output : `(${cmd}: ${r.output})`;
    } catch (e) {
      return `(${cmd}: ${e instanceof Error ? e.message : String(e)})`;
    }
  };
  for (const t of [...ALWAYS, ...WHEN_USED]) {
    const title = `iptables -t ${t} -L -n -v`;
    const live = listing?.(t) ?? null;
    if (live) {
      live.refresh();
      if (ALWAYS.includes(t) || live.inUse()) blocks.push(listingBlock(title, live));
    } else if (ALWAYS.includes(t) || tableInUse(exec, t)) blocks.push(textBlock(title, run(`iptables -t ${t} -L -n -v`), ruleTone));
  }
  // Native tables only; the tables iptables-nft made are the iptables sections above.
  let nft: string | null;
  try {
    nft = nftTables?.() ?? null;
  } catch (e) {
    nft = `(nft: ${e instanceof Error ? e.message : String(e)})`;
  }
  // nft indents with tabs; two spaces a level keep the rules' counters inside a pane a third of the screen wide.
  if (nft)
    blocks.push(
      textBlock(
        'nft -a list ruleset (native tables)',
        nft.replace(/^\t+/gm, (t) => '  '.repeat(t.length)),
        nftTone,
      ),
    );
  blocks.push(textBlock('ip route show', run('ip route show') || '(no routes)'));
  blocks.push(textBlock('ip rule show', run('ip rule show')));
  blocks.push(textBlock('conntrack -L', run('conntrack -L') || '(no entries)', () => 'conntrack'));
  if (sockets) blocks.push(textBlock('sockets', sockets.length ? socketLines(sockets) : '(no sockets)'));
  else blocks.push(textBlock('sockets', listen.length ? listen.map((l) => `LISTEN ${listenText(l)}`).join('\n') : '(none listening)'));
  return new Report(node, blocks);
}
