/**
 * `nflab serve` as a user runs it: the CLI as a process on a topology file,
 * a real ws client, the file refusals, and a clean exit on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { TestClient } from './testing/test-client.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));
const dir = mkdtempSync(join(tmpdir(), 'nflab-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function serve(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'nflab.js'), 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exit };
}

describe.skipIf(!built)(`nflab serve as a process${built ? '' : ' (skipped: run npm run build first)'}`, () => {
  it('confines a client to the scenario and capture directories, then exits 0 on SIGTERM', async () => {
    copyFileSync(join(ROOT, 'topologies', 'docker-port-mapping.yaml'), join(dir, 'lab.yaml'));
    const sc = readFileSync(join(ROOT, 'scenarios', 'docker-port-mapping.yaml'), 'utf8');
    writeFileSync(join(dir, 'ok.yaml'), sc.replace('../topologies/docker-port-mapping.yaml', 'lab.yaml'));
    const caps = join(dir, 'caps');
    const s = serve([join(dir, 'lab.yaml'), '--port', '0', '--capture-dir', caps]);
    // The last line before it serves; stdout may come in several pieces.
    for (let i = 0; i < 1000 && !s.out().includes('client captures go to'); i++) await new Promise((r) => setTimeout(r, 20));
    const url = /(ws:\/\/\S+)/.exec(s.out())![1];
    expect(s.out()).toContain(`clients may load scenarios from ${dir}`);
    expect(s.out()).toContain(`client captures go to ${caps}`);
    const c = await TestClient.connect(url);
    await c.waitFor((m) => m.type === 'hello');
    const passwd = await c.request({ type: 'command', cmd: 'load scenario /etc/passwd', ref: 1 });
    expect(passwd).toMatchObject({ ok: false });
    expect(passwd.output).toMatch(/outside the allowed directories/);
    expect(passwd.output).not.toMatch(/root:/);
    expect(await c.request({ type: 'command', cmd: 'load scenario ok.yaml', ref: 2 })).toMatchObject({
      ok: true,
      output: 'docker published port: 10 of 10 steps passed',
    });
    expect((await c.request({ type: 'command', cmd: `capture start ${join(dir, 'x.pcapng')}`, ref: 3 })).ok).toBe(false);
    const cap = await c.request({ type: 'command', cmd: 'capture start mine', ref: 4 });
    expect(cap.output).toContain(join(caps, 'mine.pcapng'));
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    expect(existsSync(join(caps, 'mine.pcapng'))).toBe(true);
    expect(s.err()).toBe('');
  });

  it('exits 2 with one line when --scenario-dir is not a directory', async () => {
    const s = serve([join(ROOT, 'topologies', 'docker-port-mapping.yaml'), '--port', '0', '--scenario-dir', join(dir, 'nope')]);
    expect(await s.exit).toBe(2);
    expect(s.err()).toBe(`nflab: --scenario-dir ${join(dir, 'nope')}: not a directory\n`);
  });
});
