import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetPath } from '../assets.js';
import { FakeSession } from '../testing/fake-session.js';
import { parseClientMessage } from '../protocol.js';
import { createFeedServer, type FeedServer } from '../server.js';
import { type Msg, TestClient } from '../testing/test-client.js';
import { Validator } from './validate.js';

const schema = JSON.parse(readFileSync(assetPath('schema'), 'utf8'));
const v = new Validator(schema);

describe('the validator', () => {
  it('catches wrong types, missing fields, bad enums and oneOf ambiguity', () => {
    const s = new Validator({
      $defs: { n: { type: 'integer', minimum: 1 } },
      type: 'object',
      required: ['a'],
      properties: {
        a: { $ref: '#/$defs/n' },
        b: { enum: ['x', 'y'] },
        c: { oneOf: [{ type: 'string' }, { type: 'string', maxLength: 2 }] },
      },
      if: { required: ['b'], properties: { b: { const: 'y' } } },
      then: { required: ['c'] },
    });
    expect(s.validate({ a: 1 })).toEqual([]);
    expect(s.validate({ a: 1.5 }).map((e) => e.path)).toEqual(['$.a']);
    expect(s.validate({ a: 0 })[0].message).toContain('minimum');
    expect(s.validate({})[0].message).toBe('missing "a"');
    expect(s.validate({ a: 1, b: 'z' })).toHaveLength(1);
    expect(s.validate({ a: 1, b: 'y' })[0].message).toBe('missing "c"');
    expect(s.validate({ a: 1, c: 'abc' })).toEqual([]);
    expect(s.validate({ a: 1, c: 'ab' })[0].message).toContain('2 of oneOf');
    expect(() => new Validator({ pattern: 'x' }).validate('x')).toThrow('unsupported schema keyword');
  });
});

describe('real feed traffic against the schema', () => {
  let server: FeedServer;
  let c: TestClient;
  const sent: Msg[] = [];

  beforeAll(async () => {
    server = await createFeedServer(new FakeSession(), { port: 0, limits: { buffer_events: 3 } });
    c = await TestClient.connect(`ws://127.0.0.1:${server.port}/?kinds=packet.*,sim.state,rules.changed,log`);
    await c.waitFor((m) => m.type === 'hello');
    const req = async (m: Msg) => {
      sent.push(m);
      return c.request(m);
    };
    await req({ type: 'command', cmd: 'hop a b 2', ref: 1 });
    await req({ type: 'command', cmd: 'rules c', ref: 2 });
    await req({ type: 'command', cmd: 'step', ref: 3 });
    await req({ type: 'command', cmd: 'run', ref: 4 });
    await c.waitFor((m) => m.kind === 'sim.state' && m.data.state === 'finished');
    await req({ type: 'get_trace', packet: 1, ref: 'g' });
    await req({ type: 'get_trace', packet: 42, ref: 'h' });
    await req({ type: 'subscribe', nodes: ['a'], kinds: null, ref: 's' });
    await req({ type: 'subscribe', nodes: ['zz'], ref: 't' });
    await req({ type: 'ping', ref: 'p' });
    await req({ type: 'command', cmd: 'big 600000', ref: 'big' });
    await c.waitFor((m) => m.type === 'output' && !m.more);
    await req({ type: 'resume', last_id: 0, ref: 'r' });
    const fresh = await TestClient.connect(`ws://127.0.0.1:${server.port}/`);
    await fresh.waitFor((m) => m.type === 'hello');
    await fresh.request({ type: 'resume', last_id: 0, ref: 'old' });
    await fresh.request({ type: 'resume', last_id: server.stats().lastId - 1, ref: 'ok' });
    c.messages.push(...fresh.messages);
    c.send('{oops');
    await c.waitFor((m) => m.code === 'bad-json');
    await server.close();
    await c.waitFor((m) => m.type === 'goodbye');
  });

  afterAll(async () => {
    await server.close();
  });

  it('every server message is a valid serverMessage', () => {
    const types = new Set<string>();
    const kinds = new Set<string>();
    for (const m of c.messages) {
      expect(v.validate(m, 'serverMessage'), JSON.stringify(m)).toEqual([]);
      types.add(m.type);
      if (m.type === 'event') kinds.add(m.kind);
    }
    expect([...types].sort()).toEqual(['error', 'event', 'goodbye', 'hello', 'output', 'pong', 'result', 'resumed', 'subscribed', 'trace']);
    expect([...kinds].sort()).toEqual(['packet.deliver', 'packet.end', 'packet.hop', 'packet.new', 'rules.changed', 'sim.state']);
    expect(new Set(c.messages.filter((m) => m.type === 'error').map((m) => m.code))).toEqual(
      new Set(['unknown-node', 'resume-too-old', 'bad-json']),
    );
  });

  it('every client message sent was valid, and the schema rejects what the server rejects', () => {
    for (const m of sent) expect(v.validate(m, 'clientMessage')).toEqual([]);
    const samples: unknown[] = [
      { type: 'command', cmd: 'run' },
      { type: 'command', cmd: '' },
      { type: 'command' },
      { type: 'command', cmd: 'x', ref: null },
      { type: 'command', cmd: 'x', ref: { a: 1 } },
      { type: 'subscribe', nodes: ['a'], kinds: ['packet.hop'] },
      { type: 'subscribe', nodes: 'a' },
      { type: 'subscribe', kinds: [1] },
      { type: 'resume', last_id: 3 },
      { type: 'resume', last_id: -3 },
      { type: 'resume', last_id: 1.5 },
      { type: 'get_trace', packet: 2 },
      { type: 'get_trace' },
      { type: 'ping' },
      { type: 'pong' },
      { cmd: 'run' },
      [1],
    ];
    for (const m of samples) {
      const text = JSON.stringify(m);
      const server = !('error' in parseClientMessage(text, text.length, 65536));
      const schemaOk = v.validate(m, 'clientMessage').length === 0;
      expect(schemaOk, text).toBe(server);
    }
  });
});
