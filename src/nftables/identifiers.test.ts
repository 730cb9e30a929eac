import { describeKernelErrors } from './testing/first-error.js';

/**
 * Where a command names its table, chain or set (and a chain its type), nft's grammar takes an
 * identifier: a bare word its scanner does not read as a keyword there (`state`, `new`, `input` are
 * names; `counter`, `meta`, `hour` are not), never a number or a quoted string. Each answer is the
 * first error line of `nft -c -f FILE` (nft 1.0.6, Linux 6.18) in a namespace holding SETUP. Found
 * by the nft fuzzer (test/differential/fuzz-nft/).
 */
describeKernelErrors(
  'names are identifiers',
  'add table ip t\n',
  [
    ['add table ip counter', 'FILE:1:14-20: Error: syntax error, unexpected counter, expecting string'],
    ['add set ip t counter { type ipv4_addr; }', 'FILE:1:14-20: Error: syntax error, unexpected counter, expecting string'],
    ['add set ip t state { type ipv4_addr; }', null],
    ['add chain ip t 123', 'FILE:1:16-18: Error: syntax error, unexpected number, expecting string'],
    ['add table ip 123', 'FILE:1:14-16: Error: syntax error, unexpected number, expecting string'],
    ['add chain ip t "x"', 'FILE:1:16-18: Error: syntax error, unexpected quoted string, expecting string'],
    ['add table ip "x"', 'FILE:1:14-16: Error: syntax error, unexpected quoted string, expecting string'],
    ['add chain ip t x { type 99999 hook input priority 0; }', 'FILE:1:25-29: Error: syntax error, unexpected number, expecting string'],
    ['add chain ip t x { type counter hook input priority 0; }', 'FILE:1:25-31: Error: syntax error, unexpected counter, expecting string'],
    ['add rule ip t hour accept', 'FILE:1:15-18: Error: syntax error, unexpected hour, expecting string'],
    ['list chain ip t meta', 'FILE:1:17-20: Error: syntax error, unexpected meta, expecting string'],
    ['delete table ip ct', 'FILE:1:17-18: Error: syntax error, unexpected ct, expecting handle or string'],
    ['add map ip t mark { type ipv4_addr : mark; }', 'FILE:1:14-17: Error: syntax error, unexpected mark, expecting string'],
    ['add element ip t 10 { 1.2.3.4 }', 'FILE:1:18-19: Error: syntax error, unexpected number, expecting string'],
    ['add chain ip t new', null],
  ],
  { check: true },
);

/** Named counters (which nflab refuses by name once the syntax holds): nft's syntax errors come first. */
describeKernelErrors(
  'named counters: the syntax before the refusal',
  'add table ip t\n',
  [
    ['delete counter map ip t ports', 'FILE:1:16-18: Error: syntax error, unexpected map, expecting string'],
    ['list counter ip t', 'FILE:1:18-18: Error: syntax error, unexpected newline, expecting string'],
    ['table ip t {\ncounter }', "FILE:2:9-9: Error: syntax error, unexpected '}', expecting string"],
  ],
  { check: true },
);
