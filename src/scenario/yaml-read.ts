/**
 * Scenario files are read with the topology loader's positioned YAML readers
 * (src/topology/yaml-src.ts); this adds the document parse and a keyed view of
 * a mapping, which the step readers want.
 */
import { LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { entries, readInt as readIntIn, YamlSrc } from '../topology/yaml-src.js';
import { expandAliases } from '../topology/yaml-alias.js';

export { oneOrMany, readString, scalar as scalarValue, scalarText, items as seqItems } from '../topology/yaml-src.js';
export type { YamlSrc as YamlSource };

export function parseYaml(text: string, file: string): { doc: Document; src: YamlSrc } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: true });
  const src = new YamlSrc(file, lines);
  for (const e of doc.errors) {
    const p = lines.linePos(e.pos[0]);
    src.diags.push({ file, line: p.line, col: p.col, message: e.message.split('\n')[0] });
  }
  if (!doc.errors.length) expandAliases(doc, text, (n, m) => src.error(n, m));
  return { doc, src };
}

export type Entries = Map<string, { key: YamlNode; value: YamlNode | null }>;

/** The entries of a mapping by key, unknown keys reported (with a "did you mean"). */
export function mapEntries(
  src: YamlSrc,
  node: YamlNode | null,
  what: string,
  allowed: readonly string[] | null,
  extensions = false,
): Entries | null {
  const list = entries(src, node, what, allowed, false, extensions);
  return list && new Map(list.map((e) => [e.key, { key: e.keyNode, value: e.value }]));
}

/** An integer option; without a maximum, any non-negative safe integer. */
export function readInt(src: YamlSrc, node: YamlNode | null, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | null {
  return readIntIn(src, node, what, min, max);
}
