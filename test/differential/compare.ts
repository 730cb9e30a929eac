/**
 * Says where nflab and the kernel disagree: each
 * probe's result, server and what the server saw, the first packet's rule
 * steps, the counters the probe moved, and at the end every node's conntrack
 * entries and rules.
 */
import { formatDiagnostic } from '../../src/core/diagnostic.js';
import { loadTopologyText } from '../../src/topology/load.js';
import type { Topology } from '../../src/topology/model.js';
import type { DiffCase, Difference, Observation, ProbeObservation, StepObservation } from './model.js';

export function caseTopology(c: DiffCase): Topology {
  const t = loadTopologyText(c.topology, `<case ${c.name}>`, process.cwd());
  if (!t.ok) throw new Error(`case ${c.name}: ${t.error.map(formatDiagnostic).join('; ')}`);
  return t.value;
}

/** Steps neither side ran, and what a deliberate difference left uncompared (fragments, a failed NAT port search, a retrying connection), for the report. */
export function notesOf(o: Observation): string[] {
  return o.steps.flatMap((s) => {
    if (s.kind === 'skip' && s.why === 'not run')
      return [`${s.label}: not run on either side (the kernel's clock cannot be fast-forwarded)`];
    const notes: string[] = [];
    if (s.kind === 'probe' && s.oversize?.length) notes.push(`${s.label}: ${fragmentNote(s.oversize)}`);
    if (s.kind === 'probe' && s.clashDrops?.length) notes.push(`${s.label}: ${clashNote(s.clashDrops)}`);
    if (s.kind === 'probe' && s.retrying?.length) notes.push(`${s.label}: ${retryNote(s.retrying)}`);
    return notes;
  });
}

/** The deliberate difference `ProbeObservation.oversize` marks. */
export function fragmentNote(nodes: readonly string[]): string {
  return `trace and counters at ${nodes.join(', ')} not compared: datagrams over the link MTU, which the kernel fragments and nflab sends whole (README, Scope)`;
}

/** The deliberate difference `ProbeObservation.clashDrops` marks. */
export function clashNote(nodes: readonly string[]): string {
  return `counters and conntrack at ${nodes.join(', ')} not compared from here on: NAT found no free port there, and where a random port search fails differs between the two sides (README, Kernel comparison)`;
}

/** The deliberate difference `ProbeObservation.retrying` marks. */
export function retryNote(nodes: readonly string[]): string {
  return `counters and conntrack at ${nodes.join(', ')} not compared: a TCP connection there was retransmitting on its timer, which runs on wall time on the kernel side (README, Kernel comparison)`;
}

const show = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? '(none)' : v);
const list = (l: readonly string[] | undefined) => (l === undefined || l.length === 0 ? '(none)' : l.join(' ; '));

/**
 * Counters a probe's exchange moves comparably: a connected TCP exchange is
 * many packets whose number depends on ACK timing, but its nat rules see one
 * packet. Bytes are compared only where both sides send the same bytes: a
 * ping's payload and a UDP echo answer's text differ between the two clients.
 */
function comparableCounters(o: ProbeObservation, tcpConnected: boolean, packetsOnly: boolean): string[] {
  let lines = o.counters ?? [];
  // Native rules only a connection's first packet walks are `nft-nat` (test/differential/nft-observe.ts).
  if (tcpConnected) lines = lines.filter((l) => l.split(' ')[1] === 'nat' || l.split(' ')[1] === 'nft-nat');
  if (packetsOnly) lines = lines.map((l) => l.replace(/:\d+$/, ''));
  return lines;
}

function byNode(lines: string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const l of lines) {
    const node = l.slice(0, l.indexOf(' '));
    m.set(node, [...(m.get(node) ?? []), l.slice(node.length + 1)]);
  }
  return m;
}

/** `uncompared`: nodes whose counters and conntrack a deliberate difference leaves out (see `clashDrops`, `retrying`). */
function diffProbe(k: ProbeObservation, n: ProbeObservation, uncompared: ReadonlySet<string>, out: Difference[]): void {
  const where = k.label;
  if (k.result !== n.result) out.push({ where, aspect: 'result', kernel: k.result, nflab: n.result });
  if (k.resultOnly) return;
  if (k.server !== n.server) out.push({ where, aspect: 'server', kernel: show(k.server), nflab: show(n.server) });
  if (k.sees !== n.sees) out.push({ where, aspect: 'server_sees', kernel: show(k.sees), nflab: show(n.sees) });
  // The kernel traces every fragment of a traced datagram, and counts each where nothing reassembles.
  const fragmented = new Set(n.oversize ?? []);
  if (k.trace !== null && n.trace !== null) {
    const nodes = [...new Set([...Object.keys(k.trace), ...Object.keys(n.trace)])].sort();
    for (const node of nodes) {
      if (fragmented.has(node)) continue;
      const a = list(k.trace[node]);
      const b = list(n.trace[node]);
      if (a !== b) out.push({ where: `${where} at ${node}`, aspect: 'trace', kernel: a, nflab: b });
    }
  }
  const tcpConnected = k.proto === 'tcp' && (k.result === 'connected' || n.result === 'connected');
  const packetsOnly = k.proto === 'icmp' || (k.proto === 'udp' && (k.result === 'delivered' || n.result === 'delivered'));
  const kc = byNode(comparableCounters(k, tcpConnected, packetsOnly));
  const nc = byNode(comparableCounters(n, tcpConnected, packetsOnly));
  for (const node of [...new Set([...kc.keys(), ...nc.keys()])].sort()) {
    if (fragmented.has(node) || uncompared.has(node)) continue;
    const a = list(kc.get(node));
    const b = list(nc.get(node));
    if (a !== b) out.push({ where: `${where} at ${node}`, aspect: 'counters', kernel: a, nflab: b });
  }
  if (k.conntrack !== undefined && n.conntrack !== undefined) diffConntrack(k.conntrack, n.conntrack, `${where} at`, uncompared, out);
}

function diffConntrack(
  kernel: Record<string, string[]>,
  nflab: Record<string, string[]>,
  where: string,
  uncompared: ReadonlySet<string>,
  out: Difference[],
): void {
  for (const node of Object.keys(kernel).sort()) {
    if (uncompared.has(node)) continue;
    const a = kernel[node];
    const b = nflab[node] ?? [];
    if (a.length !== b.length || a.some((e, i) => e !== b[i]))
      out.push({ where: `${where} ${node}`, aspect: 'conntrack', kernel: list(a), nflab: list(b) });
  }
}

function diffStep(k: StepObservation, n: StepObservation, uncompared: ReadonlySet<string>, out: Difference[]): void {
  if (k.kind === 'probe' && n.kind === 'probe') return diffProbe(k, n, uncompared, out);
  if (k.kind === 'exec' && n.kind === 'exec') {
    if (k.exit !== n.exit) out.push({ where: k.label, aspect: 'exec', kernel: `exit ${k.exit}`, nflab: `exit ${n.exit}` });
    else if (k.stdout !== n.stdout)
      out.push({ where: k.label, aspect: 'exec', kernel: JSON.stringify(k.stdout), nflab: JSON.stringify(n.stdout) });
  }
}

export function diffObservations(kernel: Observation, nflab: Observation): Difference[] {
  const out: Difference[] = [];
  if (kernel.steps.length !== nflab.steps.length) {
    out.push({ where: 'steps', aspect: 'steps', kernel: `${kernel.steps.length} steps`, nflab: `${nflab.steps.length} steps` });
  }
  // A failed NAT port search leaves its node out from then on; a retrying connection only while it
  // retries (the end listing is taken right after the last probe, so that probe's mark holds there).
  const raced = new Set<string>();
  let retrying: readonly string[] = [];
  const uncompared = () => (retrying.length ? new Set([...raced, ...retrying]) : raced);
  kernel.steps.forEach((k, i) => {
    const n = nflab.steps[i];
    if (n?.kind === 'probe') {
      for (const node of n.clashDrops ?? []) raced.add(node);
      retrying = n.retrying ?? [];
    }
    if (n !== undefined) diffStep(k, n, uncompared(), out);
  });
  diffConntrack(kernel.conntrack, nflab.conntrack, 'end at', uncompared(), out);
  for (const node of Object.keys(kernel.nft ?? {}).sort())
    diffListing(`end at ${node} (nft)`, kernel.nft![node], nflab.nft?.[node] ?? '', out);
  for (const node of Object.keys(kernel.rules).sort()) {
    const a = kernel.rules[node].split('\n');
    const b = (nflab.rules[node] ?? '').split('\n');
    const i = a.findIndex((l, j) => l !== b[j]);
    if (i >= 0 || a.length !== b.length) {
      const at = i >= 0 ? i : Math.min(a.length, b.length);
      out.push({
        where: `end at ${node}`,
        aspect: 'rules',
        kernel: `line ${at + 1}: ${show(a[at])}`,
        nflab: `line ${at + 1}: ${show(b[at])}`,
      });
    }
  }
  return out;
}

/** The first line where two listings differ. */
function diffListing(where: string, kernel: string, nflab: string, out: Difference[]): void {
  const a = kernel.split('\n');
  const b = nflab.split('\n');
  const i = a.findIndex((l, j) => l !== b[j]);
  if (i < 0 && a.length === b.length) return;
  const at = i >= 0 ? i : Math.min(a.length, b.length);
  out.push({ where, aspect: 'rules', kernel: `line ${at + 1}: ${show(a[at])}`, nflab: `line ${at + 1}: ${show(b[at])}` });
}

/** One line per difference; known-differences.ts stores exactly these lines. */
export function formatDifference(d: Difference): string {
  return `${d.where} — ${d.aspect}: kernel ${d.kernel} | nflab ${d.nflab}`;
}
