import { describe, expect, it } from 'vitest';
import { addOneService, deleteOneService, kubeProxyNftRules, nftService } from '../bench/kube-proxy-nft-gen.js';
import { makeEnv, makeSkb, tcpPacket } from '../netfilter/testing/packets.js';
import { compileRuleset, type CompiledRuleset, type NftStep } from './eval.js';
import { runNftCommand } from './command.js';
import { loadNftables, NftNode } from './node-state.js';

/** What the nat prerouting hook does to a SYN to `dst:port`: the DNAT it asks for and every traced step. */
function syn(prog: CompiledRuleset, dst: string, port: number): string {
  const skb = makeSkb(tcpPacket('192.168.0.2', 40000, dst, port));
  const env = makeEnv({ hook: 'PREROUTING' });
  const steps: NftStep[] = [];
  for (const b of prog.byHook.get('PREROUTING') ?? []) if (!b.run(skb, env, (s) => steps.push(s))) break;
  return JSON.stringify({ nats: env.nats, steps });
}

function sync(node: NftNode, text: string): void {
  const r = runNftCommand(node, ['-f', '-'], text);
  expect(r.stderr).toBe('');
}

describe('after a partial sync the packet path recompiles only what changed', () => {
  const N = 40;
  const node = new NftNode(() => 0);
  expect(loadNftables(node, { text: kubeProxyNftRules(N).text, file: 't', lineOffset: 0 })).toEqual([]);
  const probes = (n: number) =>
    Array.from({ length: n }, (_, i) => nftService(i, N))
      .flatMap((s) => [`${s.clusterIp}:80`, s.nodePort !== null ? `192.168.0.1:${s.nodePort}` : null])
      .filter((p): p is string => p !== null);
  const walk = (prog: CompiledRuleset, list: string[]) => list.map((p) => syn(prog, p.split(':')[0], Number(p.split(':')[1])));

  it('adding, deleting and re-adding Services answers exactly as a fresh compile of the same ruleset', () => {
    const before = node.program;
    const list = [...probes(N), `${nftService(N, N + 1).clusterIp}:80`, `${nftService(N + 1, N + 2).clusterIp}:80`, '172.30.9.9:80'];
    expect(walk(before, list)).toEqual(walk(compileRuleset(node.rs), list));

    sync(node, addOneService(N));
    sync(node, deleteOneService(2, N));
    sync(node, deleteOneService(1, N));
    sync(node, addOneService(N + 1));
    // The same map key back with another verdict: the map's lookup must not keep the old one.
    sync(
      node,
      `add chain ip kube-proxy other\nadd rule ip kube-proxy other drop\ndelete element ip kube-proxy service-ips { ${nftService(3, N).clusterIp} . tcp . 80 }
add element ip kube-proxy service-ips { ${nftService(3, N).clusterIp} . tcp . 80 : goto other }
add element ip kube-proxy service-ips { 172.30.9.9 . tcp . 80 : goto other }
delete element ip kube-proxy service-ips { 172.30.9.9 . tcp . 80 }`,
    );
    const after = node.program;
    expect(after).toBe(before);
    const got = walk(after, list);
    expect(got).toEqual(walk(compileRuleset(node.rs), list));
    // And the change is visible: the new Service DNATs, the deleted ones fall through, svc3 drops.
    const at = (p: string) => JSON.parse(got[list.indexOf(p)]) as { nats: unknown[]; steps: NftStep[] };
    expect(at(`${nftService(N, N + 1).clusterIp}:80`).nats).toHaveLength(1);
    expect(at(`${nftService(1, N).clusterIp}:80`).nats).toHaveLength(0);
    expect(at(`${nftService(3, N).clusterIp}:80`).steps.at(-1)).toMatchObject({ chain: 'other', verdict: 'drop' });
  });

  it('a change to a base chain rebuilds the hook lists and keeps the compiled chains', () => {
    const before = node.program;
    sync(node, 'insert rule ip kube-proxy nat-prerouting ip daddr 172.30.0.12 drop');
    const after = node.program;
    expect(after).not.toBe(before);
    const list = probes(5);
    expect(walk(after, list)).toEqual(walk(compileRuleset(node.rs), list));
    expect(JSON.parse(syn(after, '172.30.0.12', 80)).steps.at(-1)).toMatchObject({ chain: 'nat-prerouting', verdict: 'drop' });
  });

  it('a failed transaction leaves the compiled program as it was', () => {
    const before = node.program;
    const r = runNftCommand(node, ['-f', '-'], `${addOneService(N + 5)}add rule ip kube-proxy nowhere drop\n`);
    expect(r.exitCode).toBe(1);
    expect(node.program).toBe(before);
  });
});

describe('numgen inc counts with its rule, as the kernel counts', () => {
  const rules = `table ip lb {
	chain ep1 {
		dnat to 10.0.2.2
	}
	chain ep2 {
		dnat to 10.0.2.3
	}
	chain pre {
		type nat hook prerouting priority dstnat;
		ip daddr 172.30.0.12 numgen inc mod 2 vmap { 0 : goto ep1, 1 : goto ep2 }
	}
}
`;
  const pick = (node: NftNode) => JSON.parse(syn(node.program, '172.30.0.12', 80)).steps.at(-1).chain as string;

  it('goes on from where it was after a change elsewhere (in its own chain, another chain, a set)', () => {
    const node = new NftNode(() => 0);
    expect(loadNftables(node, { text: rules, file: 't', lineOffset: 0 })).toEqual([]);
    expect(pick(node)).toBe('ep1');
    sync(node, 'add rule ip lb pre counter\nadd rule ip lb ep2 counter\n');
    expect(pick(node)).toBe('ep2');
    sync(node, 'add set ip lb s { type ipv4_addr; }\nadd element ip lb s { 10.9.9.9 }\n');
    expect(pick(node)).toBe('ep1');
    // A fresh compile of the whole ruleset is the same rule: the counter is still its own.
    expect(JSON.parse(syn(compileRuleset(node.rs), '172.30.0.12', 80)).steps.at(-1).chain).toBe('ep2');
  });

  it('starts again at 0 in a rule added anew', () => {
    const node = new NftNode(() => 0);
    expect(loadNftables(node, { text: rules, file: 't', lineOffset: 0 })).toEqual([]);
    expect(pick(node)).toBe('ep1');
    sync(node, 'flush chain ip lb pre\nadd rule ip lb pre ip daddr 172.30.0.12 numgen inc mod 2 vmap { 0 : goto ep1, 1 : goto ep2 }\n');
    expect(pick(node)).toBe('ep1');
  });
});
