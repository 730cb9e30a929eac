/**
 * The kernel's answer to a case: measured live where namespaces are available
 * (and then checked against, or written to, the case's record), read from the
 * record otherwise.
 */
import { spawnSync } from 'node:child_process';
import type { Topology } from '../../src/topology/model.js';
import { diffObservations, formatDifference } from './compare.js';
import type { DiffCase, Observation } from './model.js';
import { readRecord, recording, writeRecord } from './record.js';
import { observeKernel } from './run-kernel.js';

export class StaleRecord extends Error {}

export function kernelRelease(): string {
  const r = spawnSync('uname', ['-r'], { encoding: 'utf8' });
  return `Linux ${(r.stdout ?? '').trim()}`;
}

/** The recorded answer, or an error saying why there is none. */
export function recordedAnswer(c: DiffCase, topo: Topology, dir?: string): Observation {
  const r = readRecord(c, topo, dir);
  if (!r.ok) throw new Error(`${c.name}: ${r.why}`);
  return r.record.observation;
}

/**
 * Runs the case on the kernel. Recording: writes the answer. Otherwise the
 * answer must match the record (the same comparison nflab faces), or the
 * record is stale and this throws, listing where.
 */
export async function liveAnswer(
  c: DiffCase,
  topo: Topology,
  o: { observe?: (c: DiffCase, topo: Topology) => Promise<Observation>; dir?: string; record?: boolean } = {},
): Promise<Observation> {
  const live = await (o.observe ?? observeKernel)(c, topo);
  if (o.record ?? recording()) {
    writeRecord(c, topo, live, kernelRelease(), o.dir);
    return live;
  }
  const recorded = recordedAnswer(c, topo, o.dir);
  const drift = diffObservations(recorded, live).map(formatDifference);
  if (drift.length > 0) {
    throw new StaleRecord(
      `${c.name}: the live kernel no longer answers as recorded (stale record; re-record with npm run fidelity -- --record):\n  ${drift
        .join('\n  ')
        .replaceAll(' kernel ', ' recorded ')
        .replaceAll(' | nflab ', ' | live ')}`,
    );
  }
  return live;
}
