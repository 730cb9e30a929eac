/**
 * The seeded choices and the address helpers both generators use: generate.ts draws the
 * labs and iptables rules, generate-nft.ts the native tables, and neither imports the other's module.
 */
import type { Rng } from '../../../src/core/rng.js';
import type { GenLab, GenNode } from './lab-model.js';

export class Pick {
  constructor(readonly rng: Rng) {}
  chance(p: number): boolean {
    return this.rng.nextFloat() < p;
  }
  one<T>(xs: readonly T[]): T {
    return xs[this.rng.int(0, xs.length - 1)];
  }
  int(lo: number, hi: number): number {
    return this.rng.int(lo, hi);
  }
}

export const addrOf = (cidr: string) => cidr.split('/')[0];
export const allAddrs = (lab: GenLab) => lab.nodes.flatMap((n) => n.ifaces.flatMap((i) => i.addrs.map(addrOf)));
export const subnets = (lab: GenLab) => [
  ...new Set(lab.nodes.flatMap((n) => n.ifaces.flatMap((i) => i.addrs.map((a) => a.replace(/\.\d+\/24$/, '.0/24'))))),
];
export const ifNames = (n: GenNode) => n.ifaces.filter((i) => !i.master).map((i) => i.name);
