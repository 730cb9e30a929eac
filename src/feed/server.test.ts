import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket } from 'ws';
import { bigOutput, FakeSession, fakeTopology } from './testing/fake-session.js';
import { createFeedServer, type FeedServer, type FeedServerOptions } from './server.js';
import { type Msg, TestClient } from './testing/test-client.js';

let server: FeedServer | null = null;
const clients: TestClient[] = [];

async function start(opts: FeedServerOptions = {}, session = new FakeSession()) {
  server = await createFeedServer(session, { port: 0, closeGraceMs: 300, ...opts });
  return { server, session, ws: `ws://127.0.0.1:${server.port}/` };
}

async function connect(url: string, headers: Record<string, string> = {}): Promise<TestClient> {
  const c = await TestClient.connect(url, headers);
  clients.push(c);
  await c.waitFor((m) => m.type === 'hello');
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await server?.close();
  server = null;
});

const ids = (ms: Msg[]) => ms.map((m) => m.id as number);

describe('hello and events', () => {
  it('greets first with the version, graph, state and ids, then streams numbered events', async () => {
    const { ws } = await start();
    const c = await connect(ws);
    const hello = c.messages[0];
    expect(hello).toMatchObject({ type: 'hello', protocol: 'nflab-feed', version: 2, state: 'loaded', last_id: 0, oldest_id: 1 });
    expect(hello.graph.nodes.map((n: Msg) => n.name)).toEqual(['a', 'b', 'c']);
    expect(hello.graph.links).toEqual([
      { a: 'a:eth0', b: 'b:eth0', latency_us: 100 },
      { a: 'a:eth0', b: 'c:eth0', latency_us: 100 },
    ]);

    const queued = await c.request({ type: 'command', cmd: 'hop a b 2', ref: 1 });
    expect(queued).toMatchObject({ type: 'result', ok: true, cmd: 'hop a b 2', state: 'paused' });
    const ran = await c.request({ type: 'command', cmd: 'run', ref: 2 });
    expect(ran.ok).toBe(true);
    await c.waitFor((m) => m.kind === 'sim.state' && m.data.state === 'finished');
    const ev = c.events();
    const got = ids(ev);
    expect(got).toEqual([...got].sort((x, y) => x - y));
    expect(new Set(got).size).toBe(got.length);
    const hops = ev.filter((m) => m.kind === 'packet.hop');
    expect(hops).toHaveLength(2);
    expect(hops[0]).toMatchObject({ type: 'event', node: 'a', packet: 1, step: { node: 'a', link: { from: 'a:eth0', to: 'b:eth0' } } });
    expect(ev.filter((m) => m.kind === 'packet.end').map((m) => m.outcome)).toEqual(['delivered', 'delivered']);
    expect(ev.map((m) => m.kind === 'sim.state' && m.data.state).filter(Boolean)).toEqual(['paused', 'running', 'finished']);
  });

  it('steps one event at a time and serves traces on request', async () => {
    const { ws } = await start();
    const c = await connect(ws);
    await c.request({ type: 'command', cmd: 'hop a c', ref: 'q' });
    const before = c.events().filter((m) => m.kind.startsWith('packet.')).length;
    await c.request({ type: 'command', cmd: 'step', ref: 's' });
    expect(c.events().filter((m) => m.kind.startsWith('packet.')).length).toBe(before + 1);
    const t = await c.request({ type: 'get_trace', packet: 1, ref: 't' });
    expect(t.trace).toMatchObject({ id: 1, outcome: 'delivered' });
    expect(t.trace.steps[0].link.to).toBe('c:eth0');
    const none = await c.request({ type: 'get_trace', packet: 99, ref: 'u' });
    expect(none.trace).toBeNull();
  });

  it('reports failing and crashing commands without losing the connection', async () => {
    const { ws } = await start();
    const c = await connect(ws);
    expect(await c.request({ type: 'command', cmd: 'frobnicate', ref: 1 })).toMatchObject({
      ok: false,
      output: 'unknown command or node "frobnicate" (try help)',
    });
    const boom = await c.request({ type: 'command', cmd: 'boom', ref: 2 });
    expect(boom.ok).toBe(false);
    expect(boom.output).toContain('engine exploded');
    expect(await c.request({ type: 'ping', ref: 3 })).toMatchObject({ type: 'pong', state: 'loaded' });
    // A failure inside a running slice pauses the session and tells everyone; the server lives on.
    const from = c.messages.length;
    c.send({ type: 'command', cmd: 'crash', ref: 4 });
    const e = await c.waitFor((m) => m.type === 'error', from);
    expect(e).toMatchObject({ ref: null, code: 'internal', message: 'the simulation stopped: scheduler invariant broken' });
    expect(await c.request({ type: 'ping', ref: 5 })).toMatchObject({ type: 'pong', state: 'paused' });
  });

  it('serves many clients the same stream', async () => {
    const { ws } = await start();
    const many = await Promise.all(Array.from({ length: 25 }, () => connect(ws)));
    await many[0].request({ type: 'command', cmd: 'hop b c 3', ref: 1 });
    await many[3].request({ type: 'command', cmd: 'run', ref: 1 });
    await Promise.all(many.map((c) => c.waitFor((m) => m.kind === 'sim.state' && m.data.state === 'finished')));
    const first = ids(many[0].events());
    expect(first.length).toBeGreaterThan(10);
    for (const c of many) expect(ids(c.events())).toEqual(first);
  });
});

describe('subscriptions', () => {
  it('filters by node, counting both ends of a hop', async () => {
    const { ws } = await start();
    const c = await connect(ws);
    const sub = await c.request({ type: 'subscribe', nodes: ['b'], ref: 's' });
    expect(sub).toMatchObject({ type: 'subscribed', subscription: { nodes: ['b'], kinds: null } });
    await c.request({ type: 'command', cmd: 'hop a b', ref: 1 });
    await c.request({ type: 'command', cmd: 'hop a c', ref: 2 });
    await c.request({ type: 'command', cmd: 'run', ref: 3 });
    await c.waitFor((m) => m.kind === 'sim.state' && m.data.state === 'finished');
    const packets = c.events().filter((m) => m.kind.startsWith('packet.'));
    // packet 1 (a→b): the hop (ends at b), the delivery and end at b; never packet 2 (a→c) nor packet.new at a.
    expect(packets.map((m) => [m.packet, m.kind])).toEqual([
      [1, 'packet.hop'],
      [1, 'packet.deliver'],
      [1, 'packet.end'],
    ]);
    expect(c.events().some((m) => m.kind === 'sim.state')).toBe(true);
  });

  it('filters by kind and family, from the URL or a message', async () => {
    const { ws } = await start();
    const c = await connect(`${ws}?kinds=packet.deliver,rules.changed`);
    expect(c.messages[0].subscription).toEqual({ nodes: null, kinds: ['packet.deliver', 'rules.changed'] });
    const d = await connect(ws);
    await d.request({ type: 'subscribe', kinds: ['sim.*'], ref: 1 });
    await d.request({ type: 'command', cmd: 'hop a b 2', ref: 2 });
    await d.request({ type: 'command', cmd: 'rules c', ref: 3 });
    await d.request({ type: 'command', cmd: 'run', ref: 4 });
    await c.waitFor((m) => m.kind === 'packet.deliver' && m.packet === 2);
    await d.waitFor((m) => m.kind === 'sim.state' && m.data.state === 'finished');
    expect(c.events().map((m) => m.kind)).toEqual(['rules.changed', 'packet.deliver', 'packet.deliver']);
    expect(new Set(d.events().map((m) => m.kind))).toEqual(new Set(['sim.state']));
  });

  it('refuses unknown nodes and kinds and keeps the old subscription', async () => {
    const { ws } = await start();
    const c = await connect(ws);
    await c.request({ type: 'subscribe', kinds: ['packet.hop'], ref: 0 });
    expect(await c.request({ type: 'subscribe', nodes: ['nope'], ref: 1 })).toMatchObject({ type: 'error', code: 'unknown-node' });
    expect(await c.request({ type: 'subscribe', kinds: ['packet.teleport'], ref: 2 })).toMatchObject({
      type: 'error',
      code: 'unknown-kind',
    });
    await c.request({ type: 'command', cmd: 'hop a b', ref: 3 });
    await c.request({ type: 'command', cmd: 'run', ref: 4 });
    await c.waitFor((m) => m.kind === 'packet.hop');
    await c.request({ type: 'ping', ref: 5 });
    expect(new Set(c.events().map((m) => m.kind))).toEqual(new Set(['packet.hop']));
  });
});

describe('resume after reconnect', () => {
  it('replays exactly what was missed, through the URL or a message', async () => {
    const { ws } = await start();
    const watcher = await connect(ws);
    const c = await connect(ws);
    await c.request({ type: 'command', cmd: 'hop a b', ref: 1 });
    await c.request({ type: 'command', cmd: 'run', ref: 2 });
    await c.waitFor((m) => m.kind === 'sim.state' && m.data.state === 'finished');
    const seen = ids(c.events());
    const lastSeen = seen[seen.length - 1];
    c.ws.terminate();
    await watcher.request({ type: 'command', cmd: 'hop b c 2', ref: 1 });
    await watcher.request({ type: 'command', cmd: 'run', ref: 2 });
    await watcher.waitFor((m) => m.kind === 'sim.state' && m.data.state === 'finished' && m.id > lastSeen);
    const missed = ids(watcher.events()).filter((i) => i > lastSeen);

    const back = await connect(`${ws}?last_id=${lastSeen}`);
    const resumed = await back.waitFor((m) => m.type === 'resumed');
    expect(resumed).toMatchObject({ after: lastSeen, count: missed.length });
    expect(ids(back.events())).toEqual(missed);

    const viaMessage = await connect(ws);
    const r = await viaMessage.request({ type: 'resume', last_id: lastSeen, ref: 'r' });
    expect(r).toMatchObject({ type: 'resumed', count: missed.length });
    expect(ids(viaMessage.events())).toEqual(missed);
  });

  it('says plainly when the missed events are gone or were never sent', async () => {
    const { ws } = await start({ limits: { buffer_events: 5 } });
    const c = await connect(ws);
    await c.request({ type: 'command', cmd: 'hop a b 3', ref: 1 });
    await c.request({ type: 'command', cmd: 'run', ref: 2 });
    await c.waitFor((m) => m.kind === 'sim.state' && m.data.state === 'finished');
    const last = ids(c.events()).at(-1)!;
    expect(last).toBeGreaterThan(10);
    // Asked on a connection made now: everything up to its hello would have to be replayed.
    const d = await connect(ws);
    expect(d.messages[0]).toMatchObject({ last_id: last, oldest_id: last - 4 });
    const old = await d.request({ type: 'resume', last_id: 1, ref: 'old' });
    expect(old).toMatchObject({ type: 'error', code: 'resume-too-old', oldest_id: last - 4, last_id: last });
    expect(old.message).toContain('no longer buffered');
    expect(await d.request({ type: 'resume', last_id: last + 50, ref: 'new' })).toMatchObject({ type: 'error', code: 'resume-unknown-id' });
    const edge = await d.request({ type: 'resume', last_id: last - 5, ref: 'edge' });
    expect(edge).toMatchObject({ type: 'resumed', count: 5, through: last });
    expect(ids(d.events())).toEqual([last - 4, last - 3, last - 2, last - 1, last]);
    // The first connection saw everything live: nothing to replay, and no false alarm.
    expect(await c.request({ type: 'resume', last_id: 1, ref: 'live' })).toMatchObject({ type: 'resumed', count: 0 });
  });
});

describe('access', () => {
  it('refuses clients without the token and accepts the header or the query', async () => {
    const { ws } = await start({ token: 's3cret' });
    await expect(TestClient.connect(ws)).rejects.toThrow('HTTP 401');
    await expect(TestClient.connect(`${ws}?token=wrong`)).rejects.toThrow('HTTP 401');
    await expect(TestClient.connect(ws, { authorization: 'Bearer s3cre' })).rejects.toThrow('HTTP 401');
    expect((await connect(`${ws}?token=s3cret`)).messages[0].type).toBe('hello');
    expect((await connect(ws, { authorization: 'Bearer s3cret' })).messages[0].type).toBe('hello');
  });

  it('tells a page at /access whether a token is needed and whether its own is right, without one', async () => {
    const { server } = await start({ token: 's3cret' });
    const ask = async (q: string, headers: Record<string, string> = {}) => (await fetch(`${server.url}access${q}`, { headers })).json();
    expect(await ask('')).toEqual({ token_required: true, authorized: false });
    expect(await ask('?token=nope')).toEqual({ token_required: true, authorized: false });
    expect(await ask('?token=s3cret')).toEqual({ token_required: true, authorized: true });
    expect(await ask('', { authorization: 'Bearer s3cret' })).toEqual({ token_required: true, authorized: true });
    await server.close();
    const open = await start();
    expect(await (await fetch(`${open.server.url}access`)).json()).toEqual({ token_required: false, authorized: true });
  });

  it('refuses browser pages from other origins', async () => {
    const { ws, server } = await start();
    await expect(TestClient.connect(ws, { origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
    expect((await connect(ws, { origin: `http://127.0.0.1:${server.port}` })).messages[0].type).toBe('hello');
  });

  it('serves the viewer page and the schema over plain HTTP', async () => {
    const { server } = await start({ token: 't' });
    const page = await fetch(server.url);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<html');
    expect(html).toContain('nflab-feed');
    const schema = (await (await fetch(`${server.url}schema.json`)).json()) as Msg;
    expect(schema.$defs.hello).toBeDefined();
    expect((await fetch(`${server.url}nope`)).status).toBe(404);
  });
});

describe('robustness', () => {
  it('answers malformed, unknown and oversized messages with errors and stays usable', async () => {
    const { ws } = await start({ limits: { max_message_bytes: 1024 } });
    const c = await connect(ws);
    const cases: Array<[unknown, string]> = [
      ['{not json', 'bad-json'],
      ['[1,2]', 'bad-message'],
      ['"hi"', 'bad-message'],
      [{ cmd: 'run' }, 'bad-message'],
      [{ type: 'teleport' }, 'unknown-type'],
      [{ type: 'command', cmd: '' }, 'bad-message'],
      [{ type: 'command', cmd: 42 }, 'bad-message'],
      [{ type: 'resume', last_id: -1 }, 'bad-message'],
      [{ type: 'subscribe', nodes: 'a' }, 'bad-message'],
      [{ type: 'command', cmd: 'x'.repeat(5000) }, 'too-large'],
    ];
    for (const [m, code] of cases) {
      const from = c.messages.length;
      c.send(m);
      const e = await c.waitFor((x) => x.type === 'error', from);
      expect(e.code, JSON.stringify(m).slice(0, 40)).toBe(code);
    }
    const from = c.messages.length;
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await c.waitFor((x) => x.type === 'error', from)).code).toBe('bad-message');
    expect(await c.request({ type: 'ping', ref: 'still-here' })).toMatchObject({ type: 'pong' });
    expect(c.closed).toBeNull();
  });

  it('drops a client that stops reading, with bounded memory, while the simulation and others go on', async () => {
    const limit = 256 * 1024;
    const session = new FakeSession();
    const { ws, server } = await start({ limits: { client_queue_bytes: limit }, sliceEvents: 20, closeGraceMs: 10_000 }, session);
    const slow = await connect(ws);
    const fast = await connect(ws);
    // The slow client stops reading from its socket: kernel buffers fill, then the server's queue.
    (slow.ws as WebSocket & { _socket: { pause(): void; resume(): void } })._socket.pause();
    await fast.request({ type: 'command', cmd: 'flood 2000', ref: 1 });
    const deadline = performance.now() + 20_000;
    while (server.stats().dropped === 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(server.stats().dropped).toBe(1);
    const ranAtDrop = session.ran;
    const fastSeen = fast.events().length;
    await new Promise((r) => setTimeout(r, 200));
    expect(session.ran).toBeGreaterThan(ranAtDrop);
    await fast.waitFor(() => fast.events().length > fastSeen + 10);
    await fast.request({ type: 'command', cmd: 'pause', ref: 2 });
    expect(server.stats().clients).toBe(1);
    // Never more than one message beyond the bound waited for the slow client.
    expect(server.stats().peakQueued).toBeLessThanOrEqual(limit + 4096);
    expect(server.stats().peakQueued).toBeGreaterThan(limit / 2);
    const fastIds = ids(fast.events());
    expect(fastIds.every((id, i) => i === 0 || id > fastIds[i - 1])).toBe(true);

    (slow.ws as WebSocket & { _socket: { resume(): void } })._socket.resume();
    const closed = await slow.waitClosed(10_000);
    expect(closed.code).toBe(4008);
    expect(slow.messages.at(-1)).toMatchObject({ type: 'goodbye', reason: 'slow-client' });
  });

  it('shuts down cleanly: every client is told, then the port is closed', async () => {
    const { ws, server } = await start();
    const a = await connect(ws);
    const b = await connect(ws);
    await server.close();
    for (const c of [a, b]) {
      expect((await c.waitClosed()).code).toBe(1001);
      expect(c.messages.at(-1)).toMatchObject({ type: 'goodbye', reason: 'shutdown' });
    }
    await expect(TestClient.connect(ws)).rejects.toThrow();
    await server.close();
  });
});

describe('long outputs and replays', () => {
  const joined = (c: TestClient, ref: unknown) => {
    const r = c.messages.find((m) => m.type === 'result' && m.ref === ref)!;
    const parts = c.messages.filter((m) => m.type === 'output' && m.ref === ref);
    return { r, parts, text: r.output + parts.map((m) => m.data).join('') };
  };

  it('sends a 6 MB answer in order, in chunks, to a client whose queue holds 256 KiB, and never calls it slow', async () => {
    const { ws, server } = await start({ limits: { client_queue_bytes: 256 * 1024 } });
    const c = await connect(ws);
    const other = await connect(ws);
    await c.request({ type: 'command', cmd: 'hop a b 50', ref: 'q' });
    c.send({ type: 'command', cmd: 'run', ref: 'run' });
    c.send({ type: 'command', cmd: 'big 6000000', ref: 'big' });
    c.send({ type: 'ping', ref: 'after' });
    await c.waitFor((m) => m.type === 'pong' && m.ref === 'after', 0, 20_000);
    const { r, parts, text } = joined(c, 'big');
    expect(r).toMatchObject({ ok: true, more: true, output_length: 6_000_000 });
    expect(parts.length).toBeGreaterThan(20);
    expect(parts.map((m) => m.seq)).toEqual(parts.map((_, i) => i + 1));
    expect(parts.slice(0, -1).every((m) => m.more === true) && parts.at(-1)!.more === false).toBe(true);
    expect(text).toBe(bigOutput(6_000_000));
    // Chunks end at line ends, so a client can show each as it comes.
    expect(parts.slice(0, -1).every((m) => m.data.endsWith('\n'))).toBe(true);
    // The pong came after the last chunk: replies keep their order.
    const order = c.messages.map((m) => (m.type === 'output' ? 'o' : m.type === 'pong' ? 'p' : '')).join('');
    expect(order.endsWith('op')).toBe(true);
    expect(server.stats().dropped).toBe(0);
    expect(c.closed).toBeNull();
    const finished = (x: TestClient) => x.waitFor((m) => m.kind === 'sim.state' && m.data.state === 'finished', 0, 20_000);
    await Promise.all([finished(c), finished(other)]);
    expect(ids(other.events())).toEqual(ids(c.events()));
  });

  it('keeps the answer for a client that pauses reading for a while', async () => {
    const { ws, server } = await start({ limits: { client_queue_bytes: 256 * 1024 } });
    const c = await connect(ws);
    const sock = (c.ws as WebSocket & { _socket: { pause(): void; resume(): void } })._socket;
    c.send({ type: 'command', cmd: 'big 3000000', ref: 'big' });
    sock.pause();
    await new Promise((r) => setTimeout(r, 300));
    sock.resume();
    await c.waitFor((m) => m.type === 'output' && m.more === false, 0, 20_000);
    expect(joined(c, 'big').text).toBe(bigOutput(3_000_000));
    expect(server.stats().dropped).toBe(0);
  });

  it('replays more than the queue holds to a client that connects with last_id', async () => {
    const session = new FakeSession();
    const { ws, server } = await start({ limits: { client_queue_bytes: 64 * 1024 } }, session);
    session.command('hop a b 1500');
    session.command('run');
    while (session.state !== 'finished') await new Promise((r) => setTimeout(r, 10));
    const last = server.stats().lastId;
    const late = await connect(`${ws}?last_id=0`);
    const done = await late.waitFor((m) => m.type === 'resumed', 0, 20_000);
    expect(done.count).toBe(last);
    expect(ids(late.events())).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(
      late
        .events()
        .map((m) => m.json?.length ?? JSON.stringify(m).length)
        .reduce((a, b) => a + b, 0),
    ).toBeGreaterThan(64 * 1024);
    expect(server.stats().dropped).toBe(0);
  });
});

describe('scenario option', () => {
  it('runs the scenario once, when the first client has connected, and tells everyone', async () => {
    const session = new FakeSession(fakeTopology(['a', 'b']));
    const seen: string[] = [];
    const orig = session.command.bind(session);
    session.command = (line: string) => {
      seen.push(line);
      return line.startsWith('load scenario') ? { ok: true, output: 'demo: 3 of 3 steps passed' } : orig(line);
    };
    const { ws } = await start({ scenario: '/tmp/my "demo".yaml' }, session);
    const c = await connect(ws);
    const r = await c.waitFor((m) => m.type === 'result' && m.ref === null);
    expect(r).toMatchObject({ ok: true, output: 'demo: 3 of 3 steps passed', cmd: 'load scenario "/tmp/my \\"demo\\".yaml"' });
    await connect(ws);
    expect(seen.filter((l) => l.startsWith('load scenario'))).toHaveLength(1);
  });
});
