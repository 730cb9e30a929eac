/**
 * The feed server: one HTTP server that serves the viewer page at `/` and
 * upgrades websocket requests to feed connections. Session events are
 * numbered and serialised once (EventLog), then offered to every client
 * through its bounded queue. While the session runs, the server advances it
 * in small slices between I/O turns, so neither the simulation nor the
 * sockets ever wait for each other.
 */
import { timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, isAbsolute } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { parseCommand } from '../session/command-language.js';
import type { CommandResult, SessionEvent } from '../session/session.js';
import { matrixText, type MatrixAnswer, type MatrixQuery } from '../session/matrix.js';
import { CLOSE_SHUTDOWN, CLOSE_SLOW, FeedClient, Filter } from './client.js';
import { EventLog } from './event-log.js';
import { FeedFiles } from './file-access.js';
import { sendResult } from './output.js';
import { topologyGraph } from './graph.js';
import type { FeedSession } from './port.js';
import {
  type ClientMessage,
  type Limits,
  parseClientMessage,
  PROTOCOL,
  PROTOCOL_VERSION,
  type Ref,
  type Subscription,
  isKindPattern,
} from './protocol.js';
import { readAsset } from './assets.js';

export interface FeedServerOptions {
  host?: string;
  /** 0 picks a free port; read it back from `port`. */
  port?: number;
  /** When set, a client must present `Authorization: Bearer TOKEN` or `?token=TOKEN`. */
  token?: string | null;
  /** Run on the session when the first client has connected (see docs/feed.md). */
  scenario?: string | null;
  limits?: Partial<Limits>;
  /** Events per simulation slice between I/O turns. */
  sliceEvents?: number;
  /** How long a dropped or departing client gets to finish its close handshake. */
  closeGraceMs?: number;
  /** Browser origins allowed besides the server's own (`http://host:port`). */
  allowOrigins?: string[];
  /** Where `load scenario` may read over the feed; default: the served topology's directory. */
  scenarioDir?: string | null;
  /** Where `capture start` writes over the feed; default: a new temporary directory. */
  captureDir?: string | null;
}

export const DEFAULT_LIMITS: Limits = {
  max_message_bytes: 64 * 1024,
  buffer_events: 10_000,
  client_queue_bytes: 4 * 1024 * 1024,
  output_chunk_bytes: 256 * 1024,
};

export interface FeedServer {
  readonly port: number;
  readonly host: string;
  readonly url: string;
  /** Where clients may load scenarios from (null: nowhere). */
  readonly scenarioDir: string | null;
  /** Where client captures go (made on first use). */
  captureDir(): string;
  /** Connected clients and the largest backlog any of them ever had, in bytes. */
  stats(): { clients: number; lastId: number; peakQueued: number; dropped: number };
  close(): Promise<void>;
}

export async function createFeedServer(session: FeedSession, opts: FeedServerOptions = {}): Promise<FeedServer> {
  const s = new Server(session, opts);
  await s.listen(opts.host ?? '127.0.0.1', opts.port ?? 7070);
  return s;
}

class Server implements FeedServer {
  private readonly limits: Limits;
  private readonly log: EventLog;
  private readonly clients = new Set<FeedClient>();
  private readonly http = createServer((req, res) => this.serveHttp(req, res));
  private readonly wss: WebSocketServer;
  private readonly unsubscribe: () => void;
  private readonly graceTimers = new Set<NodeJS.Timeout>();
  private pump: NodeJS.Immediate | null = null;
  private scenario: string | null;
  private readonly files: FeedFiles;
  private closing: Promise<void> | null = null;
  private dropped = 0;
  private peak = 0;
  port = 0;
  host = '';

  constructor(
    private readonly session: FeedSession,
    private readonly opts: FeedServerOptions,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.log = new EventLog(this.limits.buffer_events);
    this.scenario = opts.scenario ?? null;
    const file = session.topology.file;
    const topoDir = isAbsolute(file) && existsSync(dirname(file)) ? dirname(file) : null;
    this.files = new FeedFiles(opts.scenarioDir === undefined ? topoDir : opts.scenarioDir, topoDir, opts.captureDir ?? null);
    // Frames beyond the soft limit get an error and the connection stays; only
    // absurd ones (beyond this hard cap) make ws close it, bounding memory per frame.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: Math.max(1 << 20, this.limits.max_message_bytes * 16) });
    this.http.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    this.unsubscribe = session.subscribe((e) => this.onSessionEvent(e));
  }

  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}/`;
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        const a = this.http.address() as AddressInfo;
        this.port = a.port;
        this.host = host;
        resolve();
      });
    });
  }

  stats() {
    let peak = this.peak;
    for (const c of this.clients) peak = Math.max(peak, c.peakQueued);
    return { clients: this.clients.size, lastId: this.log.last, peakQueued: peak, dropped: this.dropped };
  }

  // ---- session side -------------------------------------------------------

  private onSessionEvent(e: SessionEvent): void {
    const rec = this.log.append(e);
    for (const c of this.clients) c.sendEvent(rec);
    if (e.kind === 'sim.state') this.schedulePump();
  }

  private schedulePump(): void {
    if (this.pump || this.closing || this.session.state !== 'running') return;
    this.pump = setImmediate(() => {
      this.pump = null;
      if (this.session.state !== 'running') return;
      let more = false;
      try {
        more = this.session.advance(this.opts.sliceEvents ?? 500).more;
      } catch (e) {
        // An engine bug must stop the run, not the server: pause and say why.
        this.runCommand('pause');
        this.broadcast({ type: 'error', ref: null, code: 'internal', message: `the simulation stopped: ${(e as Error).message}` });
      }
      if (more) this.schedulePump();
    });
  }

  get scenarioDir(): string | null {
    return this.files.scenarioDir;
  }

  captureDir(): string {
    return this.files.captures();
  }

  private runCommand(cmd: string): CommandResult {
    try {
      return this.session.command(cmd);
    } catch (e) {
      // An engine bug must not take the server (and every other viewer) down.
      return { ok: false, output: `internal error: ${(e as Error).message}` };
    } finally {
      this.schedulePump();
    }
  }

  // ---- http and upgrade ----------------------------------------------------

  private serveHttp(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/access' && (req.method === 'GET' || req.method === 'HEAD')) {
      // The page cannot see why a websocket upgrade failed; this tells it whether the token is the reason.
      const body = JSON.stringify({
        token_required: Boolean(this.opts.token),
        authorized: this.authorized(req, new URL(req.url ?? '/', 'http://feed.invalid')),
      });
      res.writeHead(200, { 'cache-control': 'no-store', 'content-type': 'application/json' });
      res.end(req.method === 'HEAD' ? undefined : `${body}\n`);
      return;
    }
    const asset = path === '/' || path === '/index.html' ? readAsset('viewer') : path === '/schema.json' ? readAsset('schema') : null;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (!asset) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://feed.invalid');
    const refuse = (status: number, text: string) => {
      socket.end(
        `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length + 1}\r\n\r\n${text}\n`,
      );
    };
    if (this.closing) return refuse(503, 'Service Unavailable');
    if (!this.authorized(req, url)) return refuse(401, 'Unauthorized');
    if (!this.originAllowed(req)) return refuse(403, 'Forbidden');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, url));
  }

  private authorized(req: IncomingMessage, url: URL): boolean {
    const token = this.opts.token;
    if (!token) return true;
    const auth = req.headers.authorization;
    const bearer = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : null;
    return sameSecret(bearer, token) || sameSecret(url.searchParams.get('token'), token);
  }

  /**
   * Browsers send Origin; a page from another site must not drive the lab
   * through the user's loopback. Non-browser clients send no Origin.
   */
  private originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (!origin) return true;
    if (this.opts.allowOrigins?.includes(origin)) return true;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }

  // ---- one connection ------------------------------------------------------

  private connected(ws: WebSocket, url: URL): void {
    const client = new FeedClient(ws, this.limits.client_queue_bytes, (c) => this.drop(c, 'slow-client'));
    this.clients.add(client);
    ws.on('close', () => this.forget(client));
    ws.on('error', () => this.forget(client));
    ws.on('message', (data, isBinary) => this.onMessage(client, data, isBinary));

    const sub = this.subscriptionFromQuery(url);
    if (!('error' in sub)) client.filter = new Filter(sub);
    const helloLast = this.log.last;
    client.sendMessage(
      {
        type: 'hello',
        protocol: PROTOCOL,
        version: PROTOCOL_VERSION,
        topology: this.session.topologyJson(),
        graph: topologyGraph(this.session.topology),
        state: this.session.state,
        t_us: this.session.now(),
        last_id: helloLast,
        oldest_id: Math.min(this.log.oldest, helloLast + 1),
        subscription: client.filter.subscription,
        limits: this.limits,
        // A large lab's topology can outgrow the queue: the greeting goes at the client's pace, like a replay.
      },
      true,
    );
    client.helloLast = helloLast;
    if ('error' in sub) client.sendMessage({ type: 'error', ref: null, code: sub.code, message: sub.error });
    const lastId = url.searchParams.get('last_id');
    if (lastId !== null) {
      const n = Number(lastId);
      if (Number.isSafeInteger(n) && n >= 0) this.resume(client, n, null);
      else client.sendMessage({ type: 'error', ref: null, code: 'bad-message', message: 'last_id must be a non-negative integer' });
    }
    if (this.scenario) {
      const file = this.scenario;
      this.scenario = null;
      const cmd = `load scenario "${file.replace(/(["\\])/g, '\\$1')}"`;
      const r = this.runCommand(cmd);
      this.broadcast({ type: 'result', ref: null, cmd, ok: r.ok, output: r.output, state: this.session.state, t_us: this.session.now() });
    }
  }

  private subscriptionFromQuery(url: URL): Subscription | { error: string; code: 'unknown-node' | 'unknown-kind' } {
    const list = (k: string) => {
      const v = url.searchParams.get(k);
      return v === null || v === '' ? null : v.split(',');
    };
    return this.checkSubscription({ nodes: list('nodes'), kinds: list('kinds') });
  }

  private checkSubscription(s: Subscription): Subscription | { error: string; code: 'unknown-node' | 'unknown-kind' } {
    const known = new Set(this.session.topology.nodes.map((n) => n.name));
    const badNode = s.nodes?.find((n) => !known.has(n));
    if (badNode !== undefined) return { code: 'unknown-node', error: `unknown node "${badNode}" (nodes: ${[...known].join(', ')})` };
    const badKind = s.kinds?.find((k) => !isKindPattern(k));
    if (badKind !== undefined) return { code: 'unknown-kind', error: `unknown event kind "${badKind}"` };
    return { nodes: s.nodes, kinds: s.kinds };
  }

  private onMessage(client: FeedClient, data: RawData, isBinary: boolean): void {
    if (!client.alive) return;
    const bytes = Array.isArray(data)
      ? data.reduce((n, b) => n + b.length, 0)
      : data instanceof ArrayBuffer
        ? data.byteLength
        : data.length;
    if (isBinary) {
      client.sendMessage({ type: 'error', ref: null, code: 'bad-message', message: 'send JSON in text frames, not binary ones' });
      return;
    }
    const text =
      bytes > this.limits.max_message_bytes
        ? ''
        : Buffer.isBuffer(data)
          ? data.toString('utf8')
          : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8');
    const m = parseClientMessage(text, bytes, this.limits.max_message_bytes);
    if ('error' in m) {
      client.sendMessage({ type: 'error', ...m.error });
      return;
    }
    this.handle(client, m);
  }

  private handle(client: FeedClient, m: ClientMessage): void {
    switch (m.type) {
      case 'command': {
        const parsed = parseCommand(m.cmd, (n) => this.session.resolveNode(n));
        if (!('error' in parsed) && parsed.kind === 'matrix')
          this.startMatrix(client, parsed, (r) => this.sendResult(client, m.ref, m.cmd, matrixText(r)));
        else this.sendResult(client, m.ref, m.cmd, this.clientCommand(m.cmd, parsed));
        return;
      }
      case 'subscribe': {
        const s = this.checkSubscription(m);
        if ('error' in s) {
          client.sendMessage({ type: 'error', ref: m.ref, code: s.code, message: s.error });
          return;
        }
        client.filter = new Filter(s);
        client.sendMessage({ type: 'subscribed', ref: m.ref, subscription: s });
        return;
      }
      case 'resume':
        this.resume(client, m.last_id, m.ref);
        return;
      case 'get_trace':
        client.sendMessage({ type: 'trace', ref: m.ref, packet: m.packet, trace: this.session.trace(m.packet) ?? null });
        return;
      case 'matrix':
        this.startMatrix(client, { from: m.from, to: m.to, proto: m.proto }, (r) =>
          client.sendMessage(
            r.ok ? { type: 'matrix', ref: m.ref, ok: true, matrix: r.value } : { type: 'matrix', ref: m.ref, ok: false, error: r.error },
            true,
          ),
        );
        return;
      case 'get_cell': {
        const r = this.session.matrixTrace({ from: m.from, to: m.to, proto: m.proto });
        client.sendMessage(
          r.ok
            ? { type: 'cell', ref: m.ref, ok: true, cell: r.value.cell, traces: r.value.traces }
            : { type: 'cell', ref: m.ref, ok: false, error: r.error },
          true,
        );
        return;
      }
      case 'ping':
        client.sendMessage({ type: 'pong', ref: m.ref, t_us: this.session.now(), state: this.session.state });
        return;
    }
  }

  /**
   * A command from a client. The two that touch files are confined to the
   * server's directories (file-access.ts); everything else goes to the session
   * as the terminal UI would send it.
   */
  private clientCommand(cmd: string, parsed: ReturnType<typeof parseCommand>): CommandResult {
    if (!('error' in parsed) && parsed.kind === 'help') {
      const r = this.runCommand(cmd);
      const dir = this.files.scenarioDir;
      return {
        ok: r.ok,
        output: `${r.output}\nover this feed, FILE is a name: load scenario reads it from ${dir ?? '(no scenario directory)'}, capture start writes it to the server's capture directory`,
      };
    }
    if ('error' in parsed || (parsed.kind !== 'scenario' && parsed.kind !== 'capture-start')) return this.runCommand(cmd);
    const f = parsed.kind === 'scenario' ? this.files.loadScenario(parsed.file) : this.files.captureStart(parsed.file, parsed.filter);
    if (!f.ok) return { ok: false, output: f.output };
    const r = this.runCommand(f.cmd);
    return { ok: r.ok, output: f.redact(r.output) };
  }

  /**
   * A matrix runs every cell on its own copy of the lab, across worker threads, while the server goes on serving
   * everyone; the answer can be megabytes, so callers send it as bulk data, at the client's pace. A second matrix
   * from the same client stops the first (answered "matrix stopped"); so does the client leaving.
   */
  private startMatrix(client: FeedClient, q: MatrixQuery, answer: (r: MatrixAnswer) => void): void {
    client.matrixRun?.abort();
    const run = new AbortController();
    client.matrixRun = run;
    const settle = (r: MatrixAnswer) => {
      if (client.matrixRun === run) client.matrixRun = null;
      if (client.alive) answer(r);
    };
    this.session
      .matrix(q, { signal: run.signal })
      .then(settle, (e: unknown) => settle({ ok: false, error: e instanceof Error ? e.message : String(e) }));
  }

  private sendResult(client: FeedClient, ref: Ref, cmd: string, r: CommandResult): void {
    const head = { type: 'result' as const, ref, cmd, ok: r.ok, state: this.session.state, t_us: this.session.now() };
    sendResult(client, head, r.output, this.limits.output_chunk_bytes);
  }

  /** Replays what came after `lastSeen` up to this client's hello; later events already reached it live. */
  private resume(client: FeedClient, lastSeen: number, ref: Ref): void {
    const through = client.helloLast;
    if (lastSeen >= through && lastSeen <= this.log.last) {
      client.sendMessage({ type: 'resumed', ref, after: lastSeen, through: lastSeen, count: 0 });
      return;
    }
    const r = this.log.after(lastSeen, through);
    if (!r.ok) {
      client.sendMessage({ type: 'error', ref, code: r.code, message: r.message, oldest_id: this.log.oldest, last_id: this.log.last });
      return;
    }
    let count = 0;
    for (const e of r.events) {
      if (!client.filter.matches(e)) continue;
      client.sendRaw(e.json, true);
      count++;
    }
    client.sendMessage({ type: 'resumed', ref, after: lastSeen, through, count });
  }

  private broadcast(m: Parameters<FeedClient['sendMessage']>[0]): void {
    const json = JSON.stringify(m);
    for (const c of this.clients) c.sendRaw(json);
  }

  private forget(c: FeedClient): void {
    c.matrixRun?.abort();
    c.discard();
    if (this.clients.delete(c)) this.peak = Math.max(this.peak, c.peakQueued);
  }

  private drop(c: FeedClient, reason: 'slow-client' | 'shutdown'): void {
    if (!c.alive) return;
    this.forget(c);
    if (reason === 'slow-client') this.dropped++;
    const message =
      reason === 'slow-client'
        ? `you fell more than ${this.limits.client_queue_bytes} bytes behind; reconnect with ?last_id=N to catch up`
        : 'the server is shutting down';
    // Past the queue bound on purpose: the goodbye is small and sent once.
    c.ws.send(JSON.stringify({ type: 'goodbye', reason, message }));
    c.ws.close(reason === 'slow-client' ? CLOSE_SLOW : CLOSE_SHUTDOWN, reason);
    const t = setTimeout(() => {
      this.graceTimers.delete(t);
      c.ws.terminate();
    }, this.opts.closeGraceMs ?? 2000);
    t.unref();
    this.graceTimers.add(t);
    c.ws.once('close', () => {
      clearTimeout(t);
      this.graceTimers.delete(t);
    });
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      if (this.pump) clearImmediate(this.pump);
      this.pump = null;
      this.unsubscribe();
      const sockets = [...this.clients].map((c) => c.ws);
      for (const c of [...this.clients]) this.drop(c, 'shutdown');
      await Promise.all(sockets.filter((ws) => ws.readyState !== ws.CLOSED).map((ws) => new Promise((r) => ws.once('close', r))));
      await new Promise<void>((r) => this.wss.close(() => r()));
      await new Promise<void>((r) => {
        this.http.close(() => r());
        this.http.closeAllConnections();
      });
      for (const t of this.graceTimers) clearTimeout(t);
      this.graceTimers.clear();
    })();
    return this.closing;
  }
}

function sameSecret(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
