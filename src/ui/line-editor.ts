/**
 * The command line's text and cursor, edited with readline's keys so shell
 * habits work: Left/Right (Ctrl-B/F), Home/End (Ctrl-A/E), Alt-B/F and
 * Ctrl-Left/Right by word, Backspace, Delete (Ctrl-D), Ctrl-W and
 * Alt-Backspace (the word before), Alt-D (the word after), Ctrl-U (to the
 * start), Ctrl-K (to the end), Ctrl-Y (yank what was killed last).
 */
import type { KeyInfo } from './keys.js';

export class LineEditor {
  value = '';
  cursor = 0;
  private killed = '';

  set(text: string): void {
    this.value = text;
    this.cursor = text.length;
  }

  /** Inserts typed or pasted text at the cursor; control characters are dropped. */
  insert(text: string): void {
    let clean = '';
    for (const ch of text) if (ch >= ' ' && ch !== '\x7f') clean += ch;
    this.value = this.value.slice(0, this.cursor) + clean + this.value.slice(this.cursor);
    this.cursor += clean.length;
  }

  /** Start of the word before the cursor (Ctrl-W: words are separated by blanks). */
  private wordStart(): number {
    let i = this.cursor;
    while (i > 0 && this.value[i - 1] === ' ') i--;
    while (i > 0 && this.value[i - 1] !== ' ') i--;
    return i;
  }

  /** End of the word after the cursor. */
  private wordEnd(): number {
    let i = this.cursor;
    while (i < this.value.length && this.value[i] === ' ') i++;
    while (i < this.value.length && this.value[i] !== ' ') i++;
    return i;
  }

  /** Removes [from, to); kills (not single characters) are kept for Ctrl-Y, as readline does. */
  private kill(from: number, to: number, keep = true): void {
    if (to <= from) return;
    if (keep) this.killed = this.value.slice(from, to);
    this.value = this.value.slice(0, from) + this.value.slice(to);
    this.cursor = from;
  }

  /** Applies an editing key; false when the key is not one (Enter, Tab, Up, Esc are the caller's). */
  edit(input: string, k: KeyInfo): boolean {
    const ctrl = (c: string) => k.ctrl && input === c;
    const meta = (c: string) => k.meta && !k.ctrl && input === c;
    if ((k.leftArrow && (k.ctrl || k.meta)) || meta('b')) this.cursor = this.wordStart();
    else if ((k.rightArrow && (k.ctrl || k.meta)) || meta('f')) this.cursor = this.wordEnd();
    else if (k.leftArrow || ctrl('b')) this.cursor = Math.max(0, this.cursor - 1);
    else if (k.rightArrow || ctrl('f')) this.cursor = Math.min(this.value.length, this.cursor + 1);
    else if (k.home || ctrl('a')) this.cursor = 0;
    else if (k.end || ctrl('e')) this.cursor = this.value.length;
    else if (k.backspace && k.meta) this.kill(this.wordStart(), this.cursor);
    else if (k.backspace || ctrl('h')) this.kill(Math.max(0, this.cursor - 1), this.cursor, false);
    else if (k.delete || ctrl('d')) this.kill(this.cursor, this.cursor + 1, false);
    else if (ctrl('w')) this.kill(this.wordStart(), this.cursor);
    else if (meta('d')) this.kill(this.cursor, this.wordEnd());
    else if (ctrl('u')) this.kill(0, this.cursor);
    else if (ctrl('k')) this.kill(this.cursor, this.value.length);
    else if (ctrl('y')) this.insert(this.killed);
    else if (!k.ctrl && !k.meta && input) this.insert(input);
    else return false;
    return true;
  }
}
