import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FakeSession } from './testing/fake-session.js';
import { serveSession, waitForSignal } from './start.js';
import { TestClient } from './testing/test-client.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  let stop: (s: string) => void = () => {};
  const stopped = new Promise<string>((r) => (stop = r));
  return {
    out,
    err,
    stop: (s: string) => stop(s),
    io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), stopped: () => stopped },
  };
}

async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('serveSession', () => {
  it('prints the URL, serves until stopped, then tells clients and exits 0', async () => {
    const t = io();
    const done = serveSession(new FakeSession(), { port: 0, host: '127.0.0.1', token: 'tok', scenario: null }, t.io);
    await until(() => t.out.length > 0);
    const url = /(ws:\/\/127\.0\.0\.1:\d+\/)/.exec(t.out[0])?.[1];
    expect(url).toBeDefined();
    expect(t.out.join('\n')).toContain('?token=tok');
    const c = await TestClient.connect(`${url}?token=tok`);
    await c.waitFor((m) => m.type === 'hello');
    t.stop('SIGTERM');
    expect(await done).toBe(0);
    expect((await c.waitClosed()).code).toBe(1001);
    expect(t.err).toEqual([]);
  });

  it('refuses a busy port, a bad port and a missing scenario with exit code 2', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    const a = io();
    expect(await serveSession(new FakeSession(), { port, host: '127.0.0.1', token: null, scenario: null }, a.io)).toBe(2);
    expect(a.err[0]).toBe(`nflab: cannot listen on 127.0.0.1:${port}: address in use`);
    busy.close();
    const b = io();
    expect(await serveSession(new FakeSession(), { port: 70000, host: '127.0.0.1', token: null, scenario: null }, b.io)).toBe(2);
    const c = io();
    expect(await serveSession(new FakeSession(), { port: 0, host: '127.0.0.1', token: null, scenario: '/nonexistent/x.yaml' }, c.io)).toBe(
      2,
    );
    expect(c.err[0]).toContain('cannot read scenario');
  });

  it('waits for one of the named signals', async () => {
    const p = waitForSignal(['SIGUSR2']);
    const before = process.listenerCount('SIGUSR2');
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(await p).toBe('SIGUSR2');
    expect(process.listenerCount('SIGUSR2')).toBe(before - 1);
  });
});
