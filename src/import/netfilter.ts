/** iptables, nftables and ipset state of one captured namespace. */
import { lineOf, nsLabel, type Bundle, type NsCapture, type Section } from './bundle.js';
import type { ImportContext, ImportNode } from './model.js';

const IPSET_TYPES = new Set(['hash:net', 'hash:ip', 'hash:ip,port', 'hash:net,port', 'bitmap:port']);
const IPT_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);

export function readNetfilter(b: Bundle, ns: NsCapture, node: ImportNode, ctx: ImportContext): void {
  const w = (s: Section | undefined, section: string, message: string, line?: number) =>
    ctx.warn({ file: b.file, line: line ?? s?.line ?? ns.line, ns: nsLabel(ns), section, message });
  const ipt = ns.sections.get('iptables');
  const legacy = ns.sections.get('iptables-legacy');
  const iptText = ipt && !ipt.missing ? completeTables(b, ns, ipt, ctx) : null;
  const legacyText = legacy ? completeTables(b, ns, legacy, ctx) : null;
  if (ipt?.missing) w(ipt, 'iptables', 'iptables-save was not installed on the host: no iptables rules imported');
  if (b.iptablesVersion.includes('legacy')) node.backend = 'legacy';
  if (hasRules(iptText)) node.iptables = { text: iptText!, line: lineOf(ipt!, 0) };
  if (hasRules(legacyText)) {
    if (node.iptables === null) {
      node.iptables = { text: legacyText!, line: lineOf(legacy!, 0) };
      node.backend = 'legacy';
    } else {
      w(
        legacy,
        'iptables-legacy',
        'the host holds iptables-legacy rules beside its iptables-nft rules; nflab keeps one rule set per node, so the legacy rules are kept in a file beside the topology but not imported',
      );
      node.notes.push('iptables-legacy rules were present too: see the .legacy.rules file beside this topology');
      ctx.approximated.push(`${node.name}: iptables-legacy rules (beside iptables-nft ones) not imported`);
      node.legacyRules = legacyText;
    }
  }
  if (node.iptables) {
    for (const m of node.iptables.text.matchAll(/--(uid|gid)-owner (\d+)(?:-(\d+))?/g)) {
      (m[1] === 'uid' ? node.uids : node.gids).add(Number(m[2]));
    }
  }
  readNft(ns, node, new Set(iptText ? [...iptText.matchAll(/^\*(\w+)/gm)].map((m) => m[1]) : []));
  readIpsets(b, ns, node, ctx);
}

function hasRules(t: string | null): boolean {
  return t !== null && /^\*\w+/m.test(t);
}

/**
 * The text up to the last complete `*table ... COMMIT` block: a truncated
 * bundle ends mid-table, and half a table would load as something the host
 * never had.
 */
function completeTables(b: Bundle, ns: NsCapture, s: Section, ctx: ImportContext): string | null {
  const lines = s.lines;
  let lastCommit = -1;
  let open = -1;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('*')) open = i;
    else if (lines[i].trim() === 'COMMIT') {
      lastCommit = i;
      open = -1;
    }
  }
  if (open >= 0) {
    ctx.warn({
      file: b.file,
      line: lineOf(s, open),
      ns: nsLabel(ns),
      section: s.name,
      message: `table ${lines[open]} has no COMMIT (the bundle is cut off): this table is not imported`,
    });
    ctx.approximated.push(`${nsLabel(ns)}: truncated iptables table ${lines[open]} left out`);
  }
  if (lastCommit < 0) return null;
  return lines.slice(0, lastCommit + 1).join('\n') + '\n';
}

/**
 * Splits `nft list ruleset` into its tables and keeps those iptables-nft did
 * not make (nft marks those with a warning on stderr; without it, an ip table
 * named like an iptables table that iptables-save also printed counts as one).
 */
function readNft(ns: NsCapture, node: ImportNode, iptTables: Set<string>): void {
  const s = ns.sections.get('nft');
  if (!s || s.missing) return;
  const managed = new Set<string>();
  for (const e of s.stderr) {
    const m = /table (\w+) (\S+) is managed by iptables-nft/.exec(e);
    if (m) managed.add(`${m[1]} ${m[2]}`);
  }
  const native: string[] = [];
  let cur: string[] | null = null;
  let depth = 0;
  let curKey = '';
  for (const line of s.lines) {
    if (cur === null) {
      const m = /^table (\w+) (\S+) \{/.exec(line);
      if (!m) continue;
      curKey = `${m[1]} ${m[2]}`;
      cur = [];
      depth = 0;
    }
    cur.push(line);
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
    if (depth <= 0) {
      const [family, name] = curKey.split(' ');
      const byIptables =
        managed.has(curKey) || ((family === 'ip' || family === 'ip6') && IPT_TABLES.has(name) && (family === 'ip6' || iptTables.has(name)));
      if (!byIptables) native.push(cur.join('\n'));
      cur = null;
    }
  }
  if (native.length === 0) return;
  node.nftNative = native.join('\n') + '\n';
}

function readIpsets(b: Bundle, ns: NsCapture, node: ImportNode, ctx: ImportContext): void {
  const s = ns.sections.get('ipset');
  if (!s || s.missing) return;
  const sets = new Map<string, { type: string; members: string[] } | null>();
  s.lines.forEach((l, k) => {
    const w = l.trim().split(/\s+/);
    if (w[0] === 'create' && w.length >= 3) {
      const inet6 = w.includes('inet6');
      if (!IPSET_TYPES.has(w[2]) || inet6) {
        ctx.warn({
          file: b.file,
          line: lineOf(s, k),
          ns: nsLabel(ns),
          section: 'ipset',
          message: `ipset ${w[1]} is ${inet6 ? 'an IPv6 set' : `of type ${w[2]}`}, which nflab does not model; not imported (rules that use it are dropped)`,
        });
        ctx.approximated.push(`${node.name}: ipset ${w[1]} (${w[2]}) left out`);
        sets.set(w[1], null);
      } else sets.set(w[1], { type: w[2], members: [] });
    } else if (w[0] === 'add' && w.length >= 3) {
      const set = sets.get(w[1]);
      if (set === undefined)
        ctx.warn({
          file: b.file,
          line: lineOf(s, k),
          ns: nsLabel(ns),
          section: 'ipset',
          message: `add to ipset ${w[1]}, which was never created`,
        });
      else if (set !== null) {
        if (w.includes('nomatch'))
          ctx.warn({
            file: b.file,
            line: lineOf(s, k),
            ns: nsLabel(ns),
            section: 'ipset',
            message: `member ${w[2]} of ${w[1]} is nomatch, which nflab does not model; imported as a member`,
          });
        set.members.push(w[2]);
      }
    } else if (l.trim() !== '')
      ctx.warn({
        file: b.file,
        line: lineOf(s, k),
        ns: nsLabel(ns),
        section: 'ipset',
        message: `unexpected line ${JSON.stringify(l)}, ignored`,
      });
  });
  for (const [name, set] of sets) if (set) node.ipsets.push({ name, ...set });
}
