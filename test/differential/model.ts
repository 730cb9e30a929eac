/**
 * The vocabulary of the differential suite: a case is a topology plus steps
 * that both sides run in order; an observation is what one side saw.
 */

import { counterDeltas, seenAddress } from './normalise.js';

export interface ProbeSpec {
  kind: 'connect' | 'send' | 'ping';
  from: string;
  /** `IP:PORT` (connect, send) or `IP` (ping). */
  to: string;
  proto?: 'tcp' | 'udp';
  uid?: number;
  src?: string;
  sport?: number;
  /** What the client sends (a newline is added); changes packet lengths. */
  line?: string;
  /** Trace the first packet (default true). Off where a rule matches TOS/DSCP: the kernel's trace marker is a DSCP value. */
  trace?: boolean;
  /** Run the probe this many times (default 1); each run is compared on its own. */
  repeat?: number;
  /** Compare only the result: which backend answers is random (`statistic --mode random`) on both sides, differently. */
  resultOnly?: boolean;
}

export interface ExecSpec {
  kind: 'exec';
  on: string;
  cmd: string;
  stdin?: string;
}

export interface WaitSpec {
  kind: 'wait';
  ms: number;
}

export type CaseStep = ProbeSpec | ExecSpec | WaitSpec;

export interface DiffCase {
  name: string;
  /** The matches, targets and behaviours the case exercises (for the report and for coverage). */
  covers: string[];
  /** Topology YAML text, as in topologies/*.yaml; for a bundled scenario, the parsed topology is passed instead. */
  topology: string;
  steps: CaseStep[];
  /** Host tools the kernel side needs beyond the harness's own (`ipset`, ...). */
  needs?: string[];
  /** Where a case came from, when not written here (a scenario file). */
  source?: string;
  /** Rules pick backends at random (`statistic --mode random`): probes compare results only, conntrack its original tuples. */
  random?: boolean;
  /** Also compare every node's conntrack entries after every probe, not only at the end (the scenario fuzzer's cases). */
  conntrackEveryProbe?: boolean;
  /**
   * `net.ipv4.tcp_synack_retries` on every node of both sides. The fuzzer sets 0: a server's SYN-ACK
   * retransmission (1 s after a SYN-ACK the client dropped) would land in a later probe, and the
   * kernel's wall-clock gaps between probes are longer than nflab's virtual ones.
   */
  synackRetries?: number;
  /**
   * After each probe, wait until no node is still resolving a next hop (ARP gives up after
   * about 3 s and answers with host-unreachable), so that the failure counts in that probe on
   * both sides rather than in whichever later probe the kernel's wall clock happens to reach.
   */
  settleArp?: boolean;
}

/** What one side saw for one probe run. */
export interface ProbeObservation {
  kind: 'probe';
  label: string;
  proto: 'tcp' | 'udp' | 'icmp';
  resultOnly: boolean;
  result: string;
  server: string | null;
  /** `IP`, or `IP:PORT` when the probe fixed its source port. */
  sees: string | null;
  /** First-packet rule steps per node, `HOOK table/CHAIN#N VERDICT` (`#policy` for a policy step); null when not traced. */
  trace: Record<string, string[]> | null;
  /** Rule and policy counters that moved during the probe: `node table line +packets[:bytes]`; null when not comparable. */
  counters: string[] | null;
  /** Every node's normalised conntrack entries right after the probe (cases with `conntrackEveryProbe`). */
  conntrack?: Record<string, string[]>;
  /**
   * nflab's side only: nodes that received an IPv4 packet longer than its link's MTU during the
   * probe. The kernel fragments such a datagram and nflab sends it whole (README, Scope), so their
   * traces and counters are not compared (the kernel traces every fragment, and a node without
   * defrag counts each).
   */
  oversize?: string[];
  /**
   * nflab's side only: nodes where conntrack dropped a new entry that clashed at confirm (the
   * kernel's `insert_failed`) during the probe: NAT found no free port. NAT searches ports from a
   * random offset (nflab's seeded RNG, the kernel's `get_random_u16`), so once a range is nearly
   * full the packet at which the search fails differs between the two sides (README, Kernel
   * comparison); those nodes' counters and conntrack are not compared from this probe on.
   */
  clashDrops?: string[];
  /**
   * nflab's side only: nodes with a TCP connection retransmitting on its timer when the probe
   * began (its segments were lost or dropped after conntrack saw them). The kernel's timer runs on
   * wall time, with the harness's own work between probes, and nflab's on the virtual clock, so
   * how many retries fall into this probe differs (README, Kernel comparison): those nodes'
   * counters and conntrack are not compared in this probe.
   */
  retrying?: string[];
}

export interface ExecObservation {
  kind: 'exec';
  label: string;
  exit: number;
  stdout: string;
}

export interface SkipObservation {
  kind: 'skip';
  label: string;
  why: string;
}

export type StepObservation = ProbeObservation | ExecObservation | SkipObservation;

export interface Observation {
  steps: StepObservation[];
  /** Normalised conntrack entries per node, at the end of the case. */
  conntrack: Record<string, string[]>;
  /** `iptables-save` (no counters) per node, at the end of the case. */
  rules: Record<string, string>;
  /** Cases with native nftables: `nft -a list ruleset` of the native tables per node, counters zeroed, at the end. */
  nft?: Record<string, string>;
}

export interface Difference {
  /** Which step (1-based label order) or `end` for end-of-case state. */
  where: string;
  aspect: 'result' | 'server' | 'server_sees' | 'trace' | 'counters' | 'exec' | 'conntrack' | 'rules' | 'steps';
  kernel: string;
  nflab: string;
}

export interface CaseResult {
  name: string;
  differences: Difference[];
  /** Things not compared and why (long waits, untraced probes). */
  notes: string[];
}

/** The same label on both sides, so differences say which step they are about. */
export function stepLabel(step: CaseStep, index: number, run = 0): string {
  const n = `${index + 1}${run > 0 ? `.${run + 1}` : ''}`;
  if (step.kind === 'exec') return `${n} exec ${step.on}: ${step.cmd}`;
  if (step.kind === 'wait') return `${n} wait ${step.ms}ms`;
  const proto = step.kind === 'ping' ? '' : `/${probeProto(step)}`;
  const who = [step.uid !== undefined ? `uid ${step.uid}` : '', step.src ? `src ${step.src}` : '', step.sport ? `sport ${step.sport}` : '']
    .filter(Boolean)
    .join(' ');
  return `${n} ${step.kind} ${step.from} → ${step.to}${proto}${who ? ` (${who})` : ''}`;
}

export function probeProto(p: ProbeSpec): 'tcp' | 'udp' {
  return p.proto ?? (p.kind === 'send' ? 'udp' : 'tcp');
}

/**
 * How long a probe waits for an answer, on both sides. Below a scenario probe's default 900 ms
 * so that a server's SYN-ACK retransmission (1 s after the SYN) cannot land
 * before the kernel side has read its counters.
 */
export const PROBE_TIMEOUT_MS = 700;

/** Waits longer than this are not run: the kernel cannot fast-forward its clock. */
export const MAX_WAIT_MS = 1000;

/**
 * One probe run as a side saw it, in the form the comparison reads: both runners
 * record the same fields and take the counters that moved between two saves.
 */
export function probeObservation(
  c: DiffCase,
  s: ProbeSpec,
  label: string,
  seen: { result: string; server: string | null; serverSees: string | null | undefined; trace: Record<string, string[]> | null },
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
): ProbeObservation {
  return {
    kind: 'probe',
    label,
    proto: s.kind === 'ping' ? 'icmp' : probeProto(s),
    resultOnly: s.resultOnly === true || c.random === true,
    result: seen.result,
    server: seen.server,
    sees: seenAddress(seen.serverSees, s.sport !== undefined),
    trace: seen.trace,
    counters: [...after].flatMap(([node, text]) => counterDeltas(node, before.get(node) ?? '', text)),
  };
}
