import type { CtJson } from '../node/ports.js';
import type { PacketTrace } from '../trace/steps.js';

export interface Failure {
  expected: string;
  seen: string;
  why_not?: string;
}

export interface StepReport {
  step: number;
  kind: 'connect' | 'send' | 'ping' | 'exec' | 'wait' | 'expect';
  name: string;
  passed: boolean;
  at_us: number;
  /** Virtual time the step took (a background exec: until it returned, not until its change took effect). */
  duration_us?: number;
  from?: string;
  to?: string;
  proto?: string;
  result?: string;
  server?: string | null;
  server_sees?: string | null;
  repeat?: number;
  distribution?: Record<string, number>;
  trace?: PacketTrace['steps'];
  outcome?: string;
  on?: string;
  cmd?: string[];
  output?: ExecOutput[];
  background?: boolean;
  /** A native nft rule's counter carries `family` and `handle` (and `comment` when the scenario named it so); `rule` is null. */
  counters?: Array<{
    node: string;
    family?: string;
    table: string;
    chain: string;
    rule: number | null;
    handle?: number;
    comment?: string;
    packets: number;
    bytes: number;
  }>;
  conntrack?: Record<string, CtJson[]>;
  saves?: Record<string, string>;
  failures: Failure[];
}

/** One command of an exec step; `update` when it changed rules: what the kernel would pay, and when it took effect. */
export interface ExecOutput {
  cmd: string;
  exit: number;
  stdout: string;
  stderr: string;
  update?: { cmd: string; backend: string; cost_us: number; why: string; start_us: number; commit_us: number };
}

export interface ScenarioReport {
  scenario: string;
  file: string;
  topology: string;
  seed: number;
  passed: boolean;
  steps: StepReport[];
}
