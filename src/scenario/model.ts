import type { SourcePos } from '../core/diagnostic.js';
import type { Micros } from '../core/time.js';
import type { Ipv4 } from '../packet/ipv4.js';
import type { Topology } from '../topology/model.js';
import type { NftSelector } from './nft-ref.js';

export interface Scenario {
  file: string;
  name: string;
  topologyFile: string;
  topology: Topology;
  seed: number;
  steps: Step[];
}

/** A rule as a trace step refers to it: `NODE TABLE/CHAIN#N` (`#N` omitted: the chain's policy). */
export interface RuleRef {
  node: string;
  table: string;
  chain: string;
  rule: number | null;
  text: string;
  /** A native nft rule (`family` given): `rule` is then null and the rule is named by handle or comment. */
  nft?: NftSelector;
}

export interface ProbeExpect {
  result?: string;
  server?: string;
  server_sees?: string;
  /** Rules the first packet's trace must pass (match) / must not pass. */
  passes: RuleRef[];
  not_passes: RuleRef[];
  outcome?: string;
  /** For repeated probes: server node → [min, max] share (0..1). */
  distribution?: Map<string, [number, number]>;
}

export interface CounterExpect {
  node: string;
  table: string;
  chain: string;
  /** 1-based rule; null: the chain's policy counter. */
  rule: number | null;
  /** A native nft rule's `counter` (`family` given), named by handle or comment. */
  nft?: NftSelector;
  packets?: number;
  bytes?: number;
  pos: SourcePos;
}

export interface ConntrackExpect {
  node: string;
  count?: number;
  filter: {
    proto?: string;
    state?: string;
    src?: string;
    dst?: string;
    sport?: number;
    dport?: number;
    reply_src?: string;
    reply_dst?: string;
    reply_sport?: number;
    reply_dport?: number;
    mark?: number;
    flags?: string[];
  };
  pos: SourcePos;
}

interface StepBase {
  name: string;
  pos: SourcePos;
}

export interface ProbeStep extends StepBase {
  kind: 'connect' | 'send' | 'ping';
  from: string;
  to: string;
  dst: Ipv4;
  port: number;
  proto: 'tcp' | 'udp' | 'icmp';
  uid: number;
  gid: number;
  src: Ipv4 | null;
  sport: number | null;
  timeout: Micros;
  repeat: number;
  expect: ProbeExpect | null;
}

export interface ExecStep extends StepBase {
  kind: 'exec';
  on: string;
  cmds: string[];
  stdin: string | null;
  /** Go on to the next step at once; the commands take effect (and are checked) when the kernel would have committed them. */
  background: boolean;
  /** cost_under / cost_over: bounds on the modelled kernel time of the step's rule changes, together. */
  expect: { exit?: number; stdout?: string; stdout_contains?: string; cost_under?: Micros; cost_over?: Micros } | null;
}

export interface WaitStep extends StepBase {
  kind: 'wait';
  duration: Micros;
}

export interface ExpectStep extends StepBase {
  kind: 'expect';
  counters: CounterExpect[];
  conntrack: ConntrackExpect[];
}

export type Step = ProbeStep | ExecStep | WaitStep | ExpectStep;
