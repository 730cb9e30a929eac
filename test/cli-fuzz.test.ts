/**
 * A seeded fuzzer for the nflab command: random commands, arguments in random
 * orders, option values good and bad, and topology and scenario files
 * corrupted at random. Whatever happens, the process ends with 0, 1 or 2 and
 * says what went wrong in lines of its own: never 70 (an internal error),
 * never a stack trace, never a hang.
 *
 * NFLAB_FUZZ_SEED and NFLAB_FUZZ_CASES run other seeds and budgets; a failing
 * case prints its command line so it can be run again by hand.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'nflab.js');
const SEED = Number(process.env.NFLAB_FUZZ_SEED ?? 20261206);
const CASES = Number(process.env.NFLAB_FUZZ_CASES ?? 60);
const tmp = scratchDir('nflab-cli-fuzz-');

/** mulberry32: small, seeded, and the same everywhere. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick };
}
type Rng = ReturnType<typeof rng>;

const SMALL_LABS = [
  'docker-port-mapping',
  'four-tables-five-chains',
  'istio-sidecar',
  'kube-proxy',
  'multi-hop-nat',
  'policy-routing',
  'reject-variants',
];
const topologyPath = (n: string) => join(root, 'topologies', `${n}.yaml`);
const scenarioPath = (n: string) => join(root, 'scenarios', `${n}.yaml`);

/** A copy of a bundled file with its topology path made absolute, then broken in one or a few random ways. */
function corrupt(r: Rng, text: string): string {
  let t = text;
  for (let k = 1 + r.int(3); k > 0; k--) {
    const lines = t.split('\n');
    const i = r.int(Math.max(1, lines.length));
    switch (r.int(t.includes('\nsteps:') ? 11 : 9)) {
      case 0:
        t = t.slice(0, r.int(t.length + 1));
        break;
      case 1:
        lines.splice(i, 1);
        t = lines.join('\n');
        break;
      case 2:
        lines.splice(i, 0, lines[r.int(lines.length)] ?? '');
        t = lines.join('\n');
        break;
      case 3: {
        const at = r.int(t.length + 1);
        t =
          t.slice(0, at) +
          r.pick(['\t', ':', '- ', '{', '}', '[', ']', '&a ', '*a', '<<: ', '"', "'", '|', '\0', '\uFFFD', '#', '%', '@', '!!binary ']) +
          t.slice(at);
        break;
      }
      case 4:
        lines[i] = (lines[i] ?? '').replace(/\d+/, () => r.pick(['-1', '0', '65536', '99999999999999999999', '1e3', '0x10', 'NaN', '']));
        t = lines.join('\n');
        break;
      case 5:
        lines[i] = (lines[i] ?? '').replace(/[A-Za-z_-]{2,}/, () =>
          r.pick(['natt', 'INPUTT', 'eth9', 'nosuch', 'tcpp', 'DNATT', '-j', '--to-destination', 'ACCEPT ACCEPT']),
        );
        t = lines.join('\n');
        break;
      case 6:
        lines[i] = ' '.repeat(r.int(9)) + (lines[i] ?? '').trimStart();
        t = lines.join('\n');
        break;
      case 7: {
        const bytes = Array.from({ length: 1 + r.int(40) }, () => String.fromCharCode(r.int(256)));
        t = t.slice(0, r.int(t.length)) + bytes.join('');
        break;
      }
      case 8:
        lines[i] = (lines[i] ?? '').replace(/(\S+)\s*$/, '');
        t = lines.join('\n');
        break;
      default: {
        // A step at the end, commands first: most scenarios end with their steps.
        const on = r.pick(['client', 'docker-host', 'node', 'router', 'host', 'app', 'nosuch']);
        const cmd = r.pick(EXEC_COMMANDS);
        t = `${t.replace(/\n*$/, '\n')}  - exec: { on: ${on}, cmd: ${JSON.stringify(cmd)}${r.next() < 0.3 ? `, stdin: ${JSON.stringify(r.pick(STDINS))}` : ''} }\n`;
      }
    }
  }
  return t;
}

const EXEC_COMMANDS = [
  'iptables-save -t natt',
  'iptables-save -t',
  'iptables -t natt -L',
  'iptables -L -n -v -x --line-numbers',
  'iptables -t nat -S',
  'iptables -Z',
  'iptables -P INPUT FOO',
  'iptables -E',
  'iptables -N ""',
  'iptables -A INPUT -m',
  'iptables -A INPUT -j DNAT --to-destination 1.2.3.4',
  'iptables -D INPUT 99',
  'iptables -t nat -I PREROUTING 0 -j ACCEPT',
  'iptables-restore',
  'iptables-restore -n',
  'iptables-restore -c',
  'iptables-legacy-restore',
  'iptables-nft -t mangle -F',
  'conntrack -L',
  'conntrack -F',
  'conntrack -D -p sctp',
  'conntrack -L -o xml',
  'ip route',
  'ip route add 10.9.0.0/16 via 1.1.1.1',
  'ip rule add fwmark 1 lookup 100',
  'ip addr',
  'ip -s link',
  'ip route get 8.8.8.8',
  'sysctl -w net.ipv4.ip_forward=1',
  'sysctl net.ipv4.nosuch',
  'echo hi',
  '',
  '"unterminated',
];
const STDINS = [
  '',
  '*filter\nCOMMIT\n',
  '*nat\n-A POSTROUTING -j MASQUERADE\nCOMMIT\n',
  '*natt\nCOMMIT\n',
  '[1:2] -A INPUT\n',
  '*filter\n:INPUT ACCEPT [x]\nCOMMIT\n',
];

let fileNo = 0;
function write(text: string, ext = '.yaml'): string {
  const p = join(tmp, `f${fileNo++}${ext}`);
  writeFileSync(p, text);
  return p;
}

function fileArg(r: Rng, kind: 'topology' | 'scenario'): string {
  const lab = r.pick(SMALL_LABS);
  const original = kind === 'topology' ? topologyPath(lab) : scenarioPath(lab);
  switch (r.int(6)) {
    case 0:
    case 1:
      return original;
    case 2:
      return r.pick([
        join(tmp, 'missing.yaml'),
        tmp,
        '/dev/null',
        join(tmp, 'dir'),
        '',
        '-',
        join(tmp, 'empty.yaml'),
        join(tmp, 'binary.yaml'),
      ]);
    default: {
      const text = readFileSync(original, 'utf8').replace(/^topology: \.\.\/topologies\//m, `topology: ${join(root, 'topologies')}/`);
      return write(corrupt(r, text));
    }
  }
}

const NODES = ['client', 'docker-host', 'docker-host/web', 'node', 'router', 'nosuch', 'a/b/c', '', '-'];
const VALUES = [
  '',
  '-',
  '0',
  '-1',
  '1',
  '65536',
  'abc',
  '1.5',
  'natt',
  'nat',
  'filter',
  'tcp',
  'sctp',
  '10.0.0.1',
  '198.51.100.1:8080',
  '198.51.100.1:0',
  '1.2.3.4:99999',
  '::1',
  '10ms',
  '0s',
  'bash',
  'zsh',
  'fish',
  'netns',
  'x'.repeat(300),
  '\u00e9\u4e2d',
  '--json',
  '-c',
];

function valueFor(r: Rng, name: string): string {
  if (r.next() < 0.4) return r.pick(VALUES);
  switch (name) {
    case 'node':
    case 'from':
      return r.pick(NODES);
    case 'to':
      return r.pick(['198.51.100.1:8080', '198.51.100.1', '172.17.0.2:80', '10.0.0.1:53', '1.2.3.4', '256.1.1.1:80']);
    case 'proto':
      return r.pick(['tcp', 'udp', 'icmp', 'TCP', 'gre']);
    case 'table':
      return r.pick(['raw', 'mangle', 'nat', 'filter', 'security', 'natt', 'NAT']);
    case 'timeout':
      return r.pick(['100ms', '2s', '1us', '0', 'forever', '-5ms']);
    case 'junit':
    case 'pcap':
      return r.pick([join(tmp, 'out.xml'), '/nonexistent/dir/x.xml', tmp, join(tmp, 'f0.yaml', 'x'), '/proc/version']);
    case 'after':
    case 'scenario':
      return fileArg(r, 'scenario');
    case 'capture':
      return r.pick(['client:eth0', 'client', 'nosuch:eth0', ',', 'client:eth0,docker-host:eth0']);
    default:
      return r.pick(VALUES);
  }
}

const COMMANDS: Record<string, { positional: 'topology' | 'scenario' | 'shell' | 'none'; options: string[]; switches: string[] }> = {
  run: { positional: 'scenario', options: ['junit', 'pcap', 'capture'], switches: ['json', 'color', 'no-color'] },
  check: { positional: 'topology', options: [], switches: [] },
  trace: { positional: 'topology', options: ['from', 'to', 'proto', 'uid', 'seed', 'timeout', 'pcap', 'capture'], switches: ['json'] },
  save: { positional: 'topology', options: ['node', 'table', 'after'], switches: ['counters'] },
  export: { positional: 'topology', options: ['format', 'prefix'], switches: [] },
  completion: { positional: 'shell', options: [], switches: [] },
};

function argvFor(r: Rng): string[] {
  const roll = r.next();
  if (roll < 0.04) return [r.pick(['frobnicate', '', '-x', '--versionn', 'help', '--help', '--version'])];
  if (roll < 0.07) return [r.pick(['tui', 'serve', 'help']), r.pick(['--help', '-h'])];
  const name = r.pick(Object.keys(COMMANDS));
  const c = COMMANDS[name];
  const parts: string[][] = [];
  const positional =
    c.positional === 'shell' ? [r.pick(['bash', 'zsh', 'fish', ''])] : c.positional === 'none' ? [] : [fileArg(r, c.positional)];
  if (name === 'check' || name === 'run')
    for (let k = r.int(3); k > 0; k--) positional.push(fileArg(r, r.next() < 0.5 ? 'topology' : 'scenario'));
  if (r.next() < 0.9) for (const p of positional) parts.push([p]);
  // Mostly the options a command needs, so runs get past usage checks and into the files.
  const wanted = name === 'trace' ? ['from', 'to'] : name === 'save' ? ['node'] : [];
  for (const o of wanted) if (r.next() < 0.85) parts.push([`--${o}`, valueFor(r, o)]);
  for (let k = r.int(4); k > 0; k--) {
    const roll2 = r.next();
    if (roll2 < 0.5 && c.options.length) {
      const o = r.pick(c.options);
      parts.push(r.next() < 0.2 ? [`--${o}=${valueFor(r, o)}`] : [`--${o}`, valueFor(r, o)]);
    } else if (roll2 < 0.75 && c.switches.length) parts.push([`--${r.pick(c.switches)}`]);
    else parts.push([r.pick(['-c', '-t', '-x', '--', '--unknown', '--json=1', '-', '--node', '--from=', '---', 'extra'])]);
  }
  for (let i = parts.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [parts[i], parts[j]] = [parts[j], parts[i]];
  }
  // A dangling option without its value, now and then.
  if (r.next() < 0.05 && c.options.length) parts.push([`--${r.pick(c.options)}`]);
  return [name, ...parts.flat()];
}

interface Outcome {
  argv: string[];
  code: number | null;
  signal: string | null;
  stderr: string;
}

function runOne(argv: string[]): Promise<Outcome> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...argv], { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));
    child.on('close', (code, signal) => done({ argv, code, signal, stderr }));
  });
}

/** What makes an outcome wrong; empty when it is acceptable. */
function problems(o: Outcome): string[] {
  const out: string[] = [];
  if (o.signal) out.push(`killed by ${o.signal} (a hang?)`);
  if (o.code !== 0 && o.code !== 1 && o.code !== 2) out.push(`exit ${o.code}`);
  if (/internal error/.test(o.stderr)) out.push(`internal error: ${o.stderr.split('\n').find((l) => l.includes('internal error'))}`);
  if (/^\s+at .+[:(]\d+/m.test(o.stderr) || /^\w*Error: /m.test(o.stderr)) out.push('a stack trace or raw JavaScript error on stderr');
  // A usage error is one line; a file's problems are one line each, every line naming its file.
  const lines = o.stderr.split('\n').filter((l) => l !== '');
  if (lines[0]?.startsWith('nflab: ') && lines.length !== 1) out.push(`usage error not on one line: ${JSON.stringify(o.stderr)}`);
  for (const l of lines) if (/^\s/.test(l)) out.push(`a continuation line on stderr: ${JSON.stringify(l)}`);
  if (o.code !== 0 && o.stderr.trim() === '') out.push('failed without saying why');
  return out;
}

async function pool<T, U>(items: T[], width: number, f: (t: T) => Promise<U>): Promise<U[]> {
  const out: U[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]);
      }
    }),
  );
  return out;
}

describe('the nflab command under fuzzing', () => {
  it(`${CASES} random command lines (seed ${SEED}) end in 0, 1 or 2 with clear lines, never an internal error`, async () => {
    mkdirSync(join(tmp, 'dir'));
    writeFileSync(join(tmp, 'empty.yaml'), '');
    writeFileSync(join(tmp, 'binary.yaml'), Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37) & 255)));
    const r = rng(SEED);
    const cases = Array.from({ length: CASES }, () => argvFor(r));
    const outcomes = await pool(cases, 2, runOne);
    const bad = outcomes.flatMap((o) => problems(o).map((p) => `nflab ${o.argv.map((a) => JSON.stringify(a)).join(' ')}\n    ${p}`));
    expect(bad).toEqual([]);
    // The cases reach past argument checks into the files and the lab, not only usage errors.
    const codes = new Set(outcomes.map((o) => o.code));
    expect([...codes].sort()).toEqual([0, 1, 2]);
  }, 600_000);
});
