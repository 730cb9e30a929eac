/**
 * One probe on a fresh lab with every packet of the exchange traced: what
 * `nflab trace` prints.
 */
import { parseIpv4 } from '../packet/ipv4.js';
import type { Lab } from '../lab/lab.js';
import type { PacketTrace } from '../trace/steps.js';
import type { ProbeOutcome } from '../apps/probes.js';

export interface TraceRequest {
  from: string;
  to: string;
  proto: 'tcp' | 'udp' | 'icmp';
  uid: number;
  /** How long the probe waits for its answer (virtual µs); 900 ms as a scenario's probe by default. */
  timeout?: number;
}

export interface TraceResult {
  kind: 'connect' | 'send' | 'ping';
  result: string;
  outcome: ProbeOutcome;
  traces: PacketTrace[];
}

const MAX_EVENTS = 5_000_000;

export function traceOnce(lab: Lab, req: TraceRequest): TraceResult | { error: string } {
  if (!lab.node(req.from)) return { error: `no node "${req.from}"; nodes: ${[...lab.nodes.keys()].join(', ')}` };
  const [addrText, portText] = req.to.split(':');
  const dst = parseIpv4(addrText);
  if (dst === null) return { error: `--to must be IP or IP:PORT, not "${req.to}"` };
  const port = portText === undefined ? 0 : Number(portText);
  if (req.proto !== 'icmp' && !(port >= 1 && port <= 65535)) return { error: `--to needs a port for ${req.proto}` };
  const kind = req.proto === 'icmp' ? 'ping' : req.proto === 'udp' ? 'send' : 'connect';
  const ids: number[] = [];
  const off = lab.tracer.subscribe((e) => {
    if (e.kind === 'packet.new' && e.packet !== undefined) ids.push(e.packet);
  });
  let out: ProbeOutcome | null = null;
  lab.probe(
    kind,
    req.from,
    {
      dst,
      port,
      proto: req.proto === 'udp' ? 'udp' : 'tcp',
      owner: { uid: req.uid, gid: req.uid, groups: [] },
      src: null,
      sport: null,
      timeout: req.timeout ?? 900_000,
      line: `nflab trace ${req.to}\n`,
    },
    (r) => (out = r),
  );
  let n = 0;
  while ((out === null || !lab.quiet()) && lab.scheduler.step() && ++n < MAX_EVENTS);
  off();
  const traces = ids.map((id) => lab.tracer.traces.get(id)).filter((t): t is PacketTrace => t !== undefined);
  const o = out as ProbeOutcome | null;
  return { kind, result: o?.result ?? 'timeout', outcome: o!, traces };
}
