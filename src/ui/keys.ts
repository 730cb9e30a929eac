/**
 * Terminal input to key presses. A read from the terminal can hold many keys
 * (fast typing, a paste, a key repeat under load): ink hands such a chunk over
 * as one string, so it is split here into every key it holds, in order, and
 * the UI handles each. Escape sequences (arrows, Home, End, PgUp, Delete,
 * Shift-Tab) are decoded as xterm, tmux and the Linux console send them.
 */
import type { Key } from 'ink';

export type KeyInfo = Pick<
  Key,
  | 'upArrow'
  | 'downArrow'
  | 'leftArrow'
  | 'rightArrow'
  | 'pageUp'
  | 'pageDown'
  | 'home'
  | 'end'
  | 'return'
  | 'escape'
  | 'tab'
  | 'shift'
  | 'ctrl'
  | 'meta'
  | 'backspace'
  | 'delete'
>;

export interface KeyPress {
  /** The character typed (a letter for Ctrl-letter and Alt-letter), '' for named keys. */
  input: string;
  key: KeyInfo;
}

const NONE: KeyInfo = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageUp: false,
  pageDown: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  tab: false,
  shift: false,
  ctrl: false,
  meta: false,
  backspace: false,
  delete: false,
};

const press = (input: string, k: Partial<KeyInfo> = {}): KeyPress => ({ input, key: { ...NONE, ...k } });

/** CSI and SS3 final bytes that name a key by themselves. */
const FINAL: Record<string, Partial<KeyInfo>> = {
  A: { upArrow: true },
  B: { downArrow: true },
  C: { rightArrow: true },
  D: { leftArrow: true },
  H: { home: true },
  F: { end: true },
  Z: { tab: true, shift: true },
};

/** `ESC [ N ~` keys. */
const TILDE: Record<string, Partial<KeyInfo>> = {
  '1': { home: true },
  '7': { home: true },
  '4': { end: true },
  '8': { end: true },
  '3': { delete: true },
  '5': { pageUp: true },
  '6': { pageDown: true },
};

/** Modifier parameter of `ESC [ 1 ; M X` (xterm): 2 shift, 3 alt, 5 ctrl, and sums. */
function modifiers(param: string | undefined): Partial<KeyInfo> {
  const m = Number(param) - 1;
  if (!(m > 0)) return {};
  return { shift: (m & 1) !== 0, meta: (m & 2) !== 0, ctrl: (m & 4) !== 0 };
}

/** Decodes one escape sequence starting at `i` (s[i] is ESC); returns the key (or null for one to ignore) and where the next key starts. */
function escapeAt(s: string, i: number): { key: KeyPress | null; next: number } {
  const c = s[i + 1];
  if (c === undefined) return { key: press('', { escape: true, meta: true }), next: i + 1 };
  if (c === '[' || c === 'O') {
    let j = i + 2;
    // Linux console F-keys: ESC [ [ A.
    if (c === '[' && s[j] === '[') j++;
    while (j < s.length && s.charCodeAt(j) >= 0x20 && s.charCodeAt(j) <= 0x3f) j++;
    const final = s[j];
    if (final === undefined) return { key: null, next: s.length };
    const params = s.slice(i + 2, j).split(';');
    const named = final === '~' ? TILDE[params[0]] : FINAL[final];
    // Bracketed-paste markers (200~, 201~), focus reports and unknown keys are not keys to act on.
    return { key: named ? press('', { ...named, ...modifiers(params[1]) }) : null, next: j + 1 };
  }
  if (c === '\x1b') return { key: press('', { escape: true, meta: true }), next: i + 1 };
  // Alt-letter (and Alt-Backspace) arrives as ESC then the key.
  const rest = decodePlain(s, i + 1);
  rest.key.key.meta = true;
  return { key: rest.key, next: rest.next };
}

/** One key that is not an escape sequence, at `i`. */
function decodePlain(s: string, i: number): { key: KeyPress; next: number } {
  const code = s.codePointAt(i)!;
  const ch = String.fromCodePoint(code);
  const next = i + ch.length;
  if (ch === '\r') return { key: press('', { return: true }), next: s[next] === '\n' ? next + 1 : next };
  if (ch === '\n') return { key: press('', { return: true }), next };
  if (ch === '\t') return { key: press('', { tab: true }), next };
  if (ch === '\x7f' || ch === '\b') return { key: press('', { backspace: true }), next };
  if (code < 0x20) return { key: press(String.fromCharCode(code + 0x60), { ctrl: true }), next };
  return { key: press(ch, { shift: ch >= 'A' && ch <= 'Z' }), next };
}

/** Every key in a chunk of terminal input, in order. */
export function decodeKeys(chunk: string): KeyPress[] {
  const out: KeyPress[] = [];
  let i = 0;
  while (i < chunk.length) {
    if (chunk[i] === '\x1b') {
      const e = escapeAt(chunk, i);
      if (e.key) out.push(e.key);
      i = e.next;
    } else {
      const p = decodePlain(chunk, i);
      out.push(p.key);
      i = p.next;
    }
  }
  return out;
}
