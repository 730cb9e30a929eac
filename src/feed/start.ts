/**
 * `nflab serve`: builds a session on the topology, serves the feed until
 * SIGINT or SIGTERM, then shuts down cleanly and resolves with the exit code.
 * The only place in the feed that touches process signals and stdio.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatDiagnostic } from '../core/diagnostic.js';
import type { Topology } from '../topology/model.js';
import type { FeedSession } from './port.js';
import { PROTOCOL_VERSION } from './protocol.js';
import { createFeedServer, type FeedServer, type FeedServerOptions } from './server.js';

export interface ServeOptions {
  port: number;
  host: string;
  token: string | null;
  scenario: string | null;
  /** Where `load scenario` reads over the feed (default: the topology's directory). */
  scenarioDir?: string | null;
  /** Where `capture start` writes over the feed (default: a new temporary directory). */
  captureDir?: string | null;
}

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Resolves when the server should stop (by default: SIGINT or SIGTERM). */
  stopped: () => Promise<string>;
}

const defaultIo: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  stopped: () => waitForSignal(['SIGINT', 'SIGTERM']),
};

export function waitForSignal(signals: NodeJS.Signals[]): Promise<string> {
  return new Promise((done) => {
    const on = (sig: NodeJS.Signals) => {
      for (const s of signals) process.off(s, on);
      done(sig);
    };
    for (const s of signals) process.on(s, on);
  });
}

export async function startFeedServer(topo: Topology, opts: ServeOptions, io: Io = defaultIo): Promise<number> {
  // Loaded here so serveSession (and its tests) do not pull in the whole engine.
  const { Session } = await import('../session/session.js');
  const s = Session.create(topo, 1);
  if (!s.ok) {
    for (const d of s.error) io.err(formatDiagnostic(d));
    return 1;
  }
  return serveSession(s.value, opts, io);
}

/** Serves any FeedSession until stopped; split from startFeedServer so it can be tested without the engine. */
export async function serveSession(session: FeedSession, opts: ServeOptions, io: Io = defaultIo): Promise<number> {
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    io.err(`nflab: --port must be 0..65535, got ${opts.port}`);
    return 2;
  }
  const scenario = opts.scenario === null ? null : resolve(opts.scenario);
  if (scenario !== null && !existsSync(scenario)) {
    io.err(`nflab: cannot read scenario ${opts.scenario}`);
    return 2;
  }
  if (opts.scenarioDir != null && !isDir(opts.scenarioDir)) {
    io.err(`nflab: --scenario-dir ${opts.scenarioDir}: not a directory`);
    return 2;
  }
  if (opts.captureDir != null) {
    try {
      mkdirSync(opts.captureDir, { recursive: true, mode: 0o700 });
    } catch (e) {
      io.err(`nflab: --capture-dir ${opts.captureDir}: cannot make it (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      return 2;
    }
    if (!isDir(opts.captureDir)) {
      io.err(`nflab: --capture-dir ${opts.captureDir}: not a directory`);
      return 2;
    }
  }
  const serverOpts: FeedServerOptions = { host: opts.host, port: opts.port, token: opts.token, scenario };
  if (opts.scenarioDir != null) serverOpts.scenarioDir = resolve(opts.scenarioDir);
  if (opts.captureDir != null) serverOpts.captureDir = resolve(opts.captureDir);
  let server: FeedServer;
  try {
    server = await createFeedServer(session, serverOpts);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    io.err(`nflab: cannot listen on ${opts.host}:${opts.port}: ${code === 'EADDRINUSE' ? 'address in use' : (e as Error).message}`);
    return 2;
  }
  const ws = server.url.replace(/^http/, 'ws');
  io.out(`nflab feed on ${server.url} (viewer) and ${ws} (websocket, protocol nflab-feed v${PROTOCOL_VERSION})`);
  if (opts.token) io.out(`token required: open ${server.url}?token=${encodeURIComponent(opts.token)}`);
  if (!isLoopback(opts.host))
    io.err(
      `nflab: warning: listening on ${opts.host}, not loopback${opts.token ? '' : ', without a token: anyone who can reach it can drive the lab'}`,
    );
  if (scenario) io.out(`scenario ${scenario} runs when the first client connects`);
  const dir = server.scenarioDir;
  io.out(dir ? `clients may load scenarios from ${dir}` : 'clients cannot load scenarios (no --scenario-dir)');
  if (opts.captureDir != null) io.out(`client captures go to ${server.captureDir()}`);
  const sig = await io.stopped();
  io.out(`nflab feed: ${sig}, shutting down`);
  await server.close();
  return 0;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
