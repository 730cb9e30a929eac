/**
 * Reading YAML nodes with their positions. Every reader reports a problem as a
 * Diagnostic at the node it concerns and returns null; nothing here throws for
 * bad input, so one pass collects every mistake in a file.
 */
import { isMap, isScalar, isSeq, type LineCounter, type Node as YamlNode, type Pair, type YAMLSeq } from 'yaml';
import { type Diagnostic, didYouMean, type SourcePos } from '../core/diagnostic.js';
import { aliasContext, rawPos } from './yaml-alias.js';

export type { YamlNode };

export class YamlSrc {
  readonly diags: Diagnostic[] = [];

  constructor(
    readonly file: string,
    readonly lines: LineCounter,
  ) {}

  /** Where a node is; for a node copied through an alias, where the alias is used. */
  pos(node: YamlNode | null | undefined, offset = 0): SourcePos {
    const via = aliasContext(node);
    if (via) return rawPos(this.lines, this.file, via.use);
    const p = this.lines.linePos((node?.range?.[0] ?? 0) + offset);
    return { file: this.file, line: p.line, col: p.col };
  }

  /** Where a node's own text is, inside the anchor for a copy. */
  rawPos(node: YamlNode | null | undefined): SourcePos {
    return rawPos(this.lines, this.file, node);
  }

  error(node: YamlNode | null | undefined, message: string, offset = 0): void {
    const via = aliasContext(node);
    if (!via) {
      this.diags.push({ ...this.pos(node, offset), message });
      return;
    }
    const at = rawPos(this.lines, this.file, node);
    const anchor = this.lines.linePos(via.anchorOffset).line;
    const where = anchor === at.line ? `line ${at.line}` : `line ${anchor}; the value is at line ${at.line}:${at.col}`;
    this.diags.push({ ...this.pos(node), message: `${message} (through *${via.anchor}: the anchor &${via.anchor} is at ${where})` });
  }

  errorAt(pos: SourcePos, message: string): void {
    this.diags.push({ ...pos, message });
  }
}

export interface Entry {
  key: string;
  keyNode: YamlNode;
  value: YamlNode | null;
}

/** What a value looks like, for "expected X, got Y" messages. */
export function describe(node: YamlNode | null): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'nothing';
    if (typeof v === 'string') return `"${v}"`;
    return scalarText(node);
  }
  return 'nothing';
}

/**
 * The pairs of a mapping in order. With `allowed`, unknown keys are reported
 * (with a suggestion) and left out. A null node reads as an empty mapping when
 * `nullIsEmpty`, since `client:` with nothing under it is a natural way to write
 * an empty host.
 */
export function entries(
  src: YamlSrc,
  node: YamlNode | null,
  what: string,
  allowed: readonly string[] | null,
  nullIsEmpty = false,
  /** Keys starting with `x-` are left out silently (a place for anchors, as in Compose files). */
  extensions = false,
): Entry[] | null {
  if (nullIsEmpty && (node === null || (isScalar(node) && node.value === null))) return [];
  if (!isMap(node)) {
    src.error(node, `${what} must be a mapping, not ${describe(node)}`);
    return null;
  }
  const out: Entry[] = [];
  for (const pair of node.items as Pair<YamlNode, YamlNode | null>[]) {
    const k = pair.key;
    const kv = isScalar(k) ? k.value : undefined;
    if (typeof kv !== 'string' && typeof kv !== 'number') {
      src.error(k, `${what}: a key must be a plain name`);
      continue;
    }
    const key = String(kv);
    if (extensions && key.startsWith('x-')) continue;
    if (allowed && !allowed.includes(key)) {
      src.error(k, `unknown key "${key}" in ${what}${didYouMean(key, allowed)}; expected one of: ${allowed.join(', ')}`);
      continue;
    }
    out.push({ key, keyNode: k, value: pair.value ?? null });
  }
  return out;
}

export function scalar(node: YamlNode | null): unknown {
  return isScalar(node) ? node.value : undefined;
}

/** A scalar's value as text (`80` gives "80", `true` gives "true"); '' for null or for a node that is not a scalar. */
export function scalarText(node: YamlNode | null): string {
  const v = scalar(node);
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the YAML core schema makes scalars of strings, numbers, booleans and null only
  return String(v ?? '');
}

export function readString(src: YamlSrc, node: YamlNode | null, what: string): string | null {
  const v = scalar(node);
  if (typeof v === 'string' && v.length > 0) return v;
  if (typeof v === 'number') return String(v);
  src.error(node, `${what} must be a string, not ${describe(node)}`);
  return null;
}

export function readInt(src: YamlSrc, node: YamlNode | null, what: string, min: number, max: number): number | null {
  const v = scalar(node);
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max) return n;
  src.error(node, `${what} must be an integer from ${min} to ${max}, not ${describe(node)}`);
  return null;
}

export function items(src: YamlSrc, node: YamlNode | null, what: string): YamlNode[] | null {
  if (!isSeq(node)) {
    src.error(node, `${what} must be a list, not ${describe(node)}`);
    return null;
  }
  return (node as YAMLSeq<YamlNode>).items;
}

/** One value or a list of them. */
export function oneOrMany(node: YamlNode | null): YamlNode[] {
  if (isSeq(node)) return (node as YAMLSeq<YamlNode>).items;
  return node ? [node] : [];
}

/**
 * Offset of character `i` of a one-line scalar's value from the node start, so a
 * diagnostic can point at a word inside a route line. Quoted scalars have the
 * quote before the text; escapes would shift it, which is rare enough in route
 * lines to accept a column off by a little.
 */
export function charOffset(node: YamlNode | null, i: number): number {
  if (!isScalar(node)) return 0;
  const t = node.type;
  if (t === 'PLAIN') return i;
  if (t === 'QUOTE_DOUBLE' || t === 'QUOTE_SINGLE') return i + 1;
  return 0;
}
