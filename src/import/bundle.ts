/**
 * Reading a bundle written by scripts/nflab-snapshot.sh: a header, the host's
 * users and groups, then one `#@ns` block per namespace made of `#@section`s.
 * The reader never throws: a damaged bundle yields what could be read and a
 * warning for each problem, naming the bundle, line and section.
 */

/** The newest bundle version this reader knows; a newer one is read as this one, with a warning. */
export const BUNDLE_VERSION = 1;

export const KNOWN_SECTIONS = new Set([
  'users',
  'groups',
  'link',
  'addr',
  'route',
  'rule',
  'netns-ids',
  'sysctl',
  'iptables',
  'iptables-legacy',
  'nft',
  'ipset',
  'ss',
  'cmdline',
  'proc-net-tcp',
  'proc-net-udp',
  'proc-net-tcp6',
  'proc-net-udp6',
]);

export interface Section {
  name: string;
  /** Line of the `#@section` marker (1-based). */
  line: number;
  /** The lines after the marker, `#@` lines and trailing blank lines removed. */
  lines: string[];
  /** `#@stderr` lines the command wrote. */
  stderr: string[];
  /** The tool this section needed was not installed. */
  missing: string | null;
  /** Non-zero exit status of the command, or null. */
  exit: number | null;
}

export interface NsCapture {
  /** `root`, `netns NAME`, `pid PID`, `docker NAME`. */
  kind: 'root' | 'netns' | 'pid' | 'docker';
  /** The name or pid (empty for root). */
  arg: string;
  line: number;
  sections: Map<string, Section>;
}

export interface Warning {
  file: string;
  line?: number;
  section?: string;
  ns?: string;
  message: string;
}

export interface Bundle {
  file: string;
  version: number;
  host: string;
  kernel: string;
  iptablesVersion: string;
  /** Tools the script found missing on the host. */
  missing: string[];
  users: Map<number, string>;
  groups: Map<number, string>;
  namespaces: NsCapture[];
  /** Namespaces the script could not read (`#@skipped`). */
  skipped: string[];
  complete: boolean;
}

export function formatWarning(w: Warning): string {
  const where = w.line !== undefined ? `${w.file}:${w.line}` : w.file;
  const what = [w.ns ? `namespace ${w.ns}` : '', w.section ? `section ${w.section}` : ''].filter(Boolean).join(', ');
  return `${where}: ${what ? `${what}: ` : ''}${w.message}`;
}

export function nsLabel(ns: NsCapture): string {
  return ns.kind === 'root' ? 'root' : `${ns.kind} ${ns.arg}`;
}

/** Parses a bundle; null (with a warning) when the text is not a bundle at all. */
export function parseBundle(file: string, text: string, warn: (w: Warning) => void): Bundle | null {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const first = lines[0] ?? '';
  const m = /^#@nflab-snapshot (\d+)\s*$/.exec(first);
  if (!m) {
    warn({
      file,
      line: 1,
      message: `not an nflab snapshot bundle: the first line should be "#@nflab-snapshot ${BUNDLE_VERSION}" (the output of scripts/nflab-snapshot.sh), not ${JSON.stringify(first.slice(0, 60))}`,
    });
    return null;
  }
  const b: Bundle = {
    file,
    version: Number(m[1]),
    host: 'host',
    kernel: '',
    iptablesVersion: '',
    missing: [],
    users: new Map(),
    groups: new Map(),
    namespaces: [],
    skipped: [],
    complete: false,
  };
  if (b.version > BUNDLE_VERSION)
    warn({
      file,
      line: 1,
      message: `written by a newer nflab-snapshot (bundle version ${b.version}; this nflab reads version ${BUNDLE_VERSION}): reading what it recognises, upgrade nflab to read the rest`,
    });

  let ns: NsCapture | null = null;
  let sec: Section | null = null;
  const topSections = new Map<string, Section>();
  const close = () => {
    if (!sec) return;
    while (sec.lines.length && sec.lines[sec.lines.length - 1].trim() === '') sec.lines.pop();
    sec = null;
  };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const n = i + 1;
    if (!line.startsWith('#@')) {
      if (sec) sec.lines.push(line);
      else if (line.trim() !== '')
        warn({ file, line: n, message: `text outside any section, ignored: ${JSON.stringify(line.slice(0, 60))}` });
      continue;
    }
    const sp = line.indexOf(' ');
    const tag = sp < 0 ? line.slice(2) : line.slice(2, sp);
    const rest = sp < 0 ? '' : line.slice(sp + 1);
    if (tag === 'stderr' && sec) {
      sec.stderr.push(rest);
      continue;
    }
    if (tag === 'exit' && sec) {
      sec.exit = Number(rest);
      continue;
    }
    if (tag === 'missing') {
      if (sec && sec.lines.length === 0) sec.missing = rest;
      else if (!ns) b.missing.push(rest);
      continue;
    }
    close();
    switch (tag) {
      case 'host':
        b.host = rest.trim() || 'host';
        break;
      case 'kernel':
        b.kernel = rest.trim();
        break;
      case 'iptables':
        b.iptablesVersion = rest.trim();
        break;
      case 'skipped':
        b.skipped.push(rest);
        warn({ file, line: n, message: `the snapshot skipped a namespace: ${rest}` });
        break;
      case 'ns': {
        const [kind, ...arg] = rest.split(' ');
        if (kind !== 'root' && kind !== 'netns' && kind !== 'pid' && kind !== 'docker') {
          warn({ file, line: n, message: `unknown namespace kind "${kind}", its sections are ignored` });
          ns = null;
          sec = { name: '', line: n, lines: [], stderr: [], missing: null, exit: null };
          break;
        }
        ns = { kind, arg: arg.join(' '), line: n, sections: new Map() };
        b.namespaces.push(ns);
        break;
      }
      case 'section': {
        const name = rest.trim();
        sec = { name, line: n, lines: [], stderr: [], missing: null, exit: null };
        if (!KNOWN_SECTIONS.has(name)) {
          warn({
            file,
            line: n,
            section: name,
            ns: ns ? nsLabel(ns) : undefined,
            message: `unknown section "${name}", ignored${b.version > BUNDLE_VERSION ? ' (from a newer snapshot script)' : ''}`,
          });
          break;
        }
        const into = ns ? ns.sections : topSections;
        if (into.has(name)) warn({ file, line: n, section: name, message: 'section repeated; the later one is used' });
        into.set(name, sec);
        break;
      }
      case 'end':
        b.complete = true;
        if (i + 1 < lines.length && lines.slice(i + 1).some((l) => l.trim() !== ''))
          warn({ file, line: n + 1, message: 'text after #@end, ignored' });
        i = lines.length;
        break;
      default:
        warn({ file, line: n, message: `unknown marker "#@${tag}", ignored` });
    }
  }
  close();
  if (!b.complete) {
    const last = b.namespaces[b.namespaces.length - 1];
    const lastSec = last ? [...last.sections.values()].pop() : undefined;
    warn({
      file,
      line: lines.length,
      section: lastSec?.name,
      ns: last ? nsLabel(last) : undefined,
      message: 'the bundle is truncated (no #@end line): the last section may be incomplete; importing what is there',
    });
  }
  for (const [key, into] of [
    ['users', b.users],
    ['groups', b.groups],
  ] as const) {
    const s = topSections.get(key);
    s?.lines.forEach((l, k) => {
      const mm = /^(\S+) (\d+)$/.exec(l.trim());
      if (mm) {
        if (!into.has(Number(mm[2]))) into.set(Number(mm[2]), mm[1]);
      } else if (l.trim() !== '')
        warn({ file, line: s.line + 1 + k, section: key, message: `expected "NAME ID", not ${JSON.stringify(l)}` });
    });
  }
  return b;
}

/** The line in the bundle of a section's K-th content line (0-based). */
export function lineOf(s: Section, k: number): number {
  return s.line + 1 + k;
}

/** A JSON section as an array; on a parse error, a warning naming the line and column, and null. */
export function jsonSection(b: Bundle, ns: NsCapture, name: string, warn: (w: Warning) => void): unknown[] | null {
  const s = ns.sections.get(name);
  if (!s) {
    warn({ file: b.file, line: ns.line, ns: nsLabel(ns), section: name, message: 'section missing from the bundle' });
    return null;
  }
  if (s.missing) return null;
  const text = s.lines.join('\n');
  if (text.trim() === '') {
    if (s.exit !== null || s.stderr.length)
      warn({
        file: b.file,
        line: s.line,
        ns: nsLabel(ns),
        section: name,
        message: `the command failed: ${s.stderr.join(' ') || `exit ${s.exit}`}`,
      });
    return [];
  }
  try {
    const v: unknown = JSON.parse(text);
    if (!Array.isArray(v)) throw new SyntaxError('expected a JSON array');
    return v as unknown[];
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const pos = /position (\d+)/.exec(msg);
    let line = s.line + 1;
    let col = 1;
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const nl = before.split('\n');
      line += nl.length - 1;
      col = nl[nl.length - 1].length + 1;
    }
    warn({
      file: b.file,
      line,
      ns: nsLabel(ns),
      section: name,
      message: `corrupted JSON at column ${col} (${msg.split('\n')[0]}); this section is not imported`,
    });
    return null;
  }
}
