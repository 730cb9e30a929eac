import { describe, expect, it } from 'vitest';
import { emptyRuleset } from './ast.js';
import { formatNftError, runNft } from './txn.js';

/**
 * Where nft 1.0.6 wants a newline or `;` before a `}`: each input was checked with `nft -c -f FILE`
 * on the kernel, and the answer is its first error line (null: accepted). Every item of a table,
 * chain or set block needs an end of its own; a set's `elements = { ... }` and `auto-merge` do not.
 */
const CASES: Array<[string, string | null]> = [
  ['table inet t { chain c { counter accept } }\n', "FILE:1:41-41: Error: syntax error, unexpected '}', expecting newline or semicolon"],
  ['table inet t { chain c { counter accept; } }\n', "FILE:1:44-44: Error: syntax error, unexpected '}', expecting newline or semicolon"],
  [
    'table inet t { chain c { type filter hook input priority 0; } }\n',
    "FILE:1:63-63: Error: syntax error, unexpected '}', expecting newline or semicolon",
  ],
  [
    'table inet t { chain c { type filter hook input priority 0; policy accept } }\n',
    "FILE:1:75-75: Error: syntax error, unexpected '}', expecting newline or semicolon",
  ],
  [
    'table inet t { set s { type ipv4_addr; elements = { 1.1.1.1 } } }\n',
    "FILE:1:65-65: Error: syntax error, unexpected '}', expecting newline or semicolon",
  ],
  ['table inet t { set s { type ipv4_addr } }\n', "FILE:1:39-39: Error: syntax error, unexpected '}', expecting newline or semicolon or ."],
  ['table inet t { chain c {\ncounter accept }\n}\n', "FILE:2:16-16: Error: syntax error, unexpected '}', expecting newline or semicolon"],
  ['table inet t { chain c { counter accept\n} }\n', "FILE:2:3-3: Error: syntax error, unexpected '}', expecting newline or semicolon"],
  ['table inet t { chain c { }; }\n', null],
  ['table inet t { chain c { comment "x" } }\n', "FILE:1:38-38: Error: syntax error, unexpected '}', expecting newline or semicolon"],
  [
    'table inet t { chain c { ip saddr { 1.1.1.1, 2.2.2.2 } accept } }\n',
    "FILE:1:63-63: Error: syntax error, unexpected '}', expecting newline or semicolon",
  ],
  ['table inet t { flags dormant }\n', "FILE:1:30-30: Error: syntax error, unexpected '}', expecting newline or semicolon"],
  [
    'table inet t { map m { type ipv4_addr : verdict; elements = { 1.1.1.1 : accept } } }\n',
    "FILE:1:84-84: Error: syntax error, unexpected '}', expecting newline or semicolon",
  ],
  [
    'table inet t { chain c { accept comment "x" } }\n',
    "FILE:1:45-45: Error: syntax error, unexpected '}', expecting newline or semicolon",
  ],
  [
    'table inet t { chain c { type filter hook input priority 0 } }\n',
    "FILE:1:60-60: Error: syntax error, unexpected '}', expecting newline or semicolon",
  ],
  ['table inet t { chain c { } }\n', "FILE:1:28-28: Error: syntax error, unexpected '}', expecting newline or semicolon"],
  ['table inet t { }\n', null],
  ['table inet t { chain c { }\n}\n', null],
  [
    'add table inet t\nadd chain inet t c { type filter hook input priority 0 }\n',
    "FILE:2:56-56: Error: syntax error, unexpected '}', expecting newline or semicolon",
  ],
  [
    'add table inet t\nadd chain inet t c { type filter hook input priority 0; policy accept }\n',
    "FILE:2:71-71: Error: syntax error, unexpected '}', expecting newline or semicolon",
  ],
  [
    'add table inet t\nadd set inet t s { type ipv4_addr }\n',
    "FILE:2:35-35: Error: syntax error, unexpected '}', expecting newline or semicolon or .",
  ],
  ['add table inet t { flags dormant }\n', "FILE:1:34-34: Error: syntax error, unexpected '}', expecting newline or semicolon"],
  ['add table inet t { flags dormant; }\n', null],
  ['add table inet t\nadd map inet t m { type ipv4_addr : verdict; elements = { 1.1.1.1 : accept } }\n', null],
  ['table inet t { chain c { }\nchain d { } }\n', "FILE:2:13-13: Error: syntax error, unexpected '}', expecting newline or semicolon"],
  ['table inet t { set s { type ipv4_addr; } }\n', "FILE:1:42-42: Error: syntax error, unexpected '}', expecting newline or semicolon"],
  ['table inet t {\n\tset s { type ipv4_addr; }\n\tchain c { type filter hook input priority 0; }\n}\n', null],
  ['table inet t { chain c { }; } ; table ip u { }\n', null],
  [
    'add table inet t\nadd chain inet t c { comment "x" }\n',
    "FILE:2:34-34: Error: syntax error, unexpected '}', expecting newline or semicolon",
  ],
  [
    'table inet t { set s { type ipv4_addr; flags interval }\n}\n',
    "FILE:1:55-55: Error: syntax error, unexpected '}', expecting newline or semicolon or comma",
  ],
  [
    'table inet t {\n\tset s {\n\t\ttype ipv4_addr; timeout 1m }\n}\n',
    "FILE:3:30-30: Error: syntax error, unexpected '}', expecting newline or semicolon",
  ],
  ['table inet t {\n\tset s {\n\t\ttype ipv4_addr; counter }\n}\n', "FILE:3:27-27: Error: syntax error, unexpected '}'"],
  [
    'table inet t {\n\tset s {\n\t\ttypeof ip saddr . tcp dport }\n}\n',
    "FILE:3:31-31: Error: syntax error, unexpected '}', expecting newline or semicolon or .",
  ],
  [
    'table inet t {\n\tset s {\n\t\ttype ipv4_addr; size 10 }\n}\n',
    "FILE:3:27-27: Error: syntax error, unexpected '}', expecting newline or semicolon",
  ],
  [
    'table inet t {\n\tmap m {\n\t\ttype ipv4_addr : ipv4_addr }\n}\n',
    "FILE:3:30-30: Error: syntax error, unexpected '}', expecting newline or semicolon or .",
  ],
  ['table inet t { comment "x" }\n', "FILE:1:28-28: Error: syntax error, unexpected '}', expecting newline or semicolon"],
  [
    'table inet t {\n\tchain c {\n\t\ttcp dport foo bar baz\n\t\taccept }\n}\n',
    "FILE:4:10-10: Error: syntax error, unexpected '}', expecting newline or semicolon",
  ],
  ['table inet t {\n\tchain c {\n\t\tip saddr 1.1.1.1 ip daddr }\n}\n', "FILE:3:29-29: Error: syntax error, unexpected '}'"],
  ['table inet t {\n\tset s {\n\t\ttype ipv4_addr; flags interval; auto-merge }\n}\n', null],
];

describe('a block item ends with a newline or semicolon, as nft requires', () => {
  for (const [src, kernel] of CASES) {
    it(src.replace(/\n/g, '⏎'), () => {
      const r = runNft(emptyRuleset(), src, { check: true });
      expect(r.ok ? null : formatNftError('FILE', r.errors[0])).toBe(kernel);
    });
  }
});
