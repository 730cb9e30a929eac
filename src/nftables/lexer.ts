/**
 * Tokens of `nft -f` input. Words are maximal runs of the characters nft allows
 * in names, addresses, ranges and rates (`endpoint-X-ns0/svc0/tcp/p80__10.1.0.2/80`,
 * `10.0.0.1-10.0.0.9`, `5/second`, `:15006`); a lone `.`, `:`, `-` is an operator.
 */
/** `junk`: a character nft's scanner has no token for (an unterminated `"` among them); the parser refuses it where it meets it. */
export type TokKind = 'word' | 'str' | 'op' | 'nl' | 'eof' | 'junk';

export interface Tok {
  kind: TokKind;
  v: string;
  line: number;
  col: number;
  /** One past the last column, for nft's `col-colEnd` error ranges. */
  end: number;
  /** On the end of a rule inside a chain block: there nft's grammar ends a rule with a newline or `;` only. */
  inBlock?: boolean;
}

/** A related place on the error's line, which nft underlines with `~` beside the error's `^`. */
export interface Related {
  col: number;
  end: number;
}

export class NftSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
    readonly end: number,
    readonly related?: Related,
  ) {
    super(message);
  }
}

/** Characters of a word, by char code: a table, since the lexer reads every byte of a 10,000-Service file. */
const WORD = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-:*%') WORD[c.charCodeAt(0)] = 1;
const isWord = (code: number): boolean => code < 128 && WORD[code] === 1;
const TWO = new Set(['!=', '==', '<=', '>=']);
const ONE = new Set(['{', '}', ';', ',', '=', '(', ')', '@', '$', '<', '>', '&', '|', '^', '!', '+', '.', ':', '-']);

export function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '\\' && text[i + 1] === '\n') {
      i += 2;
      line++;
      lineStart = i;
      continue;
    }
    if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    const col = i - lineStart + 1;
    if (c === '\n') {
      out.push({ kind: 'nl', v: '\n', line, col, end: col + 1 });
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"' && text[j] !== '\n') j++;
      if (text[j] !== '"') {
        out.push({ kind: 'junk', v: c, line, col, end: col + 1 });
        i++;
        continue;
      }
      out.push({ kind: 'str', v: text.slice(i + 1, j), line, col, end: j - lineStart + 2 });
      i = j + 1;
      continue;
    }
    const two = text[i + 1] === '=' ? text.slice(i, i + 2) : '';
    if (two !== '' && TWO.has(two)) {
      out.push({ kind: 'op', v: two, line, col, end: col + 2 });
      i += 2;
      continue;
    }
    if (isWord(text.charCodeAt(i))) {
      let j = i;
      while (j < n && isWord(text.charCodeAt(j))) j++;
      const w = text.slice(i, j);
      if (w === '.' || w === ':' || w === '-') out.push({ kind: 'op', v: w, line, col, end: col + 1 });
      else out.push({ kind: 'word', v: w, line, col, end: col + w.length });
      i = j;
      continue;
    }
    if (ONE.has(c)) {
      out.push({ kind: 'op', v: c, line, col, end: col + 1 });
      i++;
      continue;
    }
    out.push({ kind: 'junk', v: c, line, col, end: col + 1 });
    i++;
  }
  out.push({ kind: 'eof', v: '', line, col: i - lineStart + 1, end: i - lineStart + 2 });
  return out;
}
