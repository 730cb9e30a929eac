/**
 * What a running lab reports: one union tagged by `kind`, so a consumer that
 * switches on the kind gets the payload's type without a cast. Front ends add
 * their own kinds on top (the session's `sim.state` and `probe.result`).
 */
import type { Micros } from '../core/time.js';
import type { PlainEntry } from '../netfilter/conntrack/format.js';
import type { CtEventType } from '../netfilter/conntrack/table.js';
import type { IptablesBackend } from '../netfilter/update-cost/types.js';
import type { Outcome, PacketSummary, TraceStep } from './steps.js';

/** One priced rule change: reported with the command's output, in `rules.update` events and in scenario reports. */
export interface RuleUpdate {
  node: string;
  cmd: string;
  backend: IptablesBackend;
  /** Modelled kernel wall time of the change. */
  cost_us: Micros;
  /** What dominates the cost, in a few words. */
  why: string;
  /** When the kernel would start on it (later than asked when an earlier change on the node is still running). */
  start_us: Micros;
  /** When packets start seeing the new rules. */
  commit_us: Micros;
}

/** The kind of event a trace step makes: a hop over a link, a table's verdict, a delivery, a drop, or anything else. */
export type StepEventKind = 'packet.hop' | 'packet.verdict' | 'packet.deliver' | 'packet.drop' | 'packet.step';

interface At {
  t_us: Micros;
  node: string;
}

export type LabEvent =
  | (At & { kind: 'packet.new'; packet: number; data: PacketSummary })
  | (At & { kind: StepEventKind; packet: number; step: TraceStep })
  | (At & { kind: 'packet.end'; packet: number; outcome: Outcome })
  | (At & { kind: `conntrack.${CtEventType}`; data: PlainEntry })
  | (At & { kind: 'rules.update'; data: RuleUpdate })
  /** `data` is the command line that changed the rules. */
  | (At & { kind: 'rules.changed'; data: string })
  /** `data` is the LOG target's line. */
  | (At & { kind: 'log'; data: string });

export type LabEventKind = LabEvent['kind'];

/**
 * Every kind, listed once so that tools that must name them all (the feed's
 * subscription check) derive them from here; the `satisfies` clause fails to
 * compile when a kind is added to the union and not here, or the reverse.
 */
export const LAB_EVENT_KINDS = [
  'packet.new',
  'packet.hop',
  'packet.verdict',
  'packet.deliver',
  'packet.drop',
  'packet.step',
  'packet.end',
  'conntrack.new',
  'conntrack.update',
  'conntrack.destroy',
  'rules.update',
  'rules.changed',
  'log',
] as const satisfies readonly LabEventKind[];

type Missing = Exclude<LabEventKind, (typeof LAB_EVENT_KINDS)[number]>;
const everyKindListed: [Missing] extends [never] ? true : Missing = true;
void everyKindListed;

export type LabListener = (e: LabEvent) => void;
