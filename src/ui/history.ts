/**
 * Command history as shells keep it: Up walks back, Down walks forward and
 * returns to what was being typed; repeating the last command is stored once.
 */
export class History {
  private readonly items: string[] = [];
  private pos = 0;
  private draft = '';

  constructor(private readonly limit = 500) {}

  add(line: string): void {
    if (line.trim() && this.items[this.items.length - 1] !== line) this.items.push(line);
    if (this.items.length > this.limit) this.items.shift();
    this.pos = this.items.length;
    this.draft = '';
  }

  /** The older entry, or null at the oldest; `current` is kept as the draft. */
  up(current: string): string | null {
    if (this.pos === 0) return null;
    if (this.pos === this.items.length) this.draft = current;
    this.pos--;
    return this.items[this.pos];
  }

  down(): string | null {
    if (this.pos >= this.items.length) return null;
    this.pos++;
    return this.pos === this.items.length ? this.draft : this.items[this.pos];
  }

  get entries(): readonly string[] {
    return this.items;
  }
}
