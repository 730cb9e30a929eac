/**
 * Tab completion for the command line: session verbs and node names first,
 * then the node's verbs, then a few well-known arguments. Completes to the
 * longest common prefix and lists the choices when there are several.
 */
import { readdirSync, statSync } from 'node:fs';
import { NODE_VERBS, SESSION_VERBS } from '../session/command-language.js';

export interface Completion {
  line: string;
  /** Every candidate when the word is ambiguous (shown to the user), else empty. */
  choices: string[];
}

const TABLES = ['filter', 'nat', 'mangle', 'raw', 'security'];
const ARGS: Record<string, string[]> = {
  iptables: ['-t', '-L', '-S', '-n', '-v', '-I', '-A', '-D', '-F', '-Z', '-P', '-N', '-X', '--line-numbers'],
  'iptables-save': ['-c', '-t'],
  ip: ['route', 'rule'],
  conntrack: ['-L', '-F', '-D'],
  send: ['udp', 'tcp'],
  connect: [],
  ping: [],
  sysctl: ['-w'],
};

/** Node names with their short forms (`web` for `docker-host/web`) when those are unique. */
export function nodeWords(nodes: string[]): string[] {
  const short = nodes.filter((n) => n.includes('/')).map((n) => n.slice(n.indexOf('/') + 1));
  const unique = short.filter((s) => short.indexOf(s) === short.lastIndexOf(s) && !nodes.includes(s));
  return [...nodes, ...unique];
}

function candidatesFor(words: string[], nodes: string[]): string[] {
  const i = words.length - 1;
  if (i === 0) return [...SESSION_VERBS, 'quit', ...nodeWords(nodes)];
  const first = words[0];
  if (first === 'load') return i === 1 ? ['scenario'] : [];
  if (first === 'capture') return i === 1 ? ['start', 'stop'] : [];
  if ((SESSION_VERBS as readonly string[]).includes(first)) return [];
  if (i === 1) return [...NODE_VERBS];
  const verb = words[1];
  if ((verb === 'iptables' || verb === 'iptables-save') && words[i - 1] === '-t') return TABLES;
  if (verb === 'ip' && i > 2) return ['show', 'get', 'add', 'del'];
  return ARGS[verb] ?? [];
}

function commonPrefix(xs: string[]): string {
  let p = xs[0] ?? '';
  for (const x of xs) while (!x.startsWith(p)) p = p.slice(0, -1);
  return p;
}

/** A directory's entries, for completing file names; [] when it cannot be read. */
export type ListDir = (dir: string) => Array<{ name: string; dir: boolean }>;

/** Completes the path being typed after `load scenario`: directories (with `/`) and YAML files. */
function completeFile(head: string, word: string, listDir: ListDir): Completion {
  const slash = word.lastIndexOf('/');
  const dir = slash < 0 ? '' : word.slice(0, slash + 1);
  const base = word.slice(slash + 1);
  const hits = listDir(dir === '' ? '.' : dir)
    .filter((e) => e.name.startsWith(base) && (base.startsWith('.') || !e.name.startsWith('.')))
    .filter((e) => e.dir || /\.ya?ml$/.test(e.name))
    .map((e) => (e.dir ? `${e.name}/` : e.name))
    .sort();
  if (hits.length === 0) return { line: head + word, choices: [] };
  if (hits.length === 1) return { line: `${head}${dir}${hits[0]}${hits[0].endsWith('/') ? '' : ' '}`, choices: [] };
  return { line: `${head}${dir}${commonPrefix(hits)}`, choices: hits };
}

/** The UI is a local user's own tool: `load scenario` completes any path they could read. */
export const localFiles: ListDir = (dir) => {
  try {
    return readdirSync(dir, { withFileTypes: true }).map((e) => ({
      name: e.name,
      dir: e.isDirectory() || (e.isSymbolicLink() && isDir(`${dir}/${e.name}`)),
    }));
  } catch {
    return [];
  }
};

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function complete(line: string, nodes: string[], listDir: ListDir = () => []): Completion {
  const words = line.split(' ').filter((w, i, all) => w !== '' || i === all.length - 1);
  if (words.length === 0) words.push('');
  const word = words[words.length - 1];
  if (words.length === 3 && words[0] === 'load' && words[1] === 'scenario')
    return completeFile(line.slice(0, line.length - word.length), word, listDir);
  const hits = [...new Set(candidatesFor(words, nodes))].filter((c) => c.startsWith(word));
  if (hits.length === 0) return { line, choices: [] };
  const head = line.slice(0, line.length - word.length);
  if (hits.length === 1) return { line: `${head}${hits[0]} `, choices: [] };
  return { line: `${head}${commonPrefix(hits)}`, choices: hits };
}
