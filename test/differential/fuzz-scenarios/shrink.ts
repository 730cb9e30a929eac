/**
 * Shrinking a disagreement: remove steps, rules, policy routes, sysctls and
 * whole nodes one at a time, keeping each removal after which nflab and the
 * kernel still disagree, until nothing more can go. What remains is written
 * out as an ordinary differential case (test/differential/found/).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DiffCase } from '../model.js';
import { type GenScenario, scenarioCase } from './generate.js';
import { cloneLab } from './lab-model.js';

export const FOUND_DIR = resolve(import.meta.dirname, '../found');

/** Every scenario one removal smaller than `s`, biggest cuts first. */
export function smaller(s: GenScenario): GenScenario[] {
  const out: GenScenario[] = [];
  const probes = s.steps.filter((x) => x.kind !== 'exec' && x.kind !== 'wait').length;
  // A node that is a leaf (one link) and not the only node a probe starts from.
  for (const n of s.lab.nodes) {
    const links = s.lab.links.filter(([a, b]) => a.startsWith(`${n.name}:`) || b.startsWith(`${n.name}:`));
    if (links.length !== 1 || s.lab.nodes.length <= 2) continue;
    if (s.lab.nodes.some((m) => m.name.startsWith(`${n.name}/`))) continue;
    const [a, b] = links[0];
    const peer = a.startsWith(`${n.name}:`) ? b : a;
    const [peerNode, peerIf] = peer.split(':');
    const lab = cloneLab(s.lab);
    lab.nodes = lab.nodes.filter((m) => m.name !== n.name);
    lab.links = lab.links.filter((l) => !(l[0] === a && l[1] === b));
    const pn = lab.nodes.find((m) => m.name === peerNode);
    if (pn) pn.ifaces = pn.ifaces.filter((i) => i.name !== peerIf);
    const steps = s.steps.filter((x) => (x.kind === 'exec' ? x.on !== n.name : x.kind === 'wait' || x.from !== n.name));
    if (steps.some((x) => x.kind !== 'exec' && x.kind !== 'wait')) out.push({ ...s, lab, steps });
  }
  s.steps.forEach((x, i) => {
    if (x.kind !== 'exec' && probes <= 1) return;
    out.push({ ...s, steps: s.steps.filter((_, j) => j !== i) });
  });
  s.lab.nodes.forEach((n, ni) => {
    const parts: Array<(m: (typeof s.lab.nodes)[number]) => void> = [
      ...n.rules.map((_, ri) => (m: typeof n) => void m.rules.splice(ri, 1)),
      ...n.ipRules.map((_, ri) => (m: typeof n) => void m.ipRules.splice(ri, 1)),
      ...n.routes.map((_, ri) => (m: typeof n) => void m.routes.splice(ri, 1)),
      ...Object.keys(n.sysctl).map((k) => (m: typeof n) => void delete m.sysctl[k]),
      ...(n.nft ?? []).map((_, ri) => (m: typeof n) => void m.nft!.splice(ri, 1)),
      ...(n.nftDrop ?? []).map((_, ri) => (m: typeof n) => void m.nftDrop!.splice(ri, 1)),
    ];
    for (const cut of parts) {
      const lab = cloneLab(s.lab);
      cut(lab.nodes[ni]);
      out.push({ ...s, lab });
    }
  });
  return out;
}

/**
 * Greedy shrinking: the first smaller scenario that still disagrees replaces
 * the current one, until none does. `disagrees` runs both sides; a candidate
 * that cannot even be built counts as agreeing (it is not a smaller witness).
 */
export async function shrink(
  s: GenScenario,
  disagrees: (s: GenScenario) => Promise<boolean>,
  o: { maxTries?: number; log?: (line: string) => void } = {},
): Promise<{ scenario: GenScenario; tries: number }> {
  let tries = 0;
  let current = s;
  for (let progress = true; progress && tries < (o.maxTries ?? 150);) {
    progress = false;
    for (const candidate of smaller(current)) {
      if (tries >= (o.maxTries ?? 150)) break;
      tries++;
      let still: boolean;
      try {
        still = await disagrees(candidate);
      } catch {
        still = false;
      }
      if (still) {
        current = candidate;
        progress = true;
        o.log?.(
          `shrunk to ${current.lab.nodes.length} nodes, ${current.lab.nodes.reduce((k, n) => k + n.rules.length, 0)} rules, ${current.steps.length} steps`,
        );
        break;
      }
    }
  }
  return { scenario: current, tries };
}

/** The shrunk scenario as a case file the suite loads (all-cases.ts); returns its path. */
export function writeFoundCase(s: GenScenario, why: string, dir = FOUND_DIR): { file: string; c: DiffCase } {
  mkdirSync(dir, { recursive: true });
  const c: DiffCase = { ...scenarioCase(s), name: `found ${s.name}`, covers: ['scenario fuzzer', why] };
  const file = join(dir, `${s.name}.json`);
  writeFileSync(file, JSON.stringify(c, null, 2) + '\n');
  return { file, c };
}
