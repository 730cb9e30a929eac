/**
 * A feed client may read only the scenarios the server offers and write
 * captures only where the server says, and no error shows what a file holds.
 * Driven with real ws clients against a real session, on files laid out in a
 * temporary directory (with symlinks that lead out of it).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../session/session.js';
import { loadTopologyFile } from '../topology/load.js';
import { FakeSession } from './testing/fake-session.js';
import { redact } from './file-access.js';
import { createFeedServer, type FeedServer, type FeedServerOptions } from './server.js';
import { type Msg, TestClient } from './testing/test-client.js';

const SECRET = 'hunter2-SECRET-7f3a';
const root = mkdtempSync(join(tmpdir(), 'nflab-feed-files-'));
const labDir = join(root, 'lab');
const outside = join(root, 'outside');

function write(path: string, text: string) {
  writeFileSync(path, text);
}

beforeAll(() => {
  mkdirSync(join(labDir, 'sub'), { recursive: true });
  mkdirSync(outside);
  copyFileSync(fileURLToPath(new URL('../../topologies/docker-port-mapping.yaml', import.meta.url)), join(labDir, 'docker.yaml'));
  const scenario = readFileSync(fileURLToPath(new URL('../../scenarios/docker-port-mapping.yaml', import.meta.url)), 'utf8');
  write(join(labDir, 'ok.yaml'), scenario.replace('../topologies/docker-port-mapping.yaml', 'docker.yaml'));
  write(join(labDir, 'sub', 'nested.yaml'), scenario.replace('../topologies/docker-port-mapping.yaml', '../docker.yaml'));
  symlinkSync(join(labDir, 'ok.yaml'), join(labDir, 'alias.yaml'));
  // Secrets outside the directory, and paths that lead to them.
  write(join(outside, 'secret.yaml'), `password: ${SECRET}\nsteps: []\ntopology: x\n`);
  write(join(outside, 'secret.rules'), `*filter\n-A INPUT -m comment --comment ${SECRET} -j DROP\nCOMMIT\n`);
  write(join(outside, 'topo.yaml'), readFileSync(join(labDir, 'docker.yaml'), 'utf8'));
  symlinkSync(join(outside, 'secret.yaml'), join(labDir, 'link-out.yaml'));
  symlinkSync(outside, join(labDir, 'linkdir'));
  write(join(labDir, 'refs-out.yaml'), scenario.replace('../topologies/docker-port-mapping.yaml', '../outside/topo.yaml'));
  write(join(labDir, 'rules-out.yaml'), `topology:\n  hosts:\n    a:\n      iptables: { file: ../outside/secret.rules }\nsteps: []\n`);
  // Files inside that are not scenarios, or are broken ones quoting what they hold.
  write(join(labDir, 'secret.txt'), `${SECRET}\n`);
  execFileSync('mkfifo', [join(labDir, 'fifo.rules')]);
  write(join(labDir, 'fifo-ref.yaml'), `topology:\n  hosts:\n    a:\n      iptables: { file: fifo.rules }\nsteps: []\n`);
  execFileSync('mkfifo', [join(labDir, 'fifo.yaml')]);
  write(join(labDir, 'passwd.yaml'), `root:x:0:0:${SECRET}:/root:/bin/bash\n`);
  write(join(labDir, 'config.yaml'), `db_password: ${SECRET}\napi: { key: ${SECRET} }\n`);
  write(
    join(labDir, 'bad.yaml'),
    [
      'topology: docker.yaml',
      `${SECRET}: 1`,
      'steps:',
      `  - connect: { from: client, to: "${SECRET}" }`,
      `  - ping: { from: ${SECRET}, to: 10.0.0.1 }`,
      `  - wait: ${SECRET}`,
      '',
    ].join('\n'),
  );
  write(join(labDir, 'broken.yaml'), `topology: docker.yaml\nsteps:\n  - connect: { from: client, to: "${SECRET}\n    bad: [${SECRET}\n`);
  write(join(labDir, 'badtopo.yaml'), `topology: badtopo-t.yaml\nsteps: []\n`);
  write(
    join(labDir, 'badtopo-t.yaml'),
    `hosts:\n  ${SECRET}:\n    interfaces: { eth0: { addr: "${SECRET}" } }\n    iptables: |\n      *filter\n      -A INPUT --${SECRET} -j DROP\n      COMMIT\n`,
  );
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

let server: FeedServer | null = null;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await server?.close();
  server = null;
});

async function serveLab(opts: FeedServerOptions = {}): Promise<TestClient> {
  const t = loadTopologyFile(join(labDir, 'docker.yaml'));
  if (!t.ok) throw new Error(t.error.map((d) => d.message).join('\n'));
  const s = Session.create(t.value, 1);
  if (!s.ok) throw new Error('session');
  server = await createFeedServer(s.value, { port: 0, ...opts });
  const c = await TestClient.connect(`ws://127.0.0.1:${server.port}/`);
  clients.push(c);
  await c.waitFor((m) => m.type === 'hello');
  return c;
}

let ref = 0;
const command = (c: TestClient, cmd: string): Promise<Msg> => c.request({ type: 'command', cmd, ref: ++ref });

describe('load scenario over the feed', () => {
  it('runs a scenario from the served topology directory, by a relative name, a subdirectory or a symlink that stays inside', async () => {
    const c = await serveLab();
    for (const name of ['ok.yaml', 'sub/nested.yaml', 'alias.yaml', `"${join(labDir, 'ok.yaml')}"`]) {
      await command(c, 'reset');
      const r = await command(c, `load scenario ${name}`);
      expect(r.ok, r.output).toBe(true);
      expect(r.output).toMatch(/^docker published port: (\d+) of \1 steps passed$/);
    }
  });

  it('refuses .., absolute paths, symlinks out, and files a scenario names outside, without reading them', async () => {
    const c = await serveLab();
    const cases: Array<[string, RegExp]> = [
      ['../outside/secret.yaml', /outside the allowed directories/],
      ['sub/../../outside/secret.yaml', /outside the allowed directories/],
      ['/etc/passwd', /outside the allowed directories/],
      [join(outside, 'secret.yaml'), /outside the allowed directories/],
      ['link-out.yaml', /leads outside the allowed directories/],
      ['linkdir/secret.yaml', /leads outside the allowed directories/],
      ['secret.txt', /not a \.yaml or \.yml file/],
      ['refs-out.yaml', /its topology \.\.\/outside\/topo\.yaml: leads outside/],
      ['rules-out.yaml', /file \.\.\/outside\/secret\.rules: leads outside/],
      ['missing.yaml', /no such file/],
      ['fifo.yaml', /not a regular file/],
      ['fifo-ref.yaml', /file fifo\.rules: not a regular file/],
    ];
    for (const [name, why] of cases) {
      const r = await command(c, `load scenario ${name}`);
      expect(r.ok, name).toBe(false);
      expect(r.output, name).toMatch(why);
      expect(r.output, name).not.toContain(SECRET);
      expect(r.output, name).not.toContain('root:x:0:0');
    }
    // Nothing ran: a refused scenario never reaches the lab.
    expect(c.events().filter((m) => m.kind.startsWith('packet.'))).toEqual([]);
  });

  it('never quotes what a file holds: not-a-scenario files say so, broken ones keep file:line:col but not the text', async () => {
    const c = await serveLab();
    for (const name of ['passwd.yaml', 'config.yaml']) {
      const r = await command(c, `load scenario ${name}`);
      expect(r).toMatchObject({ ok: false });
      expect(r.output).toMatch(/not a scenario/);
      expect(r.output).not.toContain(SECRET);
    }
    for (const name of ['bad.yaml', 'broken.yaml', 'badtopo.yaml']) {
      const r = await command(c, `load scenario ${name}`);
      expect(r.ok, name).toBe(false);
      expect(r.output, name).toMatch(name === 'badtopo.yaml' ? /badtopo-t\.yaml: does not load \(\d+ problems?; / : /\.yaml:\d+:\d+: /);
      expect(r.output, name).not.toContain(SECRET);
      expect(r.output, name).not.toContain('hunter2');
    }
    // The session itself (the terminal UI's path) still shows its author everything.
    const local = (server as unknown as { session: Session }).session.command(`load scenario ${join(labDir, 'bad.yaml')}`);
    expect(local.output).toContain(SECRET);
  });

  it('reads from --scenario-dir when given, and nowhere when the topology has no directory', async () => {
    const c = await serveLab({ scenarioDir: join(labDir, 'sub') });
    expect((await command(c, 'help')).output).toContain(`load scenario reads it from ${join(labDir, 'sub')}`);
    expect((await command(c, 'load scenario nested.yaml')).ok).toBe(true);
    const r = await command(c, 'load scenario ../ok.yaml');
    expect(r.output).toMatch(/outside the allowed directories/);
    await server!.close();
    server = await createFeedServer(new FakeSession(), { port: 0 });
    const f = await TestClient.connect(`ws://127.0.0.1:${server.port}/`);
    clients.push(f);
    await f.waitFor((m) => m.type === 'hello');
    expect((await command(f, 'load scenario ok.yaml')).output).toMatch(/no scenario directory/);
  });
});

describe('captures over the feed', () => {
  it('writes NAME.pcapng in the capture directory and says where; refuses paths and existing files', async () => {
    const dir = join(root, 'caps');
    const c = await serveLab({ captureDir: dir });
    for (const name of ['../x', '/tmp/x.pcapng', 'a/b', '.hidden', '..', `"${join(root, 'x.pcapng')}"`]) {
      const r = await command(c, `capture start ${name}`);
      expect(r.ok, name).toBe(false);
      expect(r.output, name).toMatch(/give a file name/);
    }
    expect(existsSync(join(root, 'x.pcapng'))).toBe(false);
    const started = await command(c, 'capture start run1 client');
    expect(started.ok, started.output).toBe(true);
    expect(started.output).toContain(join(dir, 'run1.pcapng'));
    const from = c.messages.length;
    await command(c, 'client ping 198.51.100.1');
    await c.waitFor((m) => m.kind === 'probe.result', from, 10_000);
    const stopped = await command(c, 'capture stop');
    expect(stopped.output).toMatch(new RegExp(`^wrote [1-9]\\d* frames to ${join(dir, 'run1.pcapng')}$`));
    expect(readFileSync(join(dir, 'run1.pcapng')).readUInt32LE(0)).toBe(0x0a0d0d0a);
    const again = await command(c, 'capture start run1.pcapng');
    expect(again).toMatchObject({ ok: false });
    expect(again.output).toMatch(/already exists/);
  });

  it('defaults to a new temporary directory', async () => {
    const c = await serveLab();
    const r = await command(c, 'capture start t');
    expect(r.ok, r.output).toBe(true);
    const dir = server!.captureDir();
    expect(dir).toMatch(/nflab-captures-/);
    expect(r.output).toContain(join(dir, 't.pcapng'));
    await command(c, 'capture stop');
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('redact', () => {
  it('replaces quoted pieces and whole lines found in the files, keeping the rest', () => {
    const files = ['name: x\nsteps:\n  - connect: { to: "s3cret" }\nline of text here\n'];
    const r = (s: string) => redact(s, files, 'f.yaml');
    expect(r('f.yaml:3:5: `to` must be IP or IP:PORT, not "s3cret"')).toBe('f.yaml:3:5: `to` must be IP or IP:PORT, not "…"');
    expect(r("f.yaml:2:1: Bad argument `s3cret'")).toBe('f.yaml:2:1: Bad argument "…"');
    expect(r('f.yaml:4:1: line of text here')).toBe('f.yaml:4:1: …');
    expect(r('f.yaml:1:1: unknown key "conect" (did you mean "connect"?)')).toBe('f.yaml:1:1: unknown key "conect" (did you mean "…"?)');
    // Unquoted, as a node name inside a longer word: anything with a digit, a capital or length is taken out.
    expect(r('f.yaml:3:1: interface s3cret:eth0 has no address')).toBe('f.yaml:3:1: interface …:eth0 has no address');
    expect(r('x: 3 of 4 steps passed')).toBe('x: 3 of 4 steps passed');
    // Another file's problems are counted, never shown.
    expect(r('/t.yaml:2:1: bad "s3cret"\n/t.yaml:3:1: worse')).toBe('/t.yaml: does not load (2 problems; run nflab check on it)');
  });
});
