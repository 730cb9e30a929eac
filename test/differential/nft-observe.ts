/**
 * What the differential suite reads of native nftables, on either side: the
 * kernel's `nft -a monitor trace` lines for native tables (every family, with
 * handles and rule text), each namespace's base chains and their hooks, the
 * native part of `nft -a list ruleset` (the tables iptables-nft made, and the
 * harness's own tracing table, left out), and the counters that moved.
 */

/** The tables iptables-nft makes: `ip` family, these names. A case must not name a native `ip` table so. */
const IPTABLES_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);
/** The harness's tracing table (test/differential/kernel-probe.ts). */
export const TRACE_TABLE = 'nflab_trace';

export function isIptablesTable(family: string, table: string): boolean {
  return family === 'ip' && IPTABLES_TABLES.has(table);
}

export interface MonitorEvent {
  id: string;
  family: string;
  table: string;
  chain: string;
  kind: 'packet' | 'rule' | 'policy';
  /** As nft prints it: `accept`, `jump services`, ... */
  verdict: string;
  handle?: number;
  ruleText?: string;
}

const LINE = /^trace id (\S+) (ip|ip6|inet|arp|bridge|netdev) (\S+) (\S+) (.*)$/;
const RULE = /^rule (.*?)\s*# handle (\d+) \(verdict ([^)]*)\)\s*$/;

/** One `nft -a monitor trace` line, whatever its family; null for lines that are not a packet, rule or policy event. */
export function parseMonitorLine(line: string): MonitorEvent | null {
  const m = LINE.exec(line.trimEnd());
  if (m === null) return null;
  const [, id, family, table, chain, rest] = m;
  if (rest.startsWith('packet:')) return { id, family, table, chain, kind: 'packet', verdict: '' };
  // `policy accept meta mark 0x00000005`: nft adds what the packet carries; the verdict is the word.
  if (rest.startsWith('policy ')) return { id, family, table, chain, kind: 'policy', verdict: rest.slice(7).trim().split(' ')[0] };
  const r = RULE.exec(rest);
  if (r === null) return null;
  return { id, family, table, chain, kind: 'rule', verdict: r[3].trim(), handle: Number(r[2]), ruleText: r[1] };
}

/** `FAMILY TABLE CHAIN` → its hook in iptables' spelling (`PREROUTING`), for every base chain of an `nft list chains|ruleset` text. */
export function baseChainHooks(listing: string): Map<string, string> {
  const out = new Map<string, string>();
  let table = '';
  let chain = '';
  for (const line of listing.split('\n')) {
    const t = /^table (\S+) (\S+) \{/.exec(line);
    if (t !== null) {
      table = `${t[1]} ${t[2]}`;
      continue;
    }
    const c = /^\tchain (\S+) \{/.exec(line);
    if (c !== null) {
      chain = c[1];
      continue;
    }
    const h = /^\t\ttype \S+ hook (\S+) /.exec(line);
    if (h !== null && chain !== '') out.set(`${table} ${chain}`, h[1].toUpperCase());
  }
  return out;
}

/** The native tables of an `nft list ruleset` text, in order, each as printed. */
export function nativeTables(listing: string): string {
  const out: string[] = [];
  let keep = false;
  for (const line of listing.split('\n')) {
    const t = /^table (\S+) (\S+) \{/.exec(line);
    if (t !== null) keep = !isIptablesTable(t[1], t[2]) && t[2] !== TRACE_TABLE;
    if (keep) out.push(line);
    if (line === '}') keep = false;
  }
  return out.join('\n');
}

/**
 * A listing as the end-of-case comparison reads it: native tables only, counters zeroed (the two
 * sides' traffic differs in ACKs), and tables without their handle. A table's handle counts every
 * table of the namespace: on the kernel side iptables-nft's tables (which nflab does not keep as
 * nft tables, a documented difference) and the harness's own tracing table, made before any step.
 * Chain, set and rule handles are per table, and are compared.
 */
export function nftRulesForCompare(listing: string): string {
  return zeroCounters(nativeTables(listing)).replace(/^(table \S+ \S+ \{) # handle \d+$/gm, '$1');
}

const COUNTER = /counter packets \d+ bytes \d+/g;

export const zeroCounters = (text: string): string => text.replace(COUNTER, 'counter packets 0 bytes 0');

interface NftCounted {
  /** `FAMILY TABLE CHAIN#HANDLE`. */
  key: string;
  /** The rule is walked only for a connection's first packet: in a nat base chain or a chain reached from one. */
  nat: boolean;
  packets: number;
  bytes: number;
}

/** Every rule counter in an `nft -a list ruleset` text of native tables. */
export function nftCounters(listing: string): NftCounted[] {
  const rules: Array<{ table: string; chain: string; handle: number; packets: number; bytes: number }> = [];
  const natBase = new Set<string>();
  const edges = new Map<string, Set<string>>();
  let table = '';
  let chain = '';
  for (const line of nativeTables(listing).split('\n')) {
    const t = /^table (\S+) (\S+) \{/.exec(line);
    if (t !== null) {
      table = `${t[1]} ${t[2]}`;
      continue;
    }
    const c = /^\tchain (\S+) \{/.exec(line);
    if (c !== null) {
      chain = c[1];
      continue;
    }
    if (/^\t\ttype nat hook /.test(line)) natBase.add(`${table} ${chain}`);
    const h = /# handle (\d+)$/.exec(line);
    if (h === null || !line.startsWith('\t\t')) continue;
    for (const j of line.matchAll(/\b(?:jump|goto) ([^\s,}]+)/g)) {
      const from = `${table} ${chain}`;
      const set = edges.get(from) ?? new Set<string>();
      set.add(`${table} ${j[1]}`);
      edges.set(from, set);
    }
    const k = /counter packets (\d+) bytes (\d+)/.exec(line);
    if (k !== null) rules.push({ table, chain, handle: Number(h[1]), packets: Number(k[1]), bytes: Number(k[2]) });
  }
  const natReach = new Set(natBase);
  for (const queue = [...natBase]; queue.length;)
    for (const next of edges.get(queue.pop()!) ?? [])
      if (!natReach.has(next)) {
        natReach.add(next);
        queue.push(next);
      }
  return rules.map((r) => ({
    key: `${r.table} ${r.chain}#${r.handle}`,
    nat: natReach.has(`${r.table} ${r.chain}`),
    packets: r.packets,
    bytes: r.bytes,
  }));
}

/**
 * Native counters that moved between two listings of one node, as the probe
 * counters list them: `node nft|nft-nat FAMILY TABLE CHAIN#HANDLE +p:b`
 * (`nft-nat`: a rule only a connection's first packet walks).
 */
export function nftCounterDeltas(node: string, before: string, after: string): string[] {
  const old = new Map(nftCounters(before).map((c) => [c.key, c]));
  const out: string[] = [];
  for (const c of nftCounters(after)) {
    const was = old.get(c.key);
    const dp = c.packets - (was?.packets ?? 0);
    const db = c.bytes - (was?.bytes ?? 0);
    if (dp === 0 && db === 0) continue;
    out.push(`${node} ${c.nat ? 'nft-nat' : 'nft'} ${c.key} +${dp}:${db}`);
  }
  return out;
}

/** A rule's text as both traces print it, less its counter values (the kernel's monitor prints the ones it read when it started). */
export const traceRuleText = (text: string): string => text.replace(COUNTER, 'counter');

/** Whether a case has native nftables to observe: a node's `nftables:`, or an `nft` command among its steps. */
export function caseUsesNft(
  c: { steps: ReadonlyArray<{ kind: string; cmd?: string }> },
  topo: { nodes: ReadonlyArray<{ nftables?: unknown }> },
): boolean {
  return topo.nodes.some((n) => n.nftables) || c.steps.some((s) => s.kind === 'exec' && /^nft\b/.test(s.cmd ?? ''));
}
