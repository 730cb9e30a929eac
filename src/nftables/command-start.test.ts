import { describe, expect, it } from 'vitest';
import { describeKernelErrors } from './testing/first-error.js';
import { runNftCommand } from './command.js';
import { NftNode } from './node-state.js';

/**
 * How nft 1.0.6 reads the start of a command, and an undefined `$NAME`: each input was checked with
 * `nft -c -f FILE` in a fresh namespace on the kernel (Linux 6.18), and the answer is its first error
 * line. A command without a verb, or `add` without an object keyword, is `add rule [family] table
 * chain ...`; an undefined variable is "unknown identifier" where a variable may stand and a syntax
 * error elsewhere. Found by the nft fuzzer (test/differential/fuzz-nft/).
 */
const CASES: Array<[string, string]> = [
  ['acept table ip fz', 'FILE:1:7-11: Error: syntax error, unexpected table, expecting string'],
  ['chian ip fz c', 'FILE:1:7-8: Error: syntax error, unexpected ip, expecting string'],
  ['ip table ip fz', 'FILE:1:4-8: Error: syntax error, unexpected table, expecting string'],
  ['ip6 add table ip fz', 'FILE:1:5-7: Error: syntax error, unexpected add, expecting string'],
  ['ip fz c', 'FILE:1:8-8: Error: syntax error, unexpected newline'],
  ['fz tcp', 'FILE:1:4-6: Error: syntax error, unexpected tcp, expecting string'],
  ['fz 1', 'FILE:1:4-4: Error: syntax error, unexpected number, expecting string'],
  ['counter table', 'FILE:1:9-13: Error: syntax error, unexpected table, expecting string'],
  ['counter ip fz', 'FILE:1:14-14: Error: syntax error, unexpected newline, expecting string'],
  ['accept table ip fz', 'FILE:1:1-6: Error: syntax error, unexpected accept'],
  ['"x" table ip fz', 'FILE:1:1-3: Error: syntax error, unexpected quoted string'],
  ['$undefined table ip fz', "FILE:1:1-1: Error: syntax error, unexpected '$'"],
  ['add $undefined table', "FILE:1:5-5: Error: syntax error, unexpected '$', expecting string"],
  ['99999 table ip fz', 'FILE:1:1-5: Error: syntax error, unexpected number'],
  ['10.0.0.300 add', 'FILE:1:12-14: Error: syntax error, unexpected add, expecting string'],
  ['add { table', "FILE:1:5-5: Error: syntax error, unexpected '{', expecting string"],
  ['add acept ip fz', 'FILE:1:11-12: Error: syntax error, unexpected ip, expecting string'],
  ['add accept ip fz', 'FILE:1:5-10: Error: syntax error, unexpected accept, expecting string'],
  ['add fz "c" tcp dport 1', 'FILE:1:8-10: Error: syntax error, unexpected quoted string, expecting string'],
  ['delete acept ip fz', 'FILE:1:8-12: Error: syntax error, unexpected string'],
  ['insert acept ip', 'FILE:1:8-12: Error: syntax error, unexpected string, expecting rule'],
  ['replace table ip x', 'FILE:1:9-13: Error: syntax error, unexpected table, expecting rule'],
  ['create rule ip fz c accept', 'FILE:1:8-11: Error: syntax error, unexpected rule'],
  ['create dadr bridge t', 'FILE:1:8-11: Error: syntax error, unexpected string'],
  ['list acept', 'FILE:1:6-10: Error: syntax error, unexpected string'],
  ['fz c1 }', "FILE:1:7-7: Error: syntax error, unexpected '}'"],
  ['flush chain acept nat POST', 'FILE:1:23-26: Error: syntax error, unexpected string, expecting end of file or newline or semicolon'],
  ['add rule ip fz c tcp $undefined dport 1', "FILE:1:22-22: Error: syntax error, unexpected '$'"],
  ['add rule ip fz c tcp dport vmap { 1 : $undefined }', "FILE:1:39-39: Error: syntax error, unexpected '$'"],
  ['add rule ip fz c tcp dport 1 $undefined accept', "FILE:1:31-39: Error: unknown identifier 'undefined'"],
  [
    'add rule ip fz c tcp dport 1 accept comment $undefined',
    "FILE:1:45-45: Error: syntax error, unexpected '$', expecting string or quoted string or string with a trailing asterisk",
  ],
  ['add rule ip fz c limit rate $undefined/second', "FILE:1:29-29: Error: syntax error, unexpected '$', expecting number"],
  ['add rule ip fz c jump $undefined', "FILE:1:24-32: Error: unknown identifier 'undefined'"],
  ['table ip t {\n$undefined chain c {\n}\n}', "FILE:2:1-1: Error: syntax error, unexpected '$'"],
  // An unterminated quote is junk to nft's scanner, met where the parser gets to it; a stray `}` ends a rule.
  [
    'add rule ip t c counter comment } colon"',
    "FILE:1:33-33: Error: syntax error, unexpected '}', expecting string or quoted string or string with a trailing asterisk",
  ],
  [
    'add rule ip t c log prefix "a counter',
    'FILE:1:28-28: Error: syntax error, unexpected junk, expecting string or quoted string or string with a trailing asterisk',
  ],
  ['add rule ip t c counter }', "FILE:1:25-25: Error: syntax error, unexpected '}', expecting end of file or newline or semicolon"],
  [
    'add rule ip t c counter comment "x" ~ accept',
    'FILE:1:37-37: Error: syntax error, unexpected junk, expecting end of file or newline or semicolon',
  ],
  [
    'table ip t {\n\tchain c {\n\t\tlog prefix "a counter\n\t}\n}',
    'FILE:3:14-14: Error: syntax error, unexpected junk, expecting string or quoted string or string with a trailing asterisk',
  ],
  // A rule's end is named for what ended it.
  ['add rule ip t c counter packets 1 bytes', 'FILE:1:40-40: Error: syntax error, unexpected newline, expecting number'],
  ['add rule ip t c ip saddr', 'FILE:1:25-25: Error: syntax error, unexpected newline'],
  ['add rule ip t c ip saddr;', 'FILE:1:25-25: Error: syntax error, unexpected semicolon'],
  ['add element netdev nat s {', 'FILE:2:1-1: Error: syntax error, unexpected end of file'],
  // `tables` is a keyword only after `list`; a family never names a table (nft -c, measured as above).
  ['tables', 'FILE:1:7-7: Error: syntax error, unexpected newline, expecting string'],
  ['add table ip netdev nat', 'FILE:1:14-19: Error: syntax error, unexpected netdev, expecting string'],
  // Set flags are four keywords; a vmap takes a set; a rule in a block ends with a newline or `;`.
  [
    'add set ip t s { type mark; flags ip6 timeout; }',
    'FILE:1:35-37: Error: syntax error, unexpected ip6, expecting constant or interval or dynamic or timeout',
  ],
  [
    'add set ip t s { type mark; flags interval,size; }',
    'FILE:1:44-47: Error: syntax error, unexpected size, expecting constant or interval or dynamic or timeout',
  ],
  ['add rule ip t c iifname vmap 99999 "eth0" : accept', "FILE:1:30-34: Error: syntax error, unexpected number, expecting @ or '{' or '$'"],
  [
    'table ip t {\n\tchain c {\n\t\tcounter accept comment "x" "y"\n\t}\n}',
    'FILE:3:30-32: Error: syntax error, unexpected quoted string, expecting newline or semicolon',
  ],
  [
    'add rule ip t c counter comment "x" "y"',
    'FILE:1:37-39: Error: syntax error, unexpected quoted string, expecting end of file or newline or semicolon',
  ],
];

describeKernelErrors('the start of a command and undefined variables read as nft reads them', '', CASES, { check: true });

describe('an error at the end of the input', () => {
  it('shows the last line of text, as nft does (nft -c, a command line, kernel 6.18)', () => {
    const r = runNftCommand(new NftNode(() => 0), ['-c', 'add', 'element', 'netdev', 'nat', 's', '{'], null);
    // nft 1.0.6 printed exactly this for `nft -c 'add element netdev nat s {'`.
    expect(r.stderr).toBe('Error: syntax error, unexpected end of file\nadd element netdev nat s {\n^\n');
  });
});
