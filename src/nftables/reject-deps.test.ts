import { describe, expect, it } from 'vitest';
import { makeEnv, makeSkb, tcpPacket, udpPacket } from '../netfilter/testing/packets.js';
import { loadNftables, NftNode } from './node-state.js';

type Packet = ReturnType<typeof udpPacket>;

/** What the input hook does to `pkt`: the rejects asked for and the handle of the rule that decided. */
function input(text: string, pkt: Packet): { rejects: string[]; handles: Array<number | null> } {
  const node = new NftNode(() => 0);
  expect(loadNftables(node, { text, file: 't', lineOffset: 0 })).toEqual([]);
  const env = makeEnv({ hook: 'INPUT' });
  const handles: Array<number | null> = [];
  for (const b of node.program.byHook.get('INPUT') ?? []) b.run(makeSkb(pkt), env, (s) => handles.push(s.handle));
  return { rejects: env.rejects, handles };
}

const table = (family: string) =>
  `table ${family} t {\n\tchain c {\n\t\ttype filter hook input priority 0;\n\t\tcounter reject with tcp reset\n\t\tdrop\n\t}\n}\n`;

describe('reject with tcp reset matches TCP only, as its dependency makes it on the kernel', () => {
  for (const family of ['ip', 'inet'])
    it(`in an ${family} table a UDP packet goes on to the next rule; a TCP one is reset`, () => {
      expect(input(table(family), udpPacket('10.0.0.1', 5000, '10.0.0.2', 53))).toEqual({ rejects: [], handles: [3] });
      expect(input(table(family), tcpPacket('10.0.0.1', 5000, '10.0.0.2', 80))).toEqual({ rejects: ['tcp-reset'], handles: [2] });
    });
});
