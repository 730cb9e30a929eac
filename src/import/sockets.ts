/** Listening sockets of one captured namespace, as nflab listeners. */
import { lineOf, nsLabel, type Bundle, type NsCapture } from './bundle.js';
import type { ImportContext, ImportListen, ImportNode } from './model.js';

interface RawSocket {
  proto: 'tcp' | 'udp';
  /** IPv4 address, `0.0.0.0`, or null for an IPv6-only bind. */
  addr: string | null;
  shown: string;
  port: number;
  uid: number;
  pid: number | null;
  line: number;
}

export function readSockets(b: Bundle, ns: NsCapture, node: ImportNode, ctx: ImportContext): void {
  const raw: RawSocket[] = [];
  const ss = ns.sections.get('ss');
  if (ss && !ss.missing) {
    ss.lines.forEach((l, k) => {
      const s = parseSsLine(l, lineOf(ss, k));
      if (s) raw.push(s);
      else if (l.trim() !== '')
        ctx.warn({
          file: b.file,
          line: lineOf(ss, k),
          ns: nsLabel(ns),
          section: 'ss',
          message: `cannot read this socket line, skipped: ${JSON.stringify(l.slice(0, 80))}`,
        });
    });
  } else {
    for (const t of ['tcp', 'udp', 'tcp6', 'udp6'] as const) {
      const s = ns.sections.get(`proc-net-${t}`);
      s?.lines.forEach((l, k) => {
        const r = parseProcLine(t, l, lineOf(s, k));
        if (r) raw.push(r);
      });
    }
  }
  const cmdlines = new Map<number, string>();
  for (const l of ns.sections.get('cmdline')?.lines ?? []) {
    const m = /^(\d+) (.*)$/.exec(l);
    if (m) cmdlines.set(Number(m[1]), m[2]);
  }
  const own = new Set(node.ifaces.flatMap((i) => i.addrs.map((a) => a.split('/')[0])));
  const v6: string[] = [];
  const seen = new Map<string, ImportListen>();
  for (const s of raw) {
    if (s.addr === null) {
      v6.push(`${s.proto} ${s.shown}`);
      continue;
    }
    let addr = s.addr;
    if (addr !== '0.0.0.0' && !addr.startsWith('127.') && !own.has(addr)) {
      ctx.warn({
        file: b.file,
        line: s.line,
        ns: nsLabel(ns),
        section: 'ss',
        message: `${s.proto} socket bound to ${addr}:${s.port}, not an address of this namespace (IP_FREEBIND or a removed address): imported as 0.0.0.0:${s.port}`,
      });
      addr = '0.0.0.0';
    }
    const app = appOf(s.pid === null ? undefined : cmdlines.get(s.pid));
    const l: ImportListen = { proto: s.proto, port: s.port, addr, uid: s.uid, app: app.app, source: app.source, line: s.line };
    const key = `${s.proto}:${s.port}`;
    const before = seen.get(`${key}@${addr}`);
    if (before) continue; // SO_REUSEPORT workers: one listener
    const wild = seen.get(`${key}@0.0.0.0`);
    const overlapping = [...seen.entries()].filter(([k]) => k.startsWith(`${key}@`));
    if (wild || (addr === '0.0.0.0' && overlapping.length)) {
      ctx.warn({
        file: b.file,
        line: s.line,
        ns: nsLabel(ns),
        section: 'ss',
        message: `${s.proto} port ${s.port} is bound both to 0.0.0.0 and to a specific address; nflab refuses overlapping binds, so only the first one read is imported`,
      });
      continue;
    }
    seen.set(`${key}@${addr}`, l);
    node.listen.push(l);
    if (l.uid !== 0) node.uids.add(l.uid);
  }
  if (v6.length) {
    ctx.warn({
      file: b.file,
      line: ss?.line ?? ns.line,
      ns: nsLabel(ns),
      section: 'ss',
      message: `IPv6 is not modelled: ${v6.length} IPv6-only socket${v6.length > 1 ? 's' : ''} not imported (${v6.slice(0, 4).join(', ')}${v6.length > 4 ? ', ...' : ''})`,
    });
    ctx.approximated.push(`${node.name}: ${v6.length} IPv6 sockets left out`);
  }
}

/**
 * The app of a listener: nflab's own exported listeners say which one on their
 * command line (`apps.py serve NODE APP PROTO ADDR PORT SOURCE`), Envoy is a
 * transparent proxy; anything else is an echo server.
 */
function appOf(cmdline: string | undefined): { app: ImportListen['app']; source: string | null } {
  if (!cmdline) return { app: 'echo', source: null };
  const m = /apps\.py serve \S+ (echo|sink|proxy) (?:tcp|udp) \S+ \d+ ?(\S*)/.exec(cmdline);
  if (m) return { app: m[1] as ImportListen['app'], source: m[1] === 'proxy' && /^\d+\.\d+\.\d+\.\d+$/.test(m[2]) ? m[2] : null };
  if (/(^|\/)envoy\s/.test(cmdline)) return { app: 'proxy', source: null };
  return { app: 'echo', source: null };
}

function splitHostPort(text: string): { host: string; port: number } | null {
  const c = text.lastIndexOf(':');
  if (c < 0) return null;
  const port = Number(text.slice(c + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
  let host = text.slice(0, c);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const pct = host.indexOf('%');
  if (pct >= 0) host = host.slice(0, pct);
  return { host, port };
}

function v4Of(host: string): string | null {
  if (host === '*' || host === '0.0.0.0' || host === '::') return '0.0.0.0';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return host;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return mapped ? mapped[1] : null;
}

export function parseSsLine(line: string, at: number): RawSocket | null {
  const w = line.trim().split(/\s+/);
  if (w.length < 6 || (w[0] !== 'tcp' && w[0] !== 'udp')) return null;
  const hp = splitHostPort(w[4]);
  if (!hp) return null;
  const uid = w.find((x) => x.startsWith('uid:'));
  const pid = /pid=(\d+)/.exec(line);
  return {
    proto: w[0],
    addr: v4Of(hp.host),
    shown: w[4],
    port: hp.port,
    uid: uid ? Number(uid.slice(4)) : 0,
    pid: pid ? Number(pid[1]) : null,
    line: at,
  };
}

/** /proc/net/{tcp,udp}[6]: addresses in the kernel's byte order as printed on a little-endian host (x86, arm). */
function parseProcLine(t: 'tcp' | 'udp' | 'tcp6' | 'udp6', line: string, at: number): RawSocket | null {
  const w = line.trim().split(/\s+/);
  if (w.length < 8 || !/^\d+:$/.test(w[0])) return null;
  const listening = t.startsWith('tcp') ? w[3] === '0A' : w[3] === '07' && /:0000$/.test(w[2]);
  if (!listening) return null;
  const [a, p] = w[1].split(':');
  let addr: string | null;
  if (a.length === 8) addr = le32(a);
  else if (/^0{32}$/.test(a)) addr = '0.0.0.0';
  else if (/^0{16}FFFF0000/i.test(a)) addr = le32(a.slice(24));
  else addr = null;
  return { proto: t.startsWith('tcp') ? 'tcp' : 'udp', addr, shown: w[1], port: parseInt(p, 16), uid: Number(w[7]), pid: null, line: at };
}

function le32(hex: string): string {
  const bytes = [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return bytes.join('.');
}
