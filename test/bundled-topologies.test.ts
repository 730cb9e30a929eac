import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopologyFile } from '../src/topology/load.js';
import { formatDiagnostic } from '../src/core/diagnostic.js';
import { Lab } from '../src/lab/lab.js';

const dir = join(import.meta.dirname, '..', 'topologies');

describe('bundled topologies', () => {
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    it(`${f} loads and builds a lab`, () => {
      const t = loadTopologyFile(join(dir, f));
      expect(t.ok ? [] : t.error.map(formatDiagnostic)).toEqual([]);
      if (!t.ok) return;
      const lab = Lab.build(t.value, { seed: 1 });
      expect(lab.ok ? [] : lab.error.map(formatDiagnostic)).toEqual([]);
    });
  }
});
