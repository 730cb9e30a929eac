import { describe, expect, it } from 'vitest';
import type { TableName } from '../netfilter/types.js';
import { nextRegistration } from '../netfilter/rule.js';
import { hookOrder, type ChainRegistry, type Stage } from './hook-order.js';
import { loadNftables, NftNode } from './node-state.js';

const PRE: Stage[] = ['raw', 'conntrack', 'mangle', 'nat'];

/** iptables' built-in chains with the registration stamps given; the rest not made. */
function registry(made: Partial<Record<TableName, number>>): ChainRegistry {
  return { chainMadeAt: (table) => made[table] ?? 0 };
}

function names(node: NftNode, ipt: ChainRegistry): { entries: string[]; nat: string[] } {
  const o = hookOrder(node.program, 'PREROUTING', PRE, ipt);
  return {
    entries: o.entries.map((e) => (e.kind === 'ipt' ? e.stage : `${e.chain.table}/${e.chain.chain}`)),
    nat: o.nat.map((c) => (c === null ? 'iptables nat' : `${c.table}/${c.chain}`)),
  };
}

describe('at equal priority the chain registered last runs first, iptables-nft chains included', () => {
  // Seen on the kernel (fuzz seed 3, nft-3-5): `ip lb` with a nat prerouting chain at dstnat from the
  // topology, then `iptables -t nat -A PREROUTING ...` in an exec step: nft monitor trace shows
  // nat/PREROUTING before `ip lb prerouting`.
  const before = nextRegistration();
  const node = new NftNode(() => 0);
  const text =
    'table ip lb { chain pre { type nat hook prerouting priority dstnat; }; }\n' +
    'table ip m { chain pre { type filter hook prerouting priority mangle; }; }';
  expect(loadNftables(node, { text, file: 't', lineOffset: 0 })).toEqual([]);
  const after = nextRegistration();

  it('iptables chains made before the nft chains run after them', () => {
    expect(names(node, registry({ nat: before, mangle: before }))).toEqual({
      entries: ['raw', 'conntrack', 'm/pre', 'mangle', 'nat'],
      nat: ['lb/pre', 'iptables nat'],
    });
  });

  it('iptables chains made after them run first, and the order follows a chain made later', () => {
    const ipt = { made: { nat: after } as Partial<Record<TableName, number>> };
    const reg: ChainRegistry = { chainMadeAt: (t) => ipt.made[t] ?? 0 };
    expect(names(node, reg)).toEqual({ entries: ['raw', 'conntrack', 'm/pre', 'mangle', 'nat'], nat: ['iptables nat', 'lb/pre'] });
    ipt.made.mangle = after;
    expect(names(node, reg)).toEqual({ entries: ['raw', 'conntrack', 'mangle', 'm/pre', 'nat'], nat: ['iptables nat', 'lb/pre'] });
  });

  it('an iptables chain not made yet does not move anything', () => {
    expect(names(node, registry({}))).toEqual({ entries: ['raw', 'conntrack', 'm/pre', 'mangle', 'nat'], nat: ['lb/pre', 'iptables nat'] });
  });
});
