/**
 * scripts/nflab-snapshot.sh as it runs on a real host: under dash and busybox
 * sh, with tools missing, on namespaces chosen each way; and `nflab
 * snapshot-script` prints exactly the shipped file.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelAvailable } from './kernel/harness.js';
import { scratchDir } from '../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'nflab.js');
const script = join(root, 'scripts', 'nflab-snapshot.sh');
const k = kernelAvailable();
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

describe('nflab snapshot-script', () => {
  it('prints the shipped script byte for byte', () => {
    const r = run(process.execPath, [bin, 'snapshot-script']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(script, 'utf8'));
    expect(r.stdout.startsWith('#!/bin/sh\n')).toBe(true);
  });

  it.skipIf(!has('shellcheck'))('passes shellcheck as POSIX sh', () => {
    const r = run('shellcheck', ['-s', 'sh', script]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('refuses an unknown option with one line and exit 2', () => {
    const r = run('sh', [script, '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("nflab-snapshot: unknown option '--bogus' (try --help)");
  });
});

describe.skipIf(!k.ok)(`nflab-snapshot.sh on real namespaces (${k.why})`, () => {
  const p = `nfi-${process.pid}-snap`;
  const a = `${p}-a`;
  const b = `${p}-b`;
  let sleeper: ReturnType<typeof spawn> | null = null;
  let listener: ReturnType<typeof spawn> | null = null;
  const tmp = scratchDir('nflab-snap-');

  beforeAll(() => {
    for (const cmd of [
      `ip netns add ${a}`,
      `ip netns add ${b}`,
      `ip link add name x0 netns ${a} type veth peer name y0 netns ${b}`,
      `ip -n ${a} link add br0 type bridge`,
      `ip -n ${a} link set x0 master br0`,
      `ip -n ${a} addr add 10.9.0.1/24 dev br0`,
      `ip -n ${b} addr add 10.9.0.2/24 dev y0`,
      `ip -n ${b} addr add 2001:db8::2/64 dev y0`,
      `ip netns exec ${a} iptables -t nat -A POSTROUTING -s 10.9.0.0/24 -j MASQUERADE`,
      `ip netns exec ${a} nft add table inet nflabtest`,
      `ip netns exec ${a} nft add chain inet nflabtest input '{ type filter hook input priority 0; policy accept; }'`,
      `ip netns exec ${a} nft add rule inet nflabtest input tcp dport 9 drop`,
    ]) {
      const r = run('sh', ['-c', cmd]);
      if (r.code !== 0) throw new Error(`${cmd}: ${r.stderr}`);
    }
    sleeper = spawn('ip', ['netns', 'exec', b, 'sleep', '60'], { stdio: 'ignore' });
    // A listener in a, as uid 1234, so that the socket readers have something to read (and a has a process for --pid).
    listener = spawn(
      'ip',
      [
        'netns',
        'exec',
        a,
        'setpriv',
        '--reuid',
        '1234',
        '--regid',
        '1234',
        '--clear-groups',
        'socat',
        'TCP-LISTEN:7777,bind=10.9.0.1,fork',
        'EXEC:cat',
      ],
      {
        stdio: 'ignore',
      },
    );
  });
  afterAll(() => {
    sleeper?.kill('SIGKILL');
    listener?.kill('SIGKILL');
    run('ip', ['netns', 'delete', a]);
    run('ip', ['netns', 'delete', b]);
  });

  const shells = [['dash', has('dash')] as const, ['busybox', has('busybox')] as const];
  for (const [shell, present] of shells) {
    it.skipIf(!present)(`runs under ${shell}: header, every section of each namespace, #@end`, () => {
      const args = shell === 'busybox' ? ['sh', script] : [script];
      const r = run(shell, [...args, '--netns-prefix', `${p}-`, '--no-root']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\n');
      expect(lines[0]).toBe('#@nflab-snapshot 1');
      expect(lines.filter((l) => l.startsWith('#@ns ')).sort()).toEqual([`#@ns netns ${a}`, `#@ns netns ${b}`]);
      for (const s of ['link', 'addr', 'route', 'rule', 'netns-ids', 'sysctl', 'iptables', 'nft', 'ipset'])
        expect(lines.filter((l) => l === `#@section ${s}`).length, s).toBe(2);
      expect(lines.filter((l) => l !== '').pop()).toBe('#@end');
      expect(r.stdout).toMatch(/-A POSTROUTING -s 10\.9\.0\.0\/24 -j MASQUERADE/);
      expect(r.stdout).toMatch(/^\/proc\/sys\/net\/ipv4\/ip_forward:0$/m);
      writeFileSync(join(tmp, `${shell}.nflab`), r.stdout);
    });
  }

  it('selects namespaces by name, by pid, and --all finds the pid namespace once', async () => {
    const byName = run('sh', [script, '--netns', `${b},${a}`, '--no-root']);
    expect(byName.stdout.match(/^#@ns .*/gm)).toEqual([`#@ns netns ${b}`, `#@ns netns ${a}`]);
    for (let i = 0; i < 50 && !sleeper?.pid; i++) await new Promise((r) => setTimeout(r, 20));
    const pid = run('sh', ['-c', `ip netns pids ${b}`])
      .stdout.trim()
      .split('\n')[0];
    const byPid = run('sh', [script, '--pid', pid, '--no-root']);
    expect(byPid.stdout.match(/^#@ns .*/gm)).toEqual([`#@ns pid ${pid}`]);
    const all = run('sh', [script, '--all']);
    expect(all.code).toBe(0);
    const nsLines = all.stdout.match(/^#@ns .*/gm) ?? [];
    expect(nsLines[0]).toBe('#@ns root');
    expect(nsLines).toContain(`#@ns netns ${a}`);
    expect(nsLines).toContain(`#@ns netns ${b}`);
    expect(nsLines).not.toContain(`#@ns pid ${pid}`);
  });

  it('runs from stdin (piped over ssh) exactly as from a file', () => {
    const fromFile = run('sh', [script, '--netns', `${a},${b}`, '--no-root']);
    const r = spawnSync('sh', ['-s', '--', '--netns', `${a},${b}`, '--no-root'], { input: readFileSync(script), encoding: 'utf8' });
    expect(r.status).toBe(0);
    const lines = (t: string) => t.split('\n').filter((l) => !/^# (Generated|Completed) /.test(l)); // iptables-save's timestamps
    expect(lines(r.stdout)).toEqual(lines(fromFile.stdout));
  });

  it('notes missing tools instead of failing, and reads sockets from /proc without ss', () => {
    const path = join(tmp, 'bin');
    run('mkdir', ['-p', path]);
    for (const t of ['ip', 'iptables', 'iptables-save', 'sed', 'sort', 'tr', 'cat', 'grep', 'ls', 'sh', 'uname', 'hostname', 'getent']) {
      const where = run('sh', ['-c', `command -v ${t}`]).stdout.trim();
      if (where) symlinkSync(where, join(path, t));
    }
    const r = run(join(path, 'sh'), [script, '--netns', a, '--no-root'], { PATH: path });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^#@missing nft$/m);
    expect(r.stdout).toMatch(/^#@missing ss$/m);
    expect(r.stdout).toMatch(/^#@section proc-net-tcp$/m);
    expect(r.stdout).toMatch(/^#@end$/m);
    writeFileSync(join(tmp, 'minimal.nflab'), r.stdout);
    const imp = run(process.execPath, [bin, 'import', join(tmp, 'minimal.nflab'), '-o', join(tmp, 'minimal'), '--strip-prefix', `${p}-`]);
    expect(imp.code, imp.stderr).toBe(0);
    const topo = readFileSync(join(tmp, 'minimal', 'topology.yaml'), 'utf8');
    expect(topo).toMatch(/"br0": \{ addr: \["10\.9\.0\.1\/24"\], kind: bridge/);
    // Without ss, the listener comes from /proc/net/tcp: address, port and uid.
    expect(topo).toMatch(/- \{ socket: "tcp:7777", uid: 1234, addr: "10\.9\.0\.1" \}/);
  });

  it('pairs the veth of two unnamed namespaces (--pid) by peer index and netns id alone', () => {
    const pids = [a, b].map(
      (n) =>
        run('sh', ['-c', `ip netns pids ${n}`])
          .stdout.trim()
          .split('\n')[0],
    );
    expect(pids.every((x) => /^\d+$/.test(x))).toBe(true);
    const r = run('sh', [script, '--pid', pids[0], '--pid', pids[1], '--no-root']);
    writeFileSync(join(tmp, 'pids.nflab'), r.stdout);
    const imp = run(process.execPath, [bin, 'import', join(tmp, 'pids.nflab'), '-o', join(tmp, 'pids')]);
    expect(imp.code, imp.stderr).toBe(0);
    const topo = readFileSync(join(tmp, 'pids', 'topology.yaml'), 'utf8');
    expect(topo).toMatch(new RegExp(`- \\["pid-${pids[0]}:x0", "pid-${pids[1]}:y0"\\]|- \\["pid-${pids[1]}:y0", "pid-${pids[0]}:x0"\\]`));
    expect(topo).toMatch(/- \{ socket: "tcp:7777", uid: 1234, addr: "10\.9\.0\.1" \}/);
  });

  it('imports both namespaces joined by their veth, with the IPv6 address named as left out', () => {
    const r = run('sh', [script, '--netns-prefix', `${p}-`, '--no-root']);
    writeFileSync(join(tmp, 'both.nflab'), r.stdout);
    const imp = run(process.execPath, [bin, 'import', join(tmp, 'both.nflab'), '-o', join(tmp, 'both'), '--strip-prefix', `${p}-`]);
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stderr).toMatch(
      /namespace netns .*-b, section addr: IPv6 is not modelled: 1 IPv6 address not imported \(2001:db8::2\/64 on y0\)/,
    );
    const topo = readFileSync(join(tmp, 'both', 'topology.yaml'), 'utf8');
    expect(topo).toMatch(/- \["a:x0", "b:y0"\]|- \["b:y0", "a:x0"\]/);
    expect(topo).toMatch(/"x0": \{ master: "br0"/);
    // The native nftables table is loaded from a file beside the topology; the ip nat table iptables-nft
    // made is the iptables rules, not a native table.
    expect(imp.stderr).not.toMatch(/section nft/);
    expect(topo).toMatch(/nftables: \{ file: "a\.nft" \}/);
    const nft = readFileSync(join(tmp, 'both', 'a.nft'), 'utf8');
    expect(nft).toMatch(/^table inet nflabtest \{[\s\S]*tcp dport 9 drop[\s\S]*\}\n$/);
    expect(nft).not.toMatch(/table ip nat/);
    expect(readFileSync(join(tmp, 'both', 'a.rules'), 'utf8')).toMatch(/-A POSTROUTING -s 10\.9\.0\.0\/24 -j MASQUERADE/);
  });

  it.skipIf(!has('iptables-legacy'))(
    'iptables-legacy rules: imported with iptables_backend legacy, or kept beside when nft rules exist too',
    () => {
      const c = `${p}-legacy`;
      try {
        run('ip', ['netns', 'add', c]);
        run('ip', ['netns', 'exec', c, 'iptables-legacy', '-A', 'INPUT', '-p', 'tcp', '--dport', '7', '-j', 'DROP']);
        const imp = (name: string) => {
          writeFileSync(join(tmp, `${name}.nflab`), run('sh', [script, '--netns', c, '--no-root']).stdout);
          return run(process.execPath, [bin, 'import', join(tmp, `${name}.nflab`), '-o', join(tmp, name), '--strip-prefix', `${p}-`]);
        };
        const only = imp('legacy-only');
        expect(only.code, only.stderr).toBe(0);
        expect(readFileSync(join(tmp, 'legacy-only', 'topology.yaml'), 'utf8')).toMatch(/^ {4}iptables_backend: legacy$/m);
        expect(readFileSync(join(tmp, 'legacy-only', 'legacy.rules'), 'utf8')).toMatch(/-A INPUT -p tcp -m tcp --dport 7 -j DROP/);
        run('ip', ['netns', 'exec', c, 'iptables-nft', '-A', 'INPUT', '-p', 'tcp', '--dport', '8', '-j', 'DROP']);
        const both = imp('legacy-both');
        expect(both.code, both.stderr).toBe(0);
        expect(both.stderr).toMatch(/section iptables-legacy: the host holds iptables-legacy rules beside its iptables-nft rules/);
        expect(readFileSync(join(tmp, 'legacy-both', 'legacy.legacy.rules'), 'utf8')).toMatch(/--dport 7 -j DROP/);
        expect(readFileSync(join(tmp, 'legacy-both', 'legacy.rules'), 'utf8')).toMatch(/--dport 8 -j DROP/);
      } finally {
        run('ip', ['netns', 'delete', c]);
      }
    },
  );

  it('reads a bundle from stdin with -', () => {
    const r = spawnSync(process.execPath, [bin, 'import', '-', '-o', join(tmp, 'stdin'), '--strip-prefix', `${p}-`], {
      input: readFileSync(join(tmp, 'both.nflab')),
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(tmp, 'stdin', 'topology.yaml'), 'utf8')).toMatch(/"b":/);
  });
});
