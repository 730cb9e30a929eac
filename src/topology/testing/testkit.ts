/** Helpers for the loader's tests: YAML written indented inside a test, loaded as `/lab/t.yaml`. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic } from '../../core/diagnostic.js';
import { loadTopologyText } from '../load.js';
import type { Topology } from '../model.js';

export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const FILE = '/lab/t.yaml';

/** Removes the first newline and the common indentation, so line 1 is the first written line. */
export function yaml(text: string): string {
  const lines = text.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

export function load(text: string, baseDir = FIXTURES): Topology {
  const r = loadTopologyText(yaml(text), FILE, baseDir);
  if (!r.ok) throw new Error(`expected the topology to load:\n${r.error.map(formatDiagnostic).join('\n')}`);
  return r.value;
}

/** Every diagnostic as `file:line:col: message`. */
export function errors(text: string, baseDir = FIXTURES): string[] {
  const r = loadTopologyText(yaml(text), FILE, baseDir);
  return r.ok ? [] : r.error.map(formatDiagnostic);
}
