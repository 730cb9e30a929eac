/**
 * What a feed client may do with the server's files. Anyone who can reach the
 * feed can send commands, so the two commands that touch files are confined:
 *
 * - `load scenario NAME` reads only YAML files inside the scenario directory
 *   (the served topology's directory unless `--scenario-dir` says otherwise),
 *   after resolving symlinks; so do the files the scenario names (its
 *   `topology:` and every `file:`), which may also lie in the served topology's
 *   directory, where the bundled scenarios find their topologies.
 * - `capture start NAME` writes a new file NAME.pcapng in the capture
 *   directory; the client picks a plain file name, never a path.
 * - An error never quotes what a file holds: a file that is not a scenario is
 *   refused without detail, and in a scenario's diagnostics every quoted piece
 *   that comes from one of the files read is replaced by `"…"`.
 *
 * The terminal UI and the CLI do not go through here: they are the local
 * user's own tools and take any path.
 */
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { isMap, isPair, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';

/** What the feed runs instead of the client's command, or why it refuses. */
export type FileCommand = { ok: true; cmd: string; redact: (output: string) => string } | { ok: false; output: string };

/** A scenario (or a file it names) larger than this is refused unread: nothing a lab needs is that big. */
const MAX_SCENARIO_BYTES = 4 * 1024 * 1024;
const CAPTURE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export class FeedFiles {
  private readonly scenarioRoot: string | null;
  private readonly topologyRoot: string | null;
  private captureRoot: string | null = null;

  /**
   * `scenarioDir`: where `load scenario` reads (null: nowhere). `topologyDir`:
   * the served topology's directory, where a scenario may also find the files
   * it names. `captureDir`: where captures go (null: a new temporary directory,
   * made at the first capture).
   */
  constructor(
    scenarioDir: string | null,
    topologyDir: string | null,
    private readonly captureDir: string | null,
  ) {
    this.scenarioRoot = scenarioDir === null ? null : realDir(scenarioDir);
    this.topologyRoot = topologyDir === null ? null : realDir(topologyDir);
  }

  get scenarioDir(): string | null {
    return this.scenarioRoot;
  }

  /** The capture directory, made on first use. */
  captures(): string {
    if (this.captureRoot === null) {
      let dir: string;
      if (this.captureDir === null) dir = mkdtempSync(join(tmpdir(), 'nflab-captures-'));
      else {
        mkdirSync(this.captureDir, { recursive: true, mode: 0o700 });
        dir = this.captureDir;
      }
      this.captureRoot = realpathSync(dir);
    }
    return this.captureRoot;
  }

  loadScenario(given: string): FileCommand {
    const root = this.scenarioRoot;
    if (root === null) return refuse('load scenario: this server has no scenario directory (start it with --scenario-dir DIR)');
    const where = `the scenario directory ${root}`;
    const file = this.inside(given, root, [root]);
    if ('error' in file) return refuse(`load scenario ${given}: ${file.error} (only files inside ${where} can be loaded over the feed)`);
    if (!/\.ya?ml$/.test(file.path)) return refuse(`load scenario ${given}: not a .yaml or .yml file`);
    const texts: string[] = [];
    const sc = this.readYaml(file.path, texts);
    if ('error' in sc) return refuse(`load scenario ${given}: ${sc.error}`);
    const top = sc.doc.contents;
    // Anything but a mapping with steps is not a scenario; saying more would show what the file holds.
    if (!isMap(top) || !top.has('steps'))
      return refuse(`load scenario ${given}: not a scenario (a YAML mapping with \`topology:\` and \`steps:\`); nothing was run`);
    const roots = this.topologyRoot === null ? [root] : [root, this.topologyRoot];
    const base = dirname(file.path);
    const topo = top.get('topology', true);
    if (isScalar(topo) && typeof topo.value === 'string') {
      const t = this.inside(topo.value, base, roots);
      if ('error' in t)
        return refuse(
          `load scenario ${given}: its topology ${topo.value}: ${t.error} (a scenario loaded over the feed may name files inside ${where}${this.topologyRoot && this.topologyRoot !== root ? ` or ${this.topologyRoot}` : ''} only)`,
        );
      if (t.exists) {
        const td = this.readYaml(t.path, texts);
        if ('error' in td) return refuse(`load scenario ${given}: its topology ${topo.value}: ${td.error}`);
        const bad = this.checkFileRefs(td.doc.contents ?? null, dirname(t.path), roots, texts);
        if (bad) return refuse(`load scenario ${given}: its topology ${topo.value}: ${bad}`);
      }
    }
    const bad = this.checkFileRefs(top, base, roots, texts);
    if (bad) return refuse(`load scenario ${given}: ${bad}`);
    return { ok: true, cmd: `load scenario ${quote(file.path)}`, redact: (out) => redact(out, texts, file.path) };
  }

  captureStart(name: string, filter: string[]): FileCommand {
    if (!CAPTURE_NAME.test(name))
      return refuse(
        `capture start ${name}: over the feed, give a file name (letters, digits, . _ -; no directories): the server chooses the directory`,
      );
    let dir: string;
    try {
      dir = this.captures();
    } catch (e) {
      return refuse(`capture start: cannot make the capture directory: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    const file = join(dir, name.endsWith('.pcapng') ? name : `${name}.pcapng`);
    if (exists(file)) return refuse(`capture start ${name}: ${file} already exists; choose another name`);
    return { ok: true, cmd: `capture start ${quote(file)}${filter.length ? ` ${filter.join(',')}` : ''}`, redact: (s) => s };
  }

  /**
   * Where `given` (relative to `base`, or absolute) really is, if that is inside
   * one of `roots` once every symlink is followed. A file that does not exist
   * yet must lie inside lexically, and the loader will say it is missing.
   */
  private inside(given: string, base: string, roots: string[]): { path: string; exists: boolean } | { error: string } {
    if (given.includes('\0')) return { error: 'not a file name' };
    const lexical = resolve(base, given);
    let real: string;
    try {
      real = realpathSync(lexical);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return { error: 'cannot be read' };
      return within(lexical, roots) ? { path: lexical, exists: false } : { error: 'outside the allowed directories' };
    }
    if (!within(real, roots))
      return { error: isAbsolute(given) ? 'outside the allowed directories' : 'leads outside the allowed directories' };
    return { path: real, exists: true };
  }

  private readYaml(path: string, texts: string[]): { doc: ReturnType<typeof parseDocument> } | { error: string } {
    let text: string;
    try {
      const st = statSync(path);
      if (!st.isFile()) return { error: 'not a regular file' };
      if (st.size > MAX_SCENARIO_BYTES) return { error: `larger than ${MAX_SCENARIO_BYTES} bytes` };
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return { error: code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : 'cannot be read' };
    }
    texts.push(text);
    return { doc: parseDocument(text, { prettyErrors: false }) };
  }

  /**
   * Every `file:` string in a document names a file the loader will read
   * (`iptables: { file: ... }` today, and whatever gains a `file:` key later):
   * each must be inside, and its text joins the ones errors must not quote.
   */
  private checkFileRefs(node: unknown, base: string, roots: string[], texts: string[]): string | null {
    const stack: unknown[] = [node];
    while (stack.length) {
      const n = stack.pop();
      if (isMap(n)) {
        for (const p of n.items) {
          if (!isPair(p)) continue;
          const k = isScalar(p.key) ? p.key.value : null;
          if (k === 'file' && isScalar(p.value) && typeof p.value.value === 'string') {
            const ref = p.value.value;
            const f = this.inside(ref, base, roots);
            if ('error' in f) return `file ${ref}: ${f.error}`;
            if (f.exists) {
              try {
                const st = statSync(f.path);
                // A FIFO or a device would block the loader (and the server with it).
                if (!st.isFile()) return `file ${ref}: not a regular file`;
                if (st.size <= MAX_SCENARIO_BYTES * 16) texts.push(readFileSync(f.path, 'utf8'));
              } catch {
                // The loader reports an unreadable file by its path, never by its content.
              }
            }
          } else stack.push(p.value);
        }
      } else if (isSeq(n)) stack.push(...(n.items as YamlNode[]));
    }
    return null;
  }
}

function refuse(output: string): FileCommand {
  return { ok: false, output };
}

function realDir(dir: string): string {
  const r = realpathSync(dir);
  if (!statSync(r).isDirectory()) throw new Error(`${dir} is not a directory`);
  return r;
}

function within(path: string, roots: string[]): boolean {
  return roots.some((r) => path === r || path.startsWith(r.endsWith(sep) ? r : r + sep));
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Quoted for the session's command tokenizer (double quotes, backslash escapes). */
function quote(s: string): string {
  return `"${s.replace(/(["\\])/g, '\\$1')}"`;
}

/** Everything inside "…", '…' or the iptables-style `…' quotes. */
const QUOTED = /"([^"\n]*)"|`([^`'\n]*)'|'([^'\n]*)'/g;
/** Plain lowercase words up to this length are the loaders' own vocabulary far more often than a file's secrets. */
const PLAIN_WORD = /^[a-z-]{1,8}$/;

/**
 * Takes out of loader output whatever the files it read hold. Problems in the
 * scenario itself keep their file:line:col and wording, which is what its
 * author needs, but a quoted piece whose text occurs in one of the files
 * becomes "…", and so does every other word found in one unless it is a short
 * plain lowercase word; a line that occurs whole in a file goes entirely.
 * Problems in the files a scenario names (its topology, rule files) are only
 * counted: they may be anything.
 */
export function redact(output: string, texts: readonly string[], scenarioFile: string): string {
  const occurs = (s: string) => s.length > 0 && texts.some((t) => t.includes(s));
  const others = new Map<string, number>();
  const lines: string[] = [];
  for (const line of output.split('\n')) {
    const m = /^(\S+?):(?:(\d+):(\d+):)? (.*)$/.exec(line);
    if (m && m[1] !== scenarioFile && m[1].startsWith('/')) {
      if (!others.has(m[1])) lines.push(`\0${m[1]}`);
      others.set(m[1], (others.get(m[1]) ?? 0) + 1);
      continue;
    }
    // The session's summary of a run: the scenario loaded, so its name is fit to show.
    if (!line.startsWith('/') && !line.startsWith(scenarioFile) && /^[^\n]*: \d+ of \d+ steps passed$/.test(line)) {
      lines.push(line);
      continue;
    }
    const prefix = m && m[1] === scenarioFile ? line.slice(0, line.length - m[4].length) : '';
    const message = line.slice(prefix.length);
    if (message.trim().length >= 3 && occurs(message.trim())) {
      lines.push(`${prefix}…`);
      continue;
    }
    const unquoted = message.replace(QUOTED, (whole: string, a?: string, b?: string, c?: string) =>
      occurs(a ?? b ?? c ?? '') ? '"…"' : whole,
    );
    lines.push(prefix + unquoted.replace(/[^\s:,;()[\]{}=`"]+/g, (w) => (w !== '…' && !PLAIN_WORD.test(w) && occurs(w) ? '…' : w)));
  }
  return lines
    .map((l) => {
      if (!l.startsWith('\0')) return l;
      const f = l.slice(1);
      const n = others.get(f)!;
      return `${f}: does not load (${n} problem${n === 1 ? '' : 's'}; run nflab check on it)`;
    })
    .join('\n');
}
