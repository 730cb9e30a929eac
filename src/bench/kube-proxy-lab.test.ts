import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labNftRules, labRules, newServiceNft, newServiceRestore, LAB_SERVICES } from './kube-proxy-lab.js';

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

  it('the nftables twin: the committed nft file is what the generator writes', () => {
    expect(readFileSync(join(root, 'topologies', 'kube-proxy-5000.nft'), 'utf8')).toBe(labNftRules());
  });

  it("the nftables scenario adds exactly the generator's next two Services as kube-proxy's nft partial syncs", () => {
    const scenario = readFileSync(join(root, 'scenarios', 'kube-proxy-5000-nftables.yaml'), 'utf8');
    for (const i of [LAB_SERVICES, LAB_SERVICES + 1]) {
      const n = newServiceNft(i);
      expect(scenario).toContain(
        n.text
          .trim()
          .split('\n')
          .map((l) => `        ${l}\n`)
          .join(''),
      );
      expect(scenario).toContain(`to: ${n.clusterIp}:80 }`);
    }
  });
});
