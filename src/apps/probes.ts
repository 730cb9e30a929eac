/**
 * The client side of scenario steps: connect (TCP, send a line, read the answer,
 * close), send (one UDP datagram, wait for an answer) and ping. Each reports
 * what a Linux client would see, plus the first packet's trace.
 */
import { formatIpv4, type Ipv4 } from '../packet/ipv4.js';
import type { SocketOwner } from '../netfilter/types.js';
import type { Node } from '../node/node.js';
import type { SocketError } from '../node/tcp.js';
import type { PacketTrace } from '../trace/steps.js';
import { echoAnsweredBy } from '../node/icmp.js';
import { parseEchoAnswer } from './echo-format.js';

export type ProbeKind = 'connect' | 'send' | 'ping';
export type ProbeResultName = 'connected' | 'refused' | 'timeout' | 'unreachable' | 'no-route' | 'delivered' | 'reply';

export interface ProbeOptions {
  dst: Ipv4;
  /** Destination port (connect, send). */
  port: number;
  proto: 'tcp' | 'udp';
  owner: SocketOwner;
  src: Ipv4 | null;
  sport: number | null;
  timeout: number;
  /** What the client sends. */
  line: string;
}

export interface ProbeOutcome {
  result: ProbeResultName;
  /** The node whose socket answered, from the echo answer (or the trace when nobody answered). */
  server: string | null;
  /** What the server saw as its peer, `ip:port`. */
  serverSees: string | null;
  answer: string | null;
  /** The client's own address and port. */
  local: string | null;
  error: SocketError | null;
  /** The first packet's trace (the SYN for TCP). */
  trace: PacketTrace | null;
}

/**
 * The result a Linux client reports for an errno. At the sender, a failing
 * route lookup is "no route", whatever errno the route type gives: none
 * (ENETUNREACH), a blackhole or a loopback source leaving the host (EINVAL),
 * an `unreachable` (EHOSTUNREACH) or `prohibit` (EACCES) route; connect() and
 * sendto() fail at once. From the network (an ICMP error), every unreachable
 * code is "unreachable".
 */
function classify(err: SocketError, kind: ProbeKind, atSender: boolean): ProbeResultName {
  switch (err) {
    case 'ENETUNREACH':
    case 'EINVAL':
    case 'EHOSTUNREACH':
    case 'EACCES':
      return atSender ? 'no-route' : 'unreachable';
    case 'ECONNREFUSED':
      // A ping answered by port-unreachable is not "refused": ping has no port.
      return kind === 'ping' ? 'unreachable' : 'refused';
    case 'ECONNRESET':
      // A reset that lands before connect() returns (SPEC: a TCP RST is "refused").
      return 'refused';
    case 'ETIMEDOUT':
    case 'EPERM':
      return 'timeout';
    default:
      return 'unreachable';
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function outcome(partial: Partial<ProbeOutcome> & { result: ProbeResultName }): ProbeOutcome {
  return { server: null, serverSees: null, answer: null, local: null, error: null, trace: null, ...partial };
}

/** Traces started on `node` while `fn` runs: the probe's first packet is the first of them. */
function firstTraceDuring(node: Node, fn: () => void): PacketTrace | null {
  let first: PacketTrace | null = null;
  const off = node.lab.tracer.subscribe((e) => {
    if (!first && e.kind === 'packet.new' && e.node === node.name && e.packet !== undefined)
      first = node.lab.tracer.traces.get(e.packet) ?? null;
  });
  try {
    fn();
  } finally {
    off();
  }
  return first;
}

function withAnswer(o: ProbeOutcome, text: string): ProbeOutcome {
  const a = parseEchoAnswer(text);
  if (a) {
    o.server = a.node;
    o.serverSees = a.peer;
  }
  o.answer = text;
  return o;
}

export function connectProbe(node: Node, o: ProbeOptions, done: (r: ProbeOutcome) => void): void {
  const timers = node.lab.timers;
  let finished = false;
  let trace: PacketTrace | null = null;
  let result: ProbeOutcome | null = null;
  const finish = (r: ProbeOutcome) => {
    if (finished) return;
    finished = true;
    timer.cancel();
    r.trace = trace;
    done(r);
  };
  const ep = node.sockets.connectTcp({ dst: o.dst, dport: o.port, src: o.src, sport: o.sport, owner: o.owner, app: 'client' });
  if (typeof ep === 'string') return done(outcome({ result: classify(ep, 'connect', true), error: ep }));
  const local = `${formatIpv4(ep.localAddr)}:${ep.localPort}`;
  let answer = '';
  const timer = timers.at(timers.now() + o.timeout, () => {
    if (result) {
      // Connected but nobody answered (a sink): give up reading and close.
      ep.close();
      return finish(result);
    }
    ep.abort();
    finish(outcome({ result: 'timeout', local }));
  });
  ep.handlers = {
    // The client process wakes after the stack has done everything due at this instant (the
    // softirq): a reset that the handshake's own ACK provoked over lo is already in, and connect()
    // fails with ECONNRESET (measured on Linux 6.18).
    onConnected: (e) => {
      const wake = () => {
        if (finished) return;
        if (node.softirqPending > 0) return void timers.at(timers.now(), wake);
        result = outcome({ result: 'connected', local });
        e.write(encoder.encode(o.line));
      };
      timers.at(timers.now(), wake);
    },
    onData: (e, data) => {
      answer += decoder.decode(data);
      if (answer.includes('\n') && result && result.answer === null) {
        withAnswer(result, answer);
        e.close();
      }
    },
    onPeerClosed: (e) => e.close(),
    onClosed: () => {
      if (result) finish(result);
    },
    onError: (_e, err) => {
      if (result) return finish(result);
      finish(outcome({ result: classify(err, 'connect', false), error: err, local }));
    },
  };
  trace = firstTraceDuring(node, () => ep.connect());
}

export function sendProbe(node: Node, o: ProbeOptions, done: (r: ProbeOutcome) => void): void {
  const timers = node.lab.timers;
  let finished = false;
  let trace: PacketTrace | null = null;
  const sock = node.sockets.openUdp({
    dst: o.dst,
    dport: o.port,
    src: o.src,
    sport: o.sport,
    owner: o.owner,
    onData: (data) => finish(withAnswer(outcome({ result: 'delivered', local }), decoder.decode(data))),
    onError: (err) => finish(outcome({ result: classify(err, 'send', false), error: err, local })),
  });
  if (typeof sock === 'string') return done(outcome({ result: classify(sock, 'send', true), error: sock }));
  const local = `${formatIpv4(sock.local.addr)}:${sock.local.port}`;
  // A Linux client knows a datagram arrived only when an answer comes back; a silent socket (a sink) is a timeout to it.
  const timer = timers.at(timers.now() + o.timeout, () => finish(outcome({ result: 'timeout', local })));
  function finish(r: ProbeOutcome): void {
    if (finished) return;
    finished = true;
    timer.cancel();
    node.sockets.closeUdp(sock as Exclude<typeof sock, string>);
    r.trace = trace;
    done(r);
  }
  let err: SocketError | null = null;
  trace = firstTraceDuring(node, () => (err = node.sockets.sendUdp(sock.local, sock.remote, encoder.encode(o.line), o.owner)));
  if (err) finish(outcome({ result: classify(err, 'send', true), error: err, local }));
}

export function pingProbe(node: Node, o: ProbeOptions, done: (r: ProbeOutcome) => void): void {
  const timers = node.lab.timers;
  const s = node.sockets.sourceFor(o.dst, o.src, 0);
  if ('error' in s) return done(outcome({ result: classify(s.error, 'ping', true), error: s.error }));
  const id = node.lab.rng.int(1, 0xffff);
  let finished = false;
  let trace: PacketTrace | null = null;
  const finish = (r: ProbeOutcome) => {
    if (finished) return;
    finished = true;
    timer.cancel();
    node.sockets.closePing(id);
    r.trace = trace;
    done(r);
  };
  // As for connect, the server is who answered and what it saw: the node that
  // answered the echo request (even when its reply is lost), not the reply's source.
  const payload = new Uint8Array(56);
  const answered = (r: ProbeOutcome): ProbeOutcome => {
    const by = echoAnsweredBy(payload);
    if (by) {
      r.server = by.node;
      r.serverSees = formatIpv4(by.src);
    }
    return r;
  };
  const timer = timers.at(timers.now() + o.timeout, () => finish(answered(outcome({ result: 'timeout' }))));
  node.sockets.openPing({
    id,
    onReply: () => finish(answered(outcome({ result: 'reply' }))),
    onError: (err) => finish(answered(outcome({ result: classify(err, 'ping', false), error: err }))),
  });
  let err: SocketError | null = null;
  trace = firstTraceDuring(node, () => (err = node.sockets.sendPing(s.src, o.dst, id, 1, o.owner, payload)));
  if (err) finish(outcome({ result: classify(err, 'ping', true), error: err }));
}
