/**
 * The kernel's recorded answer for every differential case, kept in the
 * repository (`recorded/<case>.json`), so that without root the suite still
 * compares nflab against what the kernel said. A record carries a fingerprint
 * of the case (topology and steps): a case edited without re-recording is
 * refused rather than compared against an answer to another question. With
 * root, a live run that no longer matches its record is a stale record.
 * `NFLAB_RECORD=1` (or `npm run fidelity -- --record`) writes records afresh.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Topology } from '../../src/topology/model.js';
import type { DiffCase, Observation } from './model.js';

export const RECORD_DIR = resolve(import.meta.dirname, 'recorded');

/** Whether this run writes kernel records instead of checking them. */
export const recording = (): boolean => process.env.NFLAB_RECORD === '1';

export interface KernelRecord {
  case: string;
  fingerprint: string;
  /** Where the answer was measured (`uname -r`). */
  kernel: string;
  observation: Observation;
}

export function recordFile(name: string, dir = RECORD_DIR): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return join(dir, `${slug}.json`);
}

/** Source positions and file paths say where a topology was written, not what it is. */
const IGNORED = new Set(['pos', 'file', 'lineOffset', 'colOffset']);

function canonical(v: unknown): unknown {
  if (v instanceof Map) return [...v.entries()].map(([k, x]) => [k, canonical(x)]);
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) if (!IGNORED.has(k)) out[k] = canonical((v as Record<string, unknown>)[k]);
    return out;
  }
  if (typeof v === 'bigint') return v.toString();
  return v;
}

/** What the kernel was asked: the topology (as parsed), the steps, and how the harness runs them. */
export function caseFingerprint(c: DiffCase, topo: Topology): string {
  const how = { conntrackEveryProbe: c.conntrackEveryProbe, synackRetries: c.synackRetries, settleArp: c.settleArp };
  const asked = Object.values(how).some((v) => v !== undefined) ? { how } : {};
  const text = JSON.stringify(canonical({ topo: { ...topo, name: '' }, steps: c.steps, random: c.random === true, ...asked }));
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** One line per step and per node: small diffs when a record changes. */
export function formatRecord(r: KernelRecord): string {
  const o = r.observation;
  const lines = [
    '{',
    `"case": ${JSON.stringify(r.case)},`,
    `"fingerprint": ${JSON.stringify(r.fingerprint)},`,
    `"kernel": ${JSON.stringify(r.kernel)},`,
    '"observation": {',
    '"steps": [',
    o.steps.map((s) => JSON.stringify(s)).join(',\n'),
    '],',
    '"conntrack": {',
    Object.entries(o.conntrack)
      .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
      .join(',\n'),
    '},',
    '"rules": {',
    Object.entries(o.rules)
      .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
      .join(',\n'),
    o.nft === undefined ? '}' : '},',
    ...(o.nft === undefined
      ? []
      : [
          '"nft": {',
          Object.entries(o.nft)
            .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
            .join(',\n'),
          '}',
        ]),
    '}',
    '}',
    '',
  ];
  return lines.filter((l) => l !== '').join('\n') + '\n';
}

export function writeRecord(c: DiffCase, topo: Topology, observation: Observation, kernel: string, dir = RECORD_DIR): string {
  mkdirSync(dir, { recursive: true });
  const file = recordFile(c.name, dir);
  writeFileSync(file, formatRecord({ case: c.name, fingerprint: caseFingerprint(c, topo), kernel, observation }));
  return file;
}

export type RecordLookup = { ok: true; record: KernelRecord } | { ok: false; why: string };

export function readRecord(c: DiffCase, topo: Topology, dir = RECORD_DIR): RecordLookup {
  const file = recordFile(c.name, dir);
  const again = 'record it with root: npm run fidelity -- --record';
  if (!existsSync(file)) return { ok: false, why: `no recorded kernel answer (${file}); ${again}` };
  const r = JSON.parse(readFileSync(file, 'utf8')) as KernelRecord;
  if (r.case !== c.name) return { ok: false, why: `${file} records case "${r.case}", not "${c.name}"` };
  const fp = caseFingerprint(c, topo);
  if (r.fingerprint !== fp)
    return { ok: false, why: `the case changed since its kernel answer was recorded (fingerprint ${r.fingerprint}, now ${fp}); ${again}` };
  return { ok: true, record: r };
}
