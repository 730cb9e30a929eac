import { describe, expect, it } from 'vitest';
import { emptyRuleset } from '../../../src/nftables/ast.js';
import { printRuleset } from '../../../src/nftables/print.js';
import { runNft } from '../../../src/nftables/txn.js';
import { compareEpisode, nftAborted, type TxnAnswer } from './model.js';

/** What nft 1.0.6 printed (Linux 6.18) for `replace rule ip t c handle 2 ip daddr { 10.0.0.1, 10.0.0.1-10.0.0.9 } accept`. */
const ABORT = "BUG: unhandled op 2\nnft: evaluate.c:1589: interval_set_eval: Assertion `0' failed.\n";
const LIST = 'table ip t {\n\tchain c {\n\t\taccept\n\t}\n}\n';
const txn = (x: number, e: string, a: string): TxnAnswer => ({ x, e, o: '', l: a, a });

describe("the nft fuzzer's deliberate difference: nft 1.0.6 aborts on a replace with an interval set", () => {
  it('recognises the abort, and nothing else with exit 134', () => {
    expect(nftAborted(txn(134, ABORT, ''))).toBe(true);
    expect(nftAborted(txn(134, 'Aborted\n', ''))).toBe(false);
    expect(nftAborted(txn(1, ABORT, ''))).toBe(false);
  });

  it("does not compare the aborted transaction's answer, and goes on while the rulesets agree", () => {
    const k = { txns: [txn(134, ABORT, LIST), txn(1, 'Error: x\n', LIST)] };
    const n = { txns: [txn(1, 'Error: y\n', LIST), txn(1, 'Error: z\n', LIST)] };
    expect(compareEpisode(0, k, n).map((d) => `${d.cmd}.${d.what}`)).toEqual(['1.stderr']);
  });

  it('stops comparing the episode once nflab applied what nft never sent', () => {
    const k = { txns: [txn(134, ABORT, LIST), txn(1, 'Error: x\n', LIST)] };
    const n = { txns: [txn(0, '', LIST.replace('accept', 'drop')), txn(1, 'Error: z\n', LIST)] };
    expect(compareEpisode(0, k, n)).toEqual([]);
  });

  it('nflab replaces the rule, as later nft versions do', () => {
    const rs = emptyRuleset();
    expect(runNft(rs, 'add table ip t; add chain ip t c; add rule ip t c accept\n').ok).toBe(true);
    expect(runNft(rs, 'replace rule ip t c handle 2 tcp dport { 22, 1024-2048 } accept\n').ok).toBe(true);
    expect(printRuleset(rs, { handles: true })).toContain('tcp dport { 22, 1024-2048 } accept # handle 2');
  });
});
