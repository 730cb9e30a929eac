import { describe, expect, it } from 'vitest';
import { runNftCommand } from './command.js';
import { NftNode } from './node-state.js';

/**
 * nft's report underlines a related place with `~` beside the `^` under the error: the expression
 * that set the protocol, the NAT statement, the operator before a range. Each stderr is what nft
 * 1.0.6 printed for `nft -c 'COMMAND'` (Linux 6.18) with tables `ip t` and `inet i`, chain `c` in
 * each. Found by the nft fuzzer (test/differential/fuzz-nft/).
 */
const CASES: Array<[string, string]> = [
  [
    'add rule ip t c counter reject with icmpx type admin-prohibited',
    'Error: abstracted ICMP unreachable not supported\nadd rule ip t c counter reject with icmpx type admin-prohibited\n                        ~~~~~~                 ^^^^^^^^^^^^^^^^\n',
  ],
  [
    'add rule inet i c icmp type echo-request reject with tcp reset',
    'Error: you cannot use tcp reset with this protocol\nadd rule inet i c icmp type echo-request reject with tcp reset\n                  ~~~~~~~~~              ^^^^^^\n',
  ],
  [
    'add rule ip t c masquerade to :1024',
    'Error: transport protocol mapping is only valid after transport protocol match\nadd rule ip t c masquerade to :1024\n                ~~~~~~~~~~     ^^^^\n',
  ],
  [
    'add rule ip t c ip saddr 1.2.3.4 snat to 1.2.3.4:80',
    'Error: transport protocol mapping is only valid after transport protocol match\nadd rule ip t c ip saddr 1.2.3.4 snat to 1.2.3.4:80\n                                 ~~~~            ^^\n',
  ],
  [
    'add rule ip t c tcp dport > 1-5',
    'Error: Relational expression (>) is undefined for range expressions\nadd rule ip t c tcp dport > 1-5\n                          ~ ^^^\n',
  ],
  [
    'add rule ip t c ip saddr < 1.2.3.4-1.2.3.9 accept',
    'Error: Relational expression (<) is undefined for range expressions\nadd rule ip t c ip saddr < 1.2.3.4-1.2.3.9 accept\n                         ~ ^^^^^^^^^^^^^^^\n',
  ],
];

describe('a related place is underlined with ~, as nft does', () => {
  for (const [cmd, kernel] of CASES) {
    it(cmd, () => {
      const node = new NftNode(() => 0);
      expect(runNftCommand(node, ['add table ip t; add chain ip t c; add table inet i; add chain inet i c'], null).exitCode).toBe(0);
      expect(runNftCommand(node, ['-c', cmd], null).stderr).toBe(kernel);
    });
  }
});
