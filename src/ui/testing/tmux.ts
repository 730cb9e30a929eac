/**
 * The real program in a real terminal, for tests: `nflab tui` in a tmux
 * session on a private server, keys sent as a user's terminal sends them, the
 * screen read back with capture-pane.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const hasTmux = spawnSync('tmux', ['-V']).status === 0;
// The program under test is the build `npm test` makes first (rebuilding here would rewrite
// dist/ under other test files that run the CLI at the same time).
export const built = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));
export const skipReason = !hasTmux ? ' (skipped: no tmux)' : !built ? ' (skipped: run npm run build first)' : '';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let servers = 0;

export class TmuxTui {
  private readonly socket = `nflab-ui-test-${process.pid}-${servers++}`;

  /**
   * Starts `nflab tui ARGS` at cols×rows; the shell prints EXIT=code when it ends.
   * `wrap` goes before `node` (environment settings); `nice` raises the priority
   * of tmux's server and the program under it by that much, where allowed.
   */
  constructor(args: string, cols = 100, rows = 30, wrap = '', nice = 0) {
    const niced = nice > 0 && spawnSync('nice', ['-n', String(-nice), 'true']).status === 0;
    // ink draws only a final frame when CI is set (as CI runners set it); a person at a terminal has no CI.
    execFileSync(niced ? 'nice' : 'tmux', [
      ...(niced ? ['-n', String(-nice), 'tmux'] : []),
      '-L',
      this.socket,
      'new-session',
      '-d',
      '-s',
      'ui',
      '-x',
      String(cols),
      '-y',
      String(rows),
      '-c',
      ROOT,
      `env -u CI ${wrap} node bin/nflab.js tui ${args}; echo "EXIT=$?"; sleep 60`,
    ]);
    if (niced) this.raiseGroups(nice);
  }

  /**
   * With autogroup scheduling (Linux's default for desktops and this machine) a
   * process's nice counts only within its session's group, and tmux's server and
   * each pane are sessions of their own: their groups are raised too.
   */
  private raiseGroups(nice: number): void {
    for (const pid of [this.tmux('display-message', '-p', '#{pid}'), this.tmux('display-message', '-p', '-t', 'ui', '#{pane_pid}')]) {
      try {
        writeFileSync(`/proc/${pid.trim()}/autogroup`, String(-nice));
      } catch {
        // No autogroups, or not allowed: the processes' own nice is what there is.
      }
    }
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', 'ui');
  }

  /** tmux key names (Enter, Up, C-u, Escape) or, with literal, text as typed; several keys in one call reach the program in one write. */
  send(keys: string[], literal = false): void {
    this.tmux('send-keys', '-t', 'ui', ...(literal ? ['-l'] : []), ...keys);
  }

  async waitFor(what: (s: string) => boolean, ms = 20_000): Promise<string> {
    let s = '';
    const end = Date.now() + ms;
    while (Date.now() < end) {
      s = this.screen();
      if (what(s)) return s;
      await sleep(50);
    }
    throw new Error(`screen never matched; last screen:\n${s}`);
  }

  /** Waits for the first screen, then presses `:` until the prompt shows (keys typed before ink takes raw mode are lost). */
  async ready(marker = '[LOADED]', ms = 60_000): Promise<string> {
    await this.waitFor((x) => x.includes('Topology') && x.includes(marker), ms);
    for (let i = 0; i < 40 && !this.screen().includes(':_'); i++) {
      this.send([':']);
      await sleep(250);
    }
    this.send(['Escape']);
    return this.waitFor((x) => x.includes('press : for a command'));
  }

  private control: Control | null = null;

  /**
   * Milliseconds from sending a key until the screen shows its effect, polling
   * capture-pane without pause. The polls go through one tmux control-mode
   * client, not a new tmux process each: starting a process takes tens of
   * milliseconds on a busy machine, which would be measured as the UI's.
   */
  async latency(key: string, ms = 10_000): Promise<number> {
    this.control ??= new Control(this.socket);
    const c = this.control;
    const before = await c.run('capture-pane -p -t ui');
    const t0 = performance.now();
    await c.run(`send-keys -t ui ${key}`);
    while (performance.now() - t0 < ms) if ((await c.run('capture-pane -p -t ui')) !== before) return performance.now() - t0;
    throw new Error(`key ${key} changed nothing on screen in ${ms} ms; screen:\n${before}`);
  }

  kill(): void {
    this.control?.close();
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}

/** A tmux control-mode client: commands on stdin, each answer between %begin and %end. */
class Control {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<(out: string) => void> = [];
  private buf = '';
  private lines: string[] | null = null;

  constructor(socket: string) {
    this.proc = spawn('tmux', ['-L', socket, '-C', 'attach-session', '-t', 'ui', '-f', 'ignore-size,no-output']);
    // attach-session answers too.
    this.waiting.push(() => {});
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (d: string) => {
      this.buf += d;
      let nl;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        if (line.startsWith('%begin')) this.lines = [];
        else if (line.startsWith('%end') || line.startsWith('%error')) {
          const out = (this.lines ?? []).join('\n');
          this.lines = null;
          this.waiting.shift()?.(out);
        } else if (this.lines) this.lines.push(line);
      }
    });
  }

  run(cmd: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.proc.stdin.write(`${cmd}\n`);
    });
  }

  close(): void {
    this.proc.kill();
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
