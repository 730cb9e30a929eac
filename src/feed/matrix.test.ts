/**
 * The matrix over the feed, on the real engine and a real ws client: a
 * `matrix` request answers with the grid of the lab as it is now, `get_cell`
 * with a cell's traced exchange; every message is schema-valid, also where a
 * deciding step is a native nftables rule.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Session } from '../session/session.js';
import { loadTopologyFile } from '../topology/load.js';
import { assetPath } from './assets.js';
import { Validator } from './schema/validate.js';
import { createFeedServer, type FeedServer } from './server.js';
import { type Msg, TestClient } from './testing/test-client.js';

const validator = new Validator(JSON.parse(readFileSync(assetPath('schema'), 'utf8')));
let server: FeedServer | null = null;
let c: TestClient;

async function start(lab: string) {
  const t = loadTopologyFile(fileURLToPath(new URL(`../../topologies/${lab}`, import.meta.url)));
  if (!t.ok) throw new Error(t.error.map((d) => d.message).join('\n'));
  const s = Session.create(t.value, 1);
  if (!s.ok) throw new Error('session');
  server = await createFeedServer(s.value, { port: 0 });
  c = await TestClient.connect(`ws://127.0.0.1:${server.port}/`);
  await c.waitFor((m) => m.type === 'hello');
}

afterEach(async () => {
  c.ws.terminate();
  await server?.close();
  server = null;
});

const valid = () => {
  for (const m of c.messages) expect(validator.validate(m, 'serverMessage'), JSON.stringify(m).slice(0, 300)).toEqual([]);
};
const cellOf = (m: Msg, from: string, to: string) => m.matrix.cells.find((x: Msg) => x.from === from && x.to === to);

describe('matrix over the feed', () => {
  it('answers a matrix request and a cell request on kube-proxy, schema-valid', async () => {
    await start('kube-proxy.yaml');
    const m = await c.request({ type: 'matrix', ref: 1 });
    expect(m).toMatchObject({ type: 'matrix', ref: 1, ok: true });
    expect(m.matrix.sources).toEqual(['client', 'node1', 'node1/web-a', 'node1/web-b', 'node1/web-c', 'node1/client-pod']);
    expect(m.matrix.destinations).toContainEqual({ to: '10.96.0.10:80', why: 'DNAT node1 KUBE-SERVICES' });
    expect(m.matrix.cells).toHaveLength(36);
    expect(cellOf(m, 'client', '10.96.0.10:80')).toMatchObject({
      result: 'connected',
      server: 'node1/web-a',
      decided_by: { node: 'node1', table: 'nat', chain: 'KUBE-SEP-UIQK3OSOSTRHRPBX', target: 'DNAT' },
    });

    const cell = await c.request({ type: 'get_cell', ref: 2, from: 'client', to: '10.96.0.10:80', proto: 'tcp' });
    expect(cell.ok).toBe(true);
    expect(cell.cell).toEqual(cellOf(m, 'client', '10.96.0.10:80'));
    expect(cell.traces[0].packet).toMatchObject({ proto: 'tcp', dst: '10.96.0.10:80', flags: 'SYN' });
    expect(cell.traces[0].steps).toContainEqual(cell.cell.decided_by);
    expect(cell.traces.length).toBeGreaterThan(3);
    valid();
  });

  it('computes on the lab as it is now: after a command, with the change counted', async () => {
    await start('kube-proxy.yaml');
    const r = await c.request({ type: 'command', ref: 1, cmd: 'node1 iptables -I FORWARD 1 -s 192.0.2.10 -p tcp -j REJECT' });
    expect(r.ok).toBe(true);
    const m = await c.request({ type: 'matrix', ref: 2, from: ['client'], to: ['10.244.1.3:8080'], proto: 'tcp' });
    expect(m.matrix.changes).toBe(1);
    expect(m.matrix.cells).toEqual([
      expect.objectContaining({ result: 'refused', decided_by: expect.objectContaining({ chain: 'FORWARD', rule: 1, target: 'REJECT' }) }),
    ]);
    // The command language has it too, as nflab matrix's text.
    const text = await c.request({ type: 'command', ref: 3, cmd: 'matrix --from client --to 10.244.1.3:8080' });
    expect(text.output).toMatch(/^kube-proxy \(after 1 change\): tcp, 1 source × 1 destination, seed 1/);
    valid();
  });

  it('serves other clients while a matrix runs, and a second request from the same client stops the first', async () => {
    await start('kube-proxy.yaml');
    const other = await TestClient.connect(`ws://127.0.0.1:${server!.port}/`);
    try {
      await other.waitFor((m) => m.type === 'hello');
      const order: string[] = [];
      const grid = c.request({ type: 'matrix', ref: 1 }).then((m) => (order.push('matrix'), m));
      const pong = other.request({ type: 'ping', ref: 7 }).then((m) => (order.push('pong'), m));
      expect((await pong).type).toBe('pong');
      expect((await grid).matrix.cells).toHaveLength(36);
      expect(order).toEqual(['pong', 'matrix']);
    } finally {
      other.ws.terminate();
    }

    const first = c.request({ type: 'matrix', ref: 2 });
    const second = c.request({ type: 'matrix', ref: 3, from: ['client'] });
    expect(await first).toMatchObject({ type: 'matrix', ref: 2, ok: false, error: 'matrix stopped' });
    expect((await second).matrix.sources).toEqual(['client']);
    valid();
  });

  it('says what is wrong: a lab-level refusal in the answer, a malformed request as an error', async () => {
    await start('kube-proxy.yaml');
    expect(await c.request({ type: 'matrix', ref: 1, from: ['nobody'] })).toEqual({
      type: 'matrix',
      ref: 1,
      ok: false,
      error: '--from: no node "nobody"; nodes: client, node1, node1/web-a, node1/web-b, node1/web-c, node1/client-pod',
    });
    expect(await c.request({ type: 'matrix', ref: 2, to: ['10.0.0.1'] })).toMatchObject({
      ok: false,
      error: expect.stringContaining('10.0.0.1'),
    });
    expect(await c.request({ type: 'matrix', ref: 3, proto: 'icmp' })).toMatchObject({ type: 'error', code: 'bad-message' });
    expect(await c.request({ type: 'matrix', ref: 4, from: 'client' })).toMatchObject({ type: 'error', code: 'bad-message' });
    expect(await c.request({ type: 'get_cell', ref: 5, from: 'client' })).toMatchObject({ type: 'error', code: 'bad-message' });
    expect(await c.request({ type: 'get_cell', ref: 6, from: 'nobody', to: '1.2.3.4:5' })).toEqual({
      type: 'cell',
      ref: 6,
      ok: false,
      error: 'no node "nobody"',
    });
    valid();
  });

  it('carries native nftables steps in a cell’s traces (kube-proxy in nftables mode)', async () => {
    await start('kube-proxy-nftables.yaml');
    const m = await c.request({ type: 'matrix', ref: 1, from: ['client'], to: ['172.30.0.10:80', '172.30.0.10:81'] });
    expect(m.matrix.cells.map((x: Msg) => x.result)).toEqual(['connected', 'refused']);
    const cell = await c.request({ type: 'get_cell', ref: 2, from: 'client', to: '172.30.0.10:81', proto: 'tcp' });
    const nft = cell.traces[0].steps.filter((s: Msg) => s.family !== undefined);
    expect(nft.length).toBeGreaterThan(0);
    expect(nft[0]).toMatchObject({ family: 'ip', table: 'kube-proxy', handle: expect.any(Number), rule_text: expect.any(String) });
    expect(nft.map((s: Msg) => s.verdict)).toContain('jump services');
    valid();
  });
});
