/**
 * Reading YAML with positions: every value is read through a Reader that knows
 * the file, line and column it came from, and every problem becomes a
 * Diagnostic there. Readers never throw for bad input.
 */
import { isMap, isScalar, isSeq, LineCounter, type Node as YamlNode, parseDocument, type Document, type Pair, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { type Diagnostic, didYouMean, type SourcePos } from '../core/diagnostic.js';

export class YamlSource {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly file: string,
    readonly lines: LineCounter,
  ) {}

  pos(node: YamlNode | null | undefined): SourcePos {
    const offset = node?.range?.[0] ?? 0;
    const p = this.lines.linePos(offset);
    return { file: this.file, line: p.line, col: p.col };
  }

  error(node: YamlNode | null | undefined, message: string): void {
    this.diagnostics.push({ ...this.pos(node), message });
  }
}

export function parseYaml(text: string, file: string): { doc: Document; src: YamlSource } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const src = new YamlSource(file, lines);
  for (const e of doc.errors) {
    const p = lines.linePos(e.pos[0]);
    src.diagnostics.push({ file, line: p.line, col: p.col, message: e.message.split('\n')[0] });
  }
  return { doc, src };
}

export type Entries = Map<string, { key: YamlNode; value: YamlNode | null }>;

/** The entries of a mapping, checking keys against `allowed` (unknown keys get a "did you mean"). */
export function mapEntries(src: YamlSource, node: YamlNode | null, what: string, allowed: readonly string[] | null): Entries | null {
  if (!isMap(node)) {
    src.error(node, `${what} must be a mapping`);
    return null;
  }
  const out: Entries = new Map();
  for (const pair of (node as YAMLMap).items as Pair<YamlNode, YamlNode | null>[]) {
    const k = pair.key;
    const key = isScalar(k) ? String((k as Scalar).value) : '';
    if (allowed && !allowed.includes(key)) {
      src.error(k, `unknown key "${key}" in ${what}${didYouMean(key, allowed)}; expected one of: ${allowed.join(', ')}`);
      continue;
    }
    out.set(key, { key: k, value: pair.value ?? null });
  }
  return out;
}

export function scalarValue(node: YamlNode | null): unknown {
  return isScalar(node) ? (node as Scalar).value : undefined;
}

export function readString(src: YamlSource, node: YamlNode | null, what: string): string | null {
  const v = scalarValue(node);
  if (typeof v === 'string' && v.length > 0) return v;
  if (typeof v === 'number') return String(v);
  src.error(node, `${what} must be a string`);
  return null;
}

export function readInt(src: YamlSource, node: YamlNode | null, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | null {
  const v = scalarValue(node);
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max) return n;
  src.error(node, `${what} must be an integer from ${min} to ${max}`);
  return null;
}

export function seqItems(src: YamlSource, node: YamlNode | null, what: string): YamlNode[] | null {
  if (!isSeq(node)) {
    src.error(node, `${what} must be a list`);
    return null;
  }
  return (node as YAMLSeq<YamlNode>).items;
}

/** One item or a list of items. */
export function oneOrMany(node: YamlNode | null): YamlNode[] {
  if (isSeq(node)) return (node as YAMLSeq<YamlNode>).items;
  return node ? [node] : [];
}
