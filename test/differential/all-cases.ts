/** Every case the suite runs: its own, then one per bundled scenario. */
import type { Topology } from '../../src/topology/model.js';
import { CASES } from './cases.js';
import { caseTopology } from './compare.js';
import type { DiffCase } from './model.js';
import { scenarioCases } from './scenario-cases.js';

export function allCases(): Array<{ c: DiffCase; topo: Topology }> {
  return [...CASES.map((c) => ({ c, topo: caseTopology(c) })), ...scenarioCases()];
}
