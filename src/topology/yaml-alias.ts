/**
 * YAML anchors, aliases and merge keys (`&node`, `*node`, `<<: *base`) for
 * the positioned readers. Before anything is read, every alias is replaced by
 * a copy of what it names and every merge key by the pairs it brings in, so
 * the readers see plain mappings. Each copied node remembers the alias that
 * brought it, so that a mistake found in it is reported where the alias is
 * used (what the user wrote for this host) and names the anchor's line too.
 */
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';
import type { SourcePos } from '../core/diagnostic.js';

export interface AliasContext {
  /** The alias (or merge key's alias) in the file, where the copy stands. */
  use: YamlNode;
  anchor: string;
  /** Where `&anchor` is written. */
  anchorOffset: number;
}

const through = new WeakMap<object, AliasContext>();

/** The alias a node was copied through, if it was. */
export function aliasContext(node: YamlNode | null | undefined): AliasContext | undefined {
  return node ? through.get(node) : undefined;
}

/** A file of a few kilobytes whose aliases nest into millions of nodes is refused rather than expanded. */
const MAX_NODES = 2_000_000;

interface Ctx {
  doc: Document;
  text: string;
  error: (node: YamlNode, message: string) => void;
  nodes: number;
  /** Anchors being expanded, to refuse an alias inside its own anchor. */
  open: Set<YamlNode>;
  failed: boolean;
}

/** Replaces aliases and merge keys in place; problems (a cycle, a merge of a non-mapping) go to `error`. */
export function expandAliases(doc: Document, text: string, error: (node: YamlNode, message: string) => void): void {
  if (!doc.contents) return;
  const ctx: Ctx = { doc, text, error, nodes: 0, open: new Set(), failed: false };
  doc.contents = expand(ctx, doc.contents, null);
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (typeof key.value === 'symbol' || (key.value === '<<' && key.source === '<<'));
}

function expand(ctx: Ctx, node: YamlNode, via: AliasContext | null): YamlNode {
  if (ctx.failed) return node;
  if (++ctx.nodes > MAX_NODES) {
    ctx.failed = true;
    ctx.error(
      via?.use ?? node,
      `aliases here expand to more than ${MAX_NODES} YAML nodes; write the repeated part out or nest fewer aliases`,
    );
    return node;
  }
  if (isAlias(node)) {
    const target = node.resolve(ctx.doc) as YamlNode | undefined;
    if (!target) {
      ctx.error(node, `unknown alias *${node.source}: no anchor &${node.source} before it`);
      return node;
    }
    if (ctx.open.has(target)) {
      ctx.error(node, `alias *${node.source} is inside its own anchor &${node.source}`);
      return node;
    }
    ctx.open.add(target);
    const start = target.range?.[0] ?? 0;
    const anchorOffset = Math.max(0, ctx.text.lastIndexOf(`&${node.source}`, start));
    const copy = expand(ctx, target.clone() as YamlNode, via ?? { use: node, anchor: node.source, anchorOffset });
    ctx.open.delete(target);
    return copy;
  }
  if (via) through.set(node, via);
  if (isMap(node)) expandMap(ctx, node as YAMLMap<YamlNode, YamlNode | null>, via);
  else if (isSeq(node)) node.items = node.items.map((i) => (i && typeof i === 'object' ? expand(ctx, i as YamlNode, via) : i));
  return node;
}

function keyText(key: unknown): string | null {
  return isScalar(key) ? String(key.value) : null;
}

/**
 * Explicit keys win over merged ones, and an earlier merged mapping over a
 * later one (YAML's merge-key rule). Merged pairs take the place of their `<<`.
 */
function expandMap(ctx: Ctx, map: YAMLMap<YamlNode, YamlNode | null>, via: AliasContext | null): void {
  const explicit = new Set<string>();
  for (const p of map.items) if (!isMergeKey(p.key)) explicit.add(keyText(p.key) ?? '');
  const merged = new Set<string>();
  const out: Pair<YamlNode, YamlNode | null>[] = [];
  for (const p of map.items) {
    if (!isMergeKey(p.key)) {
      if (p.key && typeof p.key === 'object') p.key = expand(ctx, p.key, via);
      if (p.value && typeof p.value === 'object') p.value = expand(ctx, p.value, via);
      out.push(p);
      continue;
    }
    if (via) through.set(p.key, via);
    const sources = isSeq(p.value) ? (p.value.items as YamlNode[]) : p.value ? [p.value] : [];
    for (const s of sources) {
      const m = expand(ctx, s, via);
      if (!isMap(m)) {
        ctx.error(s ?? p.key, '`<<` merges mappings: give it an alias of a mapping (`<<: *base`) or a list of them');
        continue;
      }
      for (const q of (m as YAMLMap<YamlNode, YamlNode | null>).items) {
        if (!isPair(q)) continue;
        const k = keyText(q.key) ?? '';
        if (explicit.has(k) || merged.has(k)) continue;
        merged.add(k);
        out.push(q);
      }
    }
  }
  map.items = out;
}

/** Where a node really is in the file (inside the anchor for a copy), for text that must keep its own lines. */
export function rawPos(
  lines: { linePos(offset: number): { line: number; col: number } },
  file: string,
  node: YamlNode | null | undefined,
): SourcePos {
  const p = lines.linePos(node?.range?.[0] ?? 0);
  return { file, line: p.line, col: p.col };
}
