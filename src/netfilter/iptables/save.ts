/** The canonical printer: exactly what `iptables-save [-c] [-t T]` prints, less its `#` comment lines. */
import type { TableName } from '../types.js';
import { protoSaveName, saveAddrMask } from '../addr.js';
import { BUILTIN_CHAINS, newTable, SAVE_TABLE_ORDER, type Chain, type Rule, type Ruleset, type Table } from '../rule.js';

/** The rule's options up to (not including) the target, each part with a leading space. */
export function ruleMatchText(r: Rule): string {
  const h = r.header;
  let s = '';
  if (h.src) s += `${h.srcInv ? ' !' : ''} -s ${saveAddrMask(h.src)}`;
  if (h.dst) s += `${h.dstInv ? ' !' : ''} -d ${saveAddrMask(h.dst)}`;
  if (h.inIf !== null) s += `${h.inInv ? ' !' : ''} -i ${h.inIf}`;
  if (h.outIf !== null) s += `${h.outInv ? ' !' : ''} -o ${h.outIf}`;
  if (h.proto !== 0 || h.protoInv) s += `${h.protoInv ? ' !' : ''} -p ${h.proto === 0 ? 'all' : protoSaveName(h.proto)}`;
  if (h.frag === 1) s += ' -f';
  else if (h.frag === 2) s += ' ! -f';
  for (const m of r.matches) s += ` -m ${m.name}${m.save()}`;
  return s;
}

export function ruleTargetText(r: Rule): string {
  const t = r.target;
  switch (t.kind) {
    case 'none':
      return '';
    case 'verdict':
      return ` -j ${t.verdict}`;
    case 'jump':
      return ` -j ${t.chainName}`;
    case 'goto':
      return ` -g ${t.chainName}`;
    case 'ext':
      return ` -j ${t.ext.name}${t.ext.save()}`;
  }
}

/** `-A CHAIN ...` without counters, cached on the rule (rules are immutable once built). */
export function ruleText(chain: string, r: Rule): string {
  return `-A ${chain}${ruleSpec(r)}`;
}

function ruleSpec(r: Rule): string {
  return (r.specCache ??= flat(ruleMatchText(r) + ruleTargetText(r)));
}

/**
 * The printers build a rule's text by concatenation, which V8 keeps as a tree of string pieces;
 * reading one character flattens it in place. Without that, every later save walked ~25 pieces
 * per rule again (most of an 83,000-rule save's time).
 */
function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

/** Built-in chains in hook order, then user chains sorted by name as iptables-nft prints them. */
export function orderedChains(t: Table): Chain[] {
  const out: Chain[] = [];
  for (const hook of BUILTIN_CHAINS[t.name]) {
    const c = t.chains.get(hook);
    if (c) out.push(c);
  }
  const user = [...t.chains.values()].filter((c) => !c.builtin).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out.concat(user);
}

export function saveTable(t: Table, counters: boolean): string {
  // Appending makes a tree of pieces that is copied out once, when flattened; that measured faster
  // than joining an array of lines or of pieces.
  let out = `*${t.name}\n`;
  const chains = orderedChains(t);
  for (const c of chains) out += `:${c.name} ${c.builtin ? c.policy : '-'} [${c.builtin ? c.pkts : 0}:${c.builtin ? c.bytes : 0}]\n`;
  for (const c of chains) {
    const head = `-A ${c.name}`;
    for (const r of c.rules) out += (counters ? `[${r.pkts}:${r.bytes}] ` : '') + head + ruleSpec(r) + '\n';
  }
  return out + 'COMMIT\n';
}

export interface SaveOptions {
  counters?: boolean;
  table?: TableName;
}

/**
 * iptables-save's output. With `table`, that table is printed even when it does
 * not exist yet (as iptables-save -t does, with its empty built-in chains).
 */
export function save(rs: Ruleset, opts: SaveOptions = {}): string {
  const counters = opts.counters ?? false;
  if (opts.table) {
    const t = rs.table(opts.table);
    return flat(saveTable(t ?? newTable(opts.table), counters));
  }
  let out = '';
  for (const name of SAVE_TABLE_ORDER) {
    const t = rs.table(name);
    if (t) out += saveTable(t, counters);
  }
  // Flattened here, so that what it costs is part of the save and not of whoever reads the text first.
  return flat(out);
}
