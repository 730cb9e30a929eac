/**
 * `iptables:` as inline restore text or `{ file: PATH, counters }`, and `iptables_cmds:`.
 * Like iptables-restore without -c, counters in the text are ignored unless `counters: true`.
 * The rules are not parsed here (the iptables layer does that); what matters is
 * keeping where each rules line sits, so its diagnostics can name the YAML line.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, type Scalar } from 'yaml';
import type { SourcePos } from '../core/diagnostic.js';
import type { NodeSpec } from './model.js';
import { describe, entries, items, readString, scalar, type YamlNode, type YamlSrc } from './yaml-src.js';

/** What the two rules keys are called and hold, for their messages. */
const KEYS = {
  iptables: { text: 'iptables-restore text', file: 'an iptables-save file' },
  nftables: { text: 'nft -f text', file: 'an nft -f file' },
};

export function readIptables(
  src: YamlSrc,
  node: YamlNode | null,
  baseDir: string,
  nodeName: string,
  key: keyof typeof KEYS = 'iptables',
): NodeSpec['iptables'] {
  const k = KEYS[key];
  if (isMap(node)) {
    const es = entries(src, node, `${key} of ${nodeName}`, key === 'iptables' ? ['file', 'counters'] : ['file']);
    const f = es?.find((e) => e.key === 'file');
    if (!es) return null;
    const c = es.find((e) => e.key === 'counters');
    const counters = c ? scalar(c.value) : false;
    if (typeof counters !== 'boolean') src.error(c!.value, `\`counters\` is true or false, not ${describe(c!.value)}`);
    if (!f) {
      src.error(node, `${key} as a mapping takes \`file: PATH\` (${k.file}, relative to the topology file)`);
      return null;
    }
    const rel = readString(src, f.value, '`file`');
    if (rel === null) return null;
    const path = isAbsolute(rel) ? rel : resolve(baseDir, rel);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT'
          ? 'no such file'
          : code === 'EISDIR'
            ? 'it is a directory'
            : code === 'EACCES'
              ? 'permission denied'
              : (code ?? 'unreadable');
      src.error(f.value, `cannot read ${key} file "${rel}" (${path}): ${why}`);
      return null;
    }
    return { text, pos: { file: path, line: 1, col: 1 }, file: path, lineOffset: 0, colOffset: 0, counters: counters === true };
  }
  if (!isScalar(node) || typeof node.value !== 'string') {
    src.error(node, `${key} must be ${k.text} (\`${key}: |\`) or { file: PATH }, not ${describe(node)}`);
    return null;
  }
  const s = node as Scalar<string>;
  if (s.type === 'BLOCK_FOLDED' || s.type === 'PLAIN') {
    src.error(node, `${key} text must be a literal block (\`${key}: |\`): folding would join the rule lines`);
    return null;
  }
  return { text: s.value, ...textStart(src, s), file: src.file };
}

/**
 * Where line 1 of the text is. A literal block starts on the line after its
 * `|` header (later if the text begins with empty lines), indented by the
 * width the parser found; the indentation is recovered from line lengths since
 * the source text itself is not at hand when the topology is embedded.
 */
function textStart(src: YamlSrc, s: Scalar<string>): { pos: SourcePos; lineOffset: number; colOffset: number } {
  // The text keeps its own lines, also when it was copied through an alias: its rule errors point into the anchor.
  const start = src.rawPos(s);
  if (s.type !== 'BLOCK_LITERAL') return { pos: start, lineOffset: start.line - 1, colOffset: start.col };
  const firstLine = start.line + 1;
  let blank = 0;
  while (blank < s.value.length && s.value[blank] === '\n') blank++;
  const starts = src.lines.lineStarts;
  const at = firstLine + blank;
  const nl = s.value.indexOf('\n', blank);
  const content = (nl < 0 ? s.value.slice(blank) : s.value.slice(blank, nl)).length;
  const lineStart = starts[at - 1];
  const lineEnd = at < starts.length ? starts[at] - 1 : (s.range?.[1] ?? lineStart);
  const indent = lineStart === undefined ? 0 : Math.max(0, lineEnd - lineStart - content);
  const lineOffset = firstLine - 1;
  return { pos: { file: src.file, line: firstLine, col: indent + 1 }, lineOffset, colOffset: indent };
}

export function readIptablesCmds(src: YamlSrc, node: YamlNode | null, nodeName: string): NodeSpec['iptablesCmds'] {
  const out: NodeSpec['iptablesCmds'] = [];
  for (const n of items(src, node, `iptables_cmds of ${nodeName}`) ?? []) {
    const t = readString(src, n, 'an iptables_cmds entry');
    if (t !== null) out.push({ text: t, pos: src.pos(n) });
  }
  return out;
}

/**
 * The file column of a problem on line `fileLine` of a node's rule text: at the
 * word the message quotes when the line holds it (`Couldn't load target
 * \`NOSUCH'`), else at the line's first character, past a block's indentation.
 */
export function ruleColumn(ipt: NonNullable<NodeSpec['iptables']>, fileLine: number, message: string): number {
  const line = ipt.text.split('\n')[fileLine - ipt.lineOffset - 1];
  const indent = ipt.colOffset ?? 0;
  if (line === undefined) return indent + 1;
  for (const m of message.matchAll(/[`'"]([^`'"\s]+)['"]/g)) {
    const at = line.search(new RegExp(`(?<=^|[\\s=,:!])${m[1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=$|[\\s,:])`));
    if (at >= 0) return indent + at + 1;
  }
  return indent + (line.length - line.trimStart().length) + 1;
}
