/**
 * The listening apps a topology can start: echo, sink, and the transparent
 * proxy that Istio's sidecar is (accept, look up the original destination as
 * SO_ORIGINAL_DST does, connect there as its own uid, relay both ways).
 */
import { formatIpv4, type Ipv4 } from '../packet/ipv4.js';
import { PROTO_TCP } from '../packet/packet.js';
import type { SocketOwner } from '../netfilter/types.js';
import type { Node } from '../node/node.js';
import type { Listener, Proto } from '../node/sockets.js';
import type { TcpEndpoint } from '../node/tcp.js';
import { echoAnswer } from './echo-format.js';

export type AppName = 'echo' | 'sink' | 'proxy';

export interface ServerSpec {
  proto: Proto;
  port: number;
  addr: Ipv4;
  owner: SocketOwner;
  app: AppName;
  /** The proxy's bind address for upstream connections. */
  source: Ipv4 | null;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

const peerOf = (ep: TcpEndpoint): string => `${formatIpv4(ep.remoteAddr)}:${ep.remotePort}`;

export function startServer(node: Node, spec: ServerSpec): void {
  const base = { proto: spec.proto, addr: spec.addr, port: spec.port, owner: spec.owner, app: spec.app };
  let l: Listener;
  if (spec.proto === 'udp') {
    l = {
      ...base,
      onDatagram: (from, to, data, reply) => {
        if (spec.app === 'echo')
          reply(
            encoder.encode(
              // `local` is the socket's own name (getsockname), as the exported echo reports it: 0.0.0.0 when bound to the wildcard.
              echoAnswer(node.name, `${formatIpv4(from.addr)}:${from.port}`, `${formatIpv4(spec.addr)}:${to.port}`, decoder.decode(data)),
            ),
          );
      },
    };
  } else if (spec.app === 'echo') {
    l = { ...base, onAccept: (ep) => serveEcho(node, ep) };
  } else if (spec.app === 'sink') {
    l = { ...base, onAccept: (ep) => (ep.handlers = { onPeerClosed: (e) => e.close() }) };
  } else {
    l = { ...base, onAccept: (ep) => serveProxy(node, ep, spec) };
  }
  node.sockets.listen(l);
}

function serveEcho(node: Node, ep: TcpEndpoint): void {
  let buffered = '';
  ep.handlers = {
    onData: (e, data) => {
      buffered += decoder.decode(data);
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      const line = buffered.slice(0, nl + 1);
      buffered = buffered.slice(nl + 1);
      e.write(encoder.encode(echoAnswer(node.name, peerOf(e), `${formatIpv4(e.localAddr)}:${e.localPort}`, line)));
    },
    onPeerClosed: (e) => e.close(),
  };
}

function serveProxy(node: Node, down: TcpEndpoint, spec: ServerSpec): void {
  const orig = node.conntrack.originalDestination(PROTO_TCP, down.localAddr, down.localPort, down.remoteAddr, down.remotePort);
  if (!orig) {
    down.abort();
    return;
  }
  const up = node.sockets.connectTcp({ dst: orig.addr, dport: orig.port, src: spec.source, sport: null, owner: spec.owner, app: 'proxy' });
  if (typeof up === 'string') {
    down.abort();
    return;
  }
  const pending: Uint8Array[] = [];
  let upReady = false;
  down.handlers = {
    onData: (_e, data) => (upReady ? up.write(data) : pending.push(data)),
    onPeerClosed: () => up.close(),
    onError: () => up.abort(),
  };
  up.handlers = {
    onConnected: (u) => {
      upReady = true;
      for (const d of pending.splice(0)) u.write(d);
    },
    onData: (_u, data) => down.write(data),
    onPeerClosed: () => down.close(),
    onError: () => down.abort(),
  };
  up.connect();
}
