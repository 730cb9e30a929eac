import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labRules, newServiceRestore, LAB_SERVICES } from './kube-proxy-lab.js';

const root = join(import.meta.dirname, '..', '..');

describe('the kube-proxy-5000 lab files', () => {
  it('the committed rules are what the generator writes', () => {
    expect(readFileSync(join(root, 'topologies', 'kube-proxy-5000.rules'), 'utf8')).toBe(labRules().text);
  });

  it("the scenario adds exactly the generator's next two Services", () => {
    const scenario = readFileSync(join(root, 'scenarios', 'kube-proxy-5000.yaml'), 'utf8');
    for (const i of [LAB_SERVICES, LAB_SERVICES + 1]) {
      const lines = newServiceRestore(i).text.trim().split('\n');
      expect(lines.length).toBe(13);
      for (const l of lines) expect(scenario).toContain(`        ${l}\n`);
    }
  });
});
