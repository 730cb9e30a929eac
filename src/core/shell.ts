/**
 * Shell quoting for generated scripts. Everything user-written that reaches the
 * script goes through `shq`, so a name or rule text can never become shell syntax.
 */

/** Single-quotes a word for bash; plain words stay readable. */
export function shq(word: string): string {
  if (word.length > 0 && /^[A-Za-z0-9_./:=,@%+-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export type SplitResult = { ok: true; words: string[] } | { ok: false; message: string; col: number };

const META = new Set([';', '|', '&', '<', '>', '`', '$', '(', ')', '\n', '\r']);

/**
 * Splits a command line the way a POSIX shell splits words (quotes, backslashes),
 * refusing unquoted shell operators: an `iptables_cmds` line is an iptables command,
 * not a pipeline, and must mean the same thing in nflab and in the exported script.
 */
export function splitShellWords(line: string): SplitResult {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { ok: false, message: 'unterminated single quote', col: i + 1 };
      cur += line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= line.length) return { ok: false, message: 'unterminated double quote', col: i + 1 };
        const d = line[j];
        if (d === '"') break;
        if (d === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1])) {
          cur += line[j + 1];
          j += 2;
          continue;
        }
        if (d === '$' || d === '`') return { ok: false, message: `shell expansion "${d}" is not allowed`, col: j + 1 };
        cur += d;
        j++;
      }
      i = j + 1;
    } else if (c === '\\') {
      if (i + 1 >= line.length) return { ok: false, message: 'trailing backslash', col: i + 1 };
      cur += line[i + 1];
      i += 2;
    } else if (META.has(c)) {
      return { ok: false, message: `shell operator "${c}" is not allowed in an iptables command`, col: i + 1 };
    } else {
      cur += c;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return { ok: true, words };
}
