/**
 * The CLI as CI leans on it, run as a process: no internal
 * errors, JUnit that keeps a test's name, trace JSON with the result,
 * rule-update pricing per command, --version, --help, completion, man page.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manPage } from '../src/cli/help.js';
import { scratchDir } from '../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'nflab.js');
const tmp = scratchDir('nflab-cli-ci-');
const docker = join(root, 'topologies', 'docker-port-mapping.yaml');
const dockerScenario = join(root, 'scenarios', 'docker-port-mapping.yaml');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; man: string[] };

function nflab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: tmp });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('no internal errors', () => {
  it('save -t with a table the kernel does not have says what iptables-save says, exit 1', () => {
    const r = nflab('save', docker, '--node', 'docker-host', '-t', 'natt');
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: "Table `natt' does not exist\n" });
  });

  it('an unwritable --junit path is one clear line, after the whole report', () => {
    const r = nflab('run', dockerScenario, '--junit', '/nonexistent/dir/x.xml');
    expect(r.stdout).toMatch(/^PASS docker published port/);
    expect(r.stdout).toMatch(/1 passed, 0 failed\n$/);
    expect(r.stderr).toBe('nflab: cannot write the JUnit report /nonexistent/dir/x.xml: no such file or directory\n');
    expect(r.code).toBe(2);
  });
});

describe('JUnit for CI', () => {
  it('names a test case by its step name only, times it in virtual time, and gives the file as passed', () => {
    writeFileSync(
      join(tmp, 'ci.yaml'),
      `name: ci
topology: ${docker}
steps:
  - name: published port
    connect: { from: client, to: 198.51.100.1:8080 }
    expect: { result: connected }
  - connect: { from: client, to: 198.51.100.1:8081 }
    expect: { result: connected }
  - wait: 2ms
`,
    );
    const r = nflab('run', 'ci.yaml', '--junit', 'out.xml');
    expect(r.code).toBe(1);
    const xml = readFileSync(join(tmp, 'out.xml'), 'utf8');
    const cases = [...xml.matchAll(/<testcase classname="ci" name="([^"]*)" file="([^"]*)" time="([^"]*)"/g)];
    expect(cases.map((c) => c[1])).toEqual(['published port', '2. connect client → 198.51.100.1:8081/tcp', '3. wait']);
    expect(cases.map((c) => c[2])).toEqual(['ci.yaml', 'ci.yaml', 'ci.yaml']);
    expect(xml).toContain('<testsuite name="ci" file="ci.yaml"');
    expect(Number(cases[2][3])).toBe(0.002);
    expect(Number(cases[0][3])).toBeGreaterThan(0);
    expect(Number(cases[0][3])).toBeLessThan(0.9);
    // Neither the result nor an ephemeral port is in a name.
    expect(xml).not.toMatch(/name="[^"]*(refused|connected|:\d{5})/);
  });
});

describe('trace for scripts', () => {
  it('--json carries the probe result on every packet; --timeout sets how long the probe waits', () => {
    const ok = nflab('trace', docker, '--from', 'client', '--to', '198.51.100.1:8080', '--json');
    const packets = ok.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(packets.every((p) => p.result === 'connected')).toBe(true);
    const silent = (t?: string) =>
      nflab('trace', docker, '--from', 'client', '--to', '198.51.100.99:80', '--json', ...(t ? ['--timeout', t] : []))
        .stdout.trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    // A SYN is retransmitted after 1 s: waiting 2 s shows it, the default 900 ms does not.
    expect(silent().length).toBe(1);
    expect(silent('2s').length).toBe(2);
    expect(silent('2s')[0].result).toBe('timeout');
    // Nothing leaves a sender without a route: still one line, with the result.
    const none = nflab('trace', docker, '--from', 'docker-host', '--to', '8.8.8.8:80', '--json');
    expect(none.stdout).toBe('{"packet":null,"steps":[],"outcome":null,"result":"no-route"}\n');
    const bad = nflab('trace', docker, '--from', 'client', '--to', '198.51.100.1:80', '--timeout', 'soon');
    expect(bad).toMatchObject({ code: 2, stderr: 'nflab: --timeout takes a duration such as 900ms or 2s, not "soon"\n' });
  });
});

describe('rule updates of an exec step', () => {
  it('a failed command is not priced, and each priced command says which it is', () => {
    writeFileSync(
      join(tmp, 'updates.yaml'),
      `topology: ${docker}
steps:
  - exec: { on: docker-host, cmd: [ "iptables -A INPUT -j ACCEPT", "iptables -A NOPE -j ACCEPT", "iptables -t nat -A POSTROUTING -j MASQUERADE" ] }
`,
    );
    const json = JSON.parse(nflab('run', 'updates.yaml', '--json').stdout);
    const out = json.steps[0].output;
    expect(out.map((o: { exit: number; update?: { cmd: string } }) => [o.exit, o.update?.cmd ?? null])).toEqual([
      [0, 'iptables -A INPUT -j ACCEPT'],
      [1, null],
      [0, 'iptables -t nat -A POSTROUTING -j MASQUERADE'],
    ]);
    const text = nflab('run', 'updates.yaml', '--no-color').stdout;
    const updates = text.split('\n').filter((l) => / update by /.test(l));
    expect(updates).toHaveLength(2);
    expect(updates[0]).toMatch(/^ +nft update by `iptables -A INPUT -j ACCEPT`: /);
    expect(updates[1]).toMatch(/^ +nft update by `iptables -t nat -A POSTROUTING -j MASQUERADE`: /);
  });
});

describe('help, version, completion and the man page', () => {
  const commands = ['run', 'trace', 'check', 'save', 'export', 'tui', 'serve', 'completion'];

  it('--version prints the package version', () => {
    expect(nflab('--version')).toMatchObject({ code: 0, stdout: `nflab ${pkg.version}\n` });
  });

  it('every command has --help (and -h, and nflab help COMMAND), naming each option', () => {
    for (const c of commands) {
      const r = nflab(c, '--help');
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toMatch(new RegExp(`^usage: nflab ${c} `));
      expect(nflab('help', c).stdout).toBe(r.stdout);
    }
    expect(nflab('save', '-h').stdout).toMatch(/-t, --table TABLE/);
    expect(nflab('trace', 'x.yaml', '--help').stdout).toMatch(/--timeout DURATION/);
    expect(nflab('--help').stdout).toMatch(/completion +print a shell completion script/);
  });

  it('bash completion loads and completes commands and option values', () => {
    const script = nflab('completion', 'bash');
    expect(script.code).toBe(0);
    const complete = (line: string) => {
      const words = line.split(' ');
      const r = spawnSync(
        'bash',
        [
          '-c',
          `${script.stdout}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _nflab; echo "\${COMPREPLY[*]}"`,
        ],
        { encoding: 'utf8' },
      );
      return r.stdout.trim();
    };
    expect(complete('nflab tr')).toBe('trace');
    expect(complete('nflab save x.yaml -t n')).toBe('nat');
    expect(complete('nflab trace x.yaml --pr')).toBe('--proto');
    expect(complete('nflab completion ')).toBe('bash zsh');
    expect(nflab('completion', 'zsh').stdout).toMatch(/^#compdef nflab\n/);
    expect(nflab('completion', 'fish')).toMatchObject({ code: 2, stderr: 'nflab: completion takes bash or zsh\n' });
  });

  const zsh = spawnSync('zsh', ['--version']).status === 0;
  it.skipIf(!zsh)('zsh completion completes commands and option values in a real zsh (skipped without zsh)', () => {
    const script = join(tmp, 'nflab.zsh');
    writeFileSync(script, nflab('completion', 'zsh').stdout);
    // An interactive zsh in a pseudo-terminal, where Tab runs the completion system as it does for a user.
    const harness = [
      'zmodload zsh/zpty',
      "zpty z 'zsh -f -i'",
      `zpty -w z 'PS1="> "; autoload -U compinit; compinit -u -D; source ${script}; function nflab { : }'`,
      'sleep 0.5',
      `zpty -w -n z "$1"$'\\t'`,
      'sleep 1.5',
      'out=""; while zpty -r -t z chunk; do out+=$chunk; done',
      'print -r -- "$out"; zpty -d z',
    ].join('\n');
    const complete = (line: string) =>
      spawnSync('zsh', ['-f', '-c', harness, 'zsh', line], { encoding: 'utf8', timeout: 20_000 }).stdout.replace(
        // eslint-disable-next-line no-control-regex -- zle's escape sequences are what the test strips
        /\x1b\[[0-9;?]*[a-zA-Z]/g,
        '',
      );
    expect(complete('nflab save x.yaml -t ')).toMatch(/filter +mangle +nat +raw +security/);
    expect(complete('nflab completion ')).toMatch(/bash +zsh/);
    expect(complete('nflab trace x.yaml --pro')).toMatch(/--proto /);
  });

  it('package.json lists the man page, and it is the one the command table makes', () => {
    expect(pkg.man).toEqual(['./man/nflab.1']);
    expect(readFileSync(join(root, 'man', 'nflab.1'), 'utf8')).toBe(manPage(pkg.version));
    const r = spawnSync('man', ['-l', '-P', 'cat', join(root, 'man', 'nflab.1')], {
      encoding: 'utf8',
      env: { ...process.env, MANWIDTH: '100' },
    });
    if (r.status === 0) expect(r.stdout).toMatch(/nflab save TOPOLOGY --node NODE/);
  });
});
