/**
 * `nflab import` on damaged bundles, as a user runs it: every problem is one
 * line naming the bundle, line and section; what can be imported still is and
 * passes `nflab check`; there is never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'nflab.js');
const good = readFileSync(join(root, 'test/fixtures/bundles/docker-port-mapping.nflab'), 'utf8');
const tmp = scratchDir('nflab-import-bad-');

function nflab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function importText(name: string, text: string) {
  const file = join(tmp, `${name}.nflab`);
  writeFileSync(file, text);
  const out = join(tmp, name);
  const r = nflab('import', file, '-o', out, '--strip-prefix', 'nfi-rt1-');
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  return { ...r, file, topology: join(out, 'topology.yaml') };
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.startsWith(needle)) + 1;

describe('nflab import on bad input', () => {
  it('imports the intact fixture with no warning, and the result passes check', () => {
    const r = importText('good', good);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/warning/);
    expect(r.stderr).toMatch(/imported .*: 4 nodes \(4 hosts\), 3 links, 17 iptables rules, 0 ipsets, 2 listeners, 3 routes/);
    expect(nflab('check', r.topology).code).toBe(0);
  });

  it('a truncated bundle: warns where it was cut, keeps the complete tables and namespaces before it', () => {
    const cut = good.split('\n');
    const at = lineOf(good, '*nat') + 3;
    const r = importText('truncated', cut.slice(0, at).join('\n') + '\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`truncated\\.nflab:${at}: namespace netns nfi-rt1-docker-host, section iptables: the bundle is truncated`),
    );
    expect(r.stderr).toMatch(/truncated\.nflab:\d+: namespace netns nfi-rt1-docker-host, section iptables: table \*nat has no COMMIT/);
    const topo = readFileSync(r.topology, 'utf8');
    expect(topo).toMatch(/"docker-host":/);
    expect(readFileSync(join(tmp, 'truncated', 'docker-host.rules'), 'utf8')).toMatch(/^(#.*\n)*\*filter[\s\S]*COMMIT\n$/);
    expect(nflab('check', r.topology).code).toBe(0);
  });

  it('corrupted JSON: names the section, line and column, and imports the rest', () => {
    const lines = good.split('\n');
    const k = lineOf(good, '#@section route'); // the route JSON of the first namespace is on the next line
    lines[k] = lines[k].slice(0, 40) + '}}garbage';
    const r = importText('corrupt', lines.join('\n'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`corrupt\\.nflab:${k + 1}: namespace netns nfi-rt1-docker-host, section route: corrupted JSON at column \\d+`),
    );
    expect(nflab('check', r.topology).code).toBe(0);
    expect(readFileSync(r.topology, 'utf8')).toMatch(/"docker-host-web":[\s\S]*default via 172\.17\.0\.1/);
  });

  it('an unknown section and a newer bundle version: warned, the rest imported', () => {
    const text = good
      .replace('#@nflab-snapshot 1', '#@nflab-snapshot 7')
      .replace('#@section cmdline', '#@section wireguard-peers\npeer x\n#@section cmdline');
    const r = importText('newer', text);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/newer\.nflab:1: written by a newer nflab-snapshot \(bundle version 7/);
    expect(r.stderr).toMatch(
      /newer\.nflab:\d+: namespace netns nfi-rt1-docker-host, section wireguard-peers: unknown section "wireguard-peers", ignored \(from a newer snapshot script\)/,
    );
    expect(nflab('check', r.topology).code).toBe(0);
  });

  it('IPv6 addresses and sockets: named as not modelled, IPv4 imported', () => {
    const text = good.replace(
      '"addr_info":[{"family":"inet","local":"198.51.100.10"',
      '"addr_info":[{"family":"inet6","local":"2001:db8::10","prefixlen":64},{"family":"inet","local":"198.51.100.10"',
    );
    expect(text).not.toBe(good);
    const r = importText('v6', text);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /v6\.nflab:\d+: namespace netns nfi-rt1-client, section addr: IPv6 is not modelled: 1 IPv6 address not imported \(2001:db8::10\/64 on eth0\)/,
    );
    expect(readFileSync(r.topology, 'utf8')).toMatch(/198\.51\.100\.10\/24/);
  });

  it('unmodellable interface kinds become dummies, with a warning and a comment in the file', () => {
    const text = good.replace('"linkinfo":{"info_kind":"bridge"', '"linkinfo":{"info_kind":"vxlan"');
    const r = importText('vxlan', text);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/section link: interface docker0 is of kind vxlan, which nflab does not model: imported as a dummy interface/);
    expect(readFileSync(r.topology, 'utf8')).toMatch(/"docker0": \{[^}]*kind: dummy[^}]*\}\s+# vxlan: not modelled/);
    expect(r.stderr).toMatch(/approximated or left out: .*docker-host:docker0 \(vxlan → dummy\)/);
    expect(nflab('check', r.topology).code).toBe(0);
  });

  it('a file that is not a bundle, or is missing: exit 2 with one line', () => {
    const r = importText('notabundle', '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/notabundle\.nflab:1: not an nflab snapshot bundle/);
    const m = nflab('import', join(tmp, 'nope.nflab'), '-o', join(tmp, 'nope'));
    expect(m.code).toBe(2);
    expect(m.stderr.trim()).toMatch(/^nflab: cannot read bundle .*nope\.nflab: no such file$/);
  });

  it('a rule nflab refuses is left out with a warning naming its bundle line, and the rest loads', () => {
    const text = good.replace('-A DOCKER-ISOLATION-STAGE-1 -j RETURN', '-A DOCKER-ISOLATION-STAGE-1 -j NOSUCHTARGET');
    expect(text).not.toBe(good);
    const r = importText('badrule', text);
    expect(r.code, r.stderr).toBe(0);
    const at = lineOf(text, '-A DOCKER-ISOLATION-STAGE-1 -j NOSUCHTARGET');
    expect(r.stderr).toMatch(
      new RegExp(`badrule\\.nflab:${at}: namespace netns nfi-rt1-docker-host, section iptables: nflab refuses this rule`),
    );
    expect(readFileSync(join(tmp, 'badrule', 'docker-host.rules'), 'utf8')).toMatch(
      /^# nflab import left out: -A DOCKER-ISOLATION-STAGE-1 -j NOSUCHTARGET$/m,
    );
    expect(nflab('check', r.topology).code).toBe(0);
  });

  it('a route nflab refuses is left out with a warning naming its bundle line, and the rest loads', () => {
    const text = good.replace('"dst":"default","gateway":"198.51.100.1"', '"dst":"default","gateway":"10.99.0.1"');
    expect(text).not.toBe(good);
    const r = importText('badroute', text);
    expect(r.code, r.stderr).toBe(0);
    const at = text.split('\n').findIndex((l) => l.includes('"gateway":"10.99.0.1"')) + 1;
    expect(r.stderr).toMatch(
      new RegExp(
        `badroute\\.nflab:${at}: namespace netns nfi-rt1-client, section route: nflab refuses route "default via 10\\.99\\.0\\.1 dev eth0" \\(.*\\); left out`,
      ),
    );
    const topo = readFileSync(r.topology, 'utf8');
    expect(topo).not.toMatch(/^\s+- "default via 10\.99\.0\.1/m);
    expect(topo).toMatch(/# {3}- netns nfi-rt1-client route: nflab refuses route/);
    expect(nflab('check', r.topology).code).toBe(0);
  });

  it('ipsets: supported types with their members; another type is named and the rule using it left out', () => {
    const sets = [
      '#@section ipset',
      'create allowed hash:net family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x1',
      'add allowed 198.51.100.0/24',
      'add allowed 203.0.113.0/25',
      'create ports bitmap:port range 0-65535',
      'add ports 8080',
      'create both list:set size 8',
      'add both allowed',
    ].join('\n');
    let text = good.replace(/#@section ipset\n(#@missing ipset)?/, `${sets}\n`);
    text = text.replace('-A DOCKER-ISOLATION-STAGE-1 -j RETURN', '-A DOCKER-ISOLATION-STAGE-1 -m set --match-set both src -j RETURN');
    const r = importText('ipsets', text);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/section ipset: ipset both is of type list:set, which nflab does not model; not imported/);
    expect(r.stderr).toMatch(
      /section iptables: nflab refuses this rule \(.*\); left out: -A DOCKER-ISOLATION-STAGE-1 -m set --match-set both src -j RETURN/,
    );
    const topo = readFileSync(r.topology, 'utf8');
    expect(topo).toMatch(/"allowed": \{ type: "hash:net", members: \["198\.51\.100\.0\/24", "203\.0\.113\.0\/25"\] \}/);
    expect(topo).toMatch(/"ports": \{ type: "bitmap:port", members: \["8080"\] \}/);
    expect(nflab('check', r.topology).code).toBe(0);
  });
});
