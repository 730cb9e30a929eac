/**
 * The viewer page's script, run in node against a real server with a tiny
 * stand-in DOM: it must speak the protocol correctly (it is the reference
 * client) and must not throw on real traffic. No browser needed.
 */
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as NodeWs } from 'ws';
import { assetPath } from './assets.js';
import { fileURLToPath } from 'node:url';
import { Session } from '../session/session.js';
import { loadTopologyFile } from '../topology/load.js';
import { FakeSession } from './fake-session.js';
import { createFeedServer, type FeedServer } from './server.js';

type Handler = (ev: unknown) => void;

class El {
  kids: El[] = [];
  parent: El | null = null;
  text = '';
  attrs: Record<string, string> = {};
  cls = new Set<string>();
  listeners: Record<string, Handler[]> = {};
  value = '';
  scrollTop = 0;
  scrollHeight = 0;
  [k: string]: unknown;
  constructor(readonly tag: string) {}
  get className() {
    return [...this.cls].join(' ');
  }
  set className(v: string) {
    this.cls = new Set(v.split(/\s+/).filter(Boolean));
  }
  classList = {
    add: (c: string) => this.cls.add(c),
    remove: (c: string) => this.cls.delete(c),
    toggle: (c: string, on?: boolean) => ((on ?? !this.cls.has(c)) ? this.cls.add(c) : this.cls.delete(c)),
    contains: (c: string) => this.cls.has(c),
  };
  get textContent(): string {
    return this.text + this.kids.map((k) => k.textContent).join('');
  }
  set textContent(v: string) {
    this.kids = [];
    this.text = v;
  }
  get children() {
    return this.kids;
  }
  get childElementCount() {
    return this.kids.length;
  }
  get firstChild() {
    return this.kids[0] ?? null;
  }
  get length() {
    return this.kids.length;
  }
  set length(n: number) {
    this.kids.length = n;
  }
  private adopt(n: El | string): El {
    const e = typeof n === 'string' ? Object.assign(new El('#text'), { text: n }) : n;
    e.remove();
    e.parent = this;
    return e;
  }
  append(...ns: Array<El | string>) {
    for (const n of ns) this.kids.push(this.adopt(n));
  }
  prepend(n: El) {
    this.kids.unshift(this.adopt(n));
  }
  add(o: El) {
    this.append(o);
  }
  remove() {
    if (this.parent) this.parent.kids = this.parent.kids.filter((k) => k !== this);
    this.parent = null;
  }
  setAttribute(k: string, v: string) {
    if (k === 'class') this.className = v;
    this.attrs[k] = v;
  }
  addEventListener(t: string, f: Handler) {
    (this.listeners[t] ??= []).push(f);
  }
  dispatchEvent(ev: { type: string }) {
    const on = this[`on${ev.type}`];
    if (typeof on === 'function') on(ev);
    for (const f of this.listeners[ev.type] ?? []) f(ev);
  }
  getBoundingClientRect() {
    return { width: 1000, height: 700 };
  }
  click() {
    this.dispatchEvent({ type: 'click' });
  }
  all(pred: (e: El) => boolean): El[] {
    return [...(pred(this) ? [this] : []), ...this.kids.flatMap((k) => k.all(pred))];
  }
}

const html = readFileSync(assetPath('viewer'), 'utf8');
const script = /<script>([\s\S]*)<\/script>/.exec(html)![1];

let server: FeedServer | null = null;
let stop: () => void = () => {};

afterEach(async () => {
  stop();
  await server?.close();
  server = null;
});

function runViewer(url: string) {
  const ids = new Map<string, El>();
  for (const m of html.matchAll(/<(\w+)[^>]*\bid="([^"]+)"/g)) ids.set(m[2], Object.assign(new El(m[1]), { id: m[2] }));
  ids.get('speed')!.value = '10';
  const sent: Array<Record<string, unknown>> = [];
  const sockets: NodeWs[] = [];
  let frame: ((t: number) => void) | null = null;
  let live = true;
  class BrowserWs {
    static OPEN = 1;
    onopen: (() => void) | null = null;
    onmessage: ((e: { data: string }) => void) | null = null;
    onclose: ((e: { code: number; reason: string }) => void) | null = null;
    private readonly inner: NodeWs;
    constructor(u: string) {
      this.inner = new NodeWs(u);
      sockets.push(this.inner);
      this.inner.on('open', () => this.onopen?.());
      this.inner.on('message', (d) => this.onmessage?.({ data: d.toString() }));
      this.inner.on('close', (code, reason) => this.onclose?.({ code, reason: reason.toString() }));
      this.inner.on('error', () => {});
    }
    get readyState() {
      return this.inner.readyState;
    }
    send(s: string) {
      sent.push(JSON.parse(s));
      this.inner.send(s);
    }
  }
  const sandbox = {
    document: {
      getElementById: (id: string) => ids.get(id) ?? null,
      createElement: (t: string) => new El(t),
      createElementNS: (_: string, t: string) => new El(t),
    },
    window: { addEventListener() {} },
    location: new URL(url),
    WebSocket: BrowserWs,
    Option: function (text: string, value: string) {
      return Object.assign(new El('option'), { text, value });
    },
    Event: class {
      constructor(readonly type: string) {}
    },
    requestAnimationFrame: (f: (t: number) => void) => (frame = f),
    setTimeout: (f: () => void, ms: number) => (live ? setTimeout(f, ms) : 0),
    URL,
    URLSearchParams,
    console,
  };
  stop = () => {
    live = false;
    for (const s of sockets) s.terminate();
  };
  runInNewContext(script, sandbox);
  return { ids, sent, sockets, frame: (t: number) => frame?.(t) };
}

async function until(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the viewer page', () => {
  it('draws the graph, runs commands, animates hops, shows traces and filters by node', async () => {
    server = await createFeedServer(new FakeSession(), { port: 0 });
    const v = runViewer(server.url);
    const $ = (id: string) => v.ids.get(id)!;
    await until(() => $('topo').textContent === 'fake', 'hello');
    expect($('state').textContent).toBe('loaded');
    const nodes = $('graph').all((e) => e.tag === 'g' && e.cls.has('node'));
    expect(nodes.map((n) => n.all((e) => e.tag === 'text')[0].textContent)).toEqual(['a', 'b', 'c']);
    expect($('graph').all((e) => e.tag === 'line')).toHaveLength(2);
    // Nodes stay inside the drawing.
    for (const n of nodes) {
      const [x, y] = /translate\(([-\d.]+),([-\d.]+)\)/.exec(n.attrs.transform)!.slice(1).map(Number);
      expect(x).toBeGreaterThanOrEqual(90);
      expect(x).toBeLessThanOrEqual(910);
      expect(y).toBeGreaterThanOrEqual(50);
    }

    $('cmd').value = 'hop a b 2';
    $('cmdform').dispatchEvent({ type: 'submit', preventDefault() {} } as never);
    await until(() => $('out').textContent.includes('2 packet(s) queued'), 'command result');
    $('run').click();
    await until(() => $('state').textContent === 'finished', 'finished');
    const rows = $('packets').children;
    expect(rows.map((r) => r.textContent)).toEqual([
      expect.stringContaining('#2 a icmp 10.0.0.1 → 10.0.0.2'),
      expect.stringContaining('#1 a'),
    ]);
    expect(rows.every((r) => r.cls.has('delivered'))).toBe(true);
    expect(v.sent.map((m) => m.type)).toEqual(['command', 'command']);

    const layer = () => $('graph').all((e) => e.tag === 'circle');
    // Speed 10: one queued animation every 70 ms, each 140 ms long.
    v.frame(10_000);
    expect(layer()).toHaveLength(1);
    const c0 = layer()[0];
    const x0 = Number(c0.attrs.cx);
    v.frame(10_070);
    expect(Number(c0.attrs.cx)).not.toBe(x0);
    expect(nodes[1].cls.has('flash-ok')).toBe(true);
    v.frame(10_140);
    expect(layer()).toHaveLength(1);
    expect(layer()[0]).not.toBe(c0);
    v.frame(20_000);
    expect(layer()).toHaveLength(0);

    rows[1].click();
    await until(() => $('trace').textContent.includes('deliver'), 'trace');
    expect(v.sent.at(-1)).toMatchObject({ type: 'get_trace', packet: 1 });
    expect($('trace').textContent).toContain('a link: a:eth0 → b:eth0');
    expect($('tracehead').textContent).toContain('[delivered]');

    $('nodefilter').value = 'c';
    $('nodefilter').dispatchEvent({ type: 'change' });
    expect(v.sent.at(-1)).toMatchObject({ type: 'subscribe', nodes: ['c'], kinds: null });
    expect(nodes[2].cls.has('sel')).toBe(true);

    await server.close();
    server = null;
    await until(() => $('state').textContent === 'offline', 'offline');
    expect($('out').textContent).toContain('the server is shutting down');
  });

  it('reconnects with last_id and catches up on what it missed', async () => {
    const session = new FakeSession();
    server = await createFeedServer(session, { port: 0 });
    const v = runViewer(server.url);
    const $ = (id: string) => v.ids.get(id)!;
    await until(() => $('topo').textContent === 'fake', 'hello');
    session.command('hop a c 1');
    session.command('run');
    await until(() => $('packets').children.length === 1, 'first packet');
    // A network blip: the viewer's connection dies while the lab goes on.
    v.sockets[0].terminate();
    await until(() => $('state').textContent === 'offline', 'offline');
    session.command('hop b c 1');
    session.command('run');
    await until(() => v.sockets.length === 2 && $('packets').children.length === 2, 'caught up');
    expect(v.sockets[1].url).toMatch(/[?&]last_id=\d+/);
    expect($('packets').children[0].textContent).toContain('#2 b');
    expect($('out').textContent).toMatch(/caught up on \d+ missed event/);
  });

  it('renders a real lab: rule verdicts, NAT and conntrack in the trace panel, the probe result', async () => {
    const t = loadTopologyFile(fileURLToPath(new URL('../../topologies/docker-port-mapping.yaml', import.meta.url)));
    if (!t.ok) throw new Error('topology');
    const s = Session.create(t.value, 1);
    if (!s.ok) throw new Error('session');
    server = await createFeedServer(s.value, { port: 0 });
    const v = runViewer(server.url);
    const $ = (id: string) => v.ids.get(id)!;
    await until(() => $('topo').textContent === 'docker-port-mapping', 'hello');
    $('cmd').value = 'client connect 198.51.100.1:8080';
    $('cmdform').dispatchEvent({ type: 'submit', preventDefault() {} } as never);
    await until(() => $('out').textContent.includes(': connected (server docker-host/web saw 198.51.100.10:'), 'probe result');
    const syn = $('packets').children.at(-1)!;
    expect(syn.textContent).toMatch(/^#1 client tcp 198\.51\.100\.10:\d+ → 198\.51\.100\.1:8080 SYN/);
    syn.click();
    await until(() => $('trace').textContent.includes('deliver'), 'trace');
    const text = $('trace').textContent;
    expect(text).toContain('docker-host PREROUTING nat/DOCKER: rule 1 → ACCEPT (DNAT)');
    expect(text).toContain('-j DNAT --to-destination 172.17.0.2:80');
    expect(text).toContain('docker-host/web deliver: tcp:80');
    expect(text).not.toContain('?:');
  });
});
