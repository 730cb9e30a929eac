/** Every case the suite runs: its own (iptables, then native nftables), the ones the scenario fuzzer found (found/*.json), then one per bundled scenario. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Topology } from '../../src/topology/model.js';
import { CASES } from './cases.js';
import { NFT_CASES } from './cases-nft.js';
import { caseTopology } from './compare.js';
import { FOUND_DIR } from './fuzz-scenarios/shrink.js';
import type { DiffCase } from './model.js';
import { scenarioCases } from './scenario-cases.js';

/** Disagreements the scenario fuzzer found and shrank, kept as regressions. */
export function foundCases(dir = FOUND_DIR): DiffCase[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as DiffCase);
}

export function allCases(): Array<{ c: DiffCase; topo: Topology }> {
  return [...[...CASES, ...NFT_CASES, ...foundCases()].map((c) => ({ c, topo: caseTopology(c) })), ...scenarioCases()];
}
