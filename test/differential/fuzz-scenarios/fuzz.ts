/**
 * Runs generated scenarios on nflab and on the kernel (live, or the recorded
 * answers of the CI budget) and reports where they disagree; a disagreement
 * can be shrunk and written out as a case.
 */
import { resolve } from 'node:path';
import type { Topology } from '../../../src/topology/model.js';
import { caseTopology, diffObservations, formatDifference, notesOf } from '../compare.js';
import { liveAnswer, recordedAnswer } from '../kernel-answer.js';
import type { DiffCase, Observation } from '../model.js';
import { observeKernel } from '../run-kernel.js';
import { observeNflab } from '../run-nflab.js';
import { type GenOptions, type GenScenario, generateScenario, scenarioCase } from './generate.js';
import { shrink, writeFoundCase } from './shrink.js';

/** The CI budget: this seed, this many scenarios; their kernel answers are kept in fuzz-scenarios/recorded/. */
export const CI_SEED = 1;
export const CI_SCENARIOS = 40;
export const FUZZ_RECORD_DIR = resolve(import.meta.dirname, 'recorded');
/** The nft flavour's CI budget (scenarios `nft-1-0` ...), kept in fuzz-scenarios/recorded-nft/. */
export const NFT_CI_SEED = 1;
export const NFT_CI_SCENARIOS = 20;
export const NFT_RECORD_DIR = resolve(import.meta.dirname, 'recorded-nft');

export interface FuzzOutcome {
  scenario: GenScenario;
  c: DiffCase;
  differences: string[];
  /** What was not compared, and why (a deliberate difference nflab's side recognised). */
  notes: string[];
}

export type KernelSource = 'live' | 'recorded';

export async function kernelFor(c: DiffCase, topo: Topology, source: KernelSource, recordDir?: string): Promise<Observation> {
  if (source === 'recorded') return recordedAnswer(c, topo, recordDir);
  if (recordDir !== undefined) return liveAnswer(c, topo, { dir: recordDir });
  return observeKernel(c, topo);
}

export async function runScenario(
  seed: number,
  index: number,
  source: KernelSource,
  recordDir?: string,
  o: GenOptions = {},
): Promise<FuzzOutcome> {
  const scenario = generateScenario(seed, index, o);
  const c = scenarioCase(scenario);
  const topo = caseTopology(c);
  const kernel = await kernelFor(c, topo, source, recordDir);
  const nflab = observeNflab(c, topo);
  return { scenario, c, differences: diffObservations(kernel, nflab).map(formatDifference), notes: notesOf(nflab) };
}

async function liveDiff(s: GenScenario): Promise<string[]> {
  const c = scenarioCase(s);
  const topo = caseTopology(c);
  return diffObservations(await observeKernel(c, topo), observeNflab(c, topo)).map(formatDifference);
}

/**
 * Shrinks a live disagreement to the fewest nodes, rules and steps that still
 * disagree in the same aspect, and writes it as a case. The kernel is asked
 * twice before a smaller candidate counts, so a probe the loaded machine
 * answered late does not steer the shrinking.
 */
export async function shrinkAndWrite(
  o: FuzzOutcome,
  dir?: string,
  log?: (l: string) => void,
): Promise<{ file: string; differences: string[] }> {
  const aspect = / — (\w+):/.exec(o.differences[0])?.[1] ?? '';
  const same = (d: string[]) => d.some((l) => l.includes(` — ${aspect}:`));
  const { scenario } = await shrink(o.scenario, async (s) => same(await liveDiff(s)) && same(await liveDiff(s)), { log });
  const { file } = writeFoundCase(scenario, `${aspect} disagreement`, dir);
  return { file, differences: await liveDiff(scenario) };
}
