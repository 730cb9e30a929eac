import { describeKernelErrors } from './testing/first-error.js';

/**
 * nft reads a whole rule before it evaluates any value in it: a syntax error after a value it
 * cannot read comes first. After an element's key nft's grammar takes `,` or `}` (or `:` in a map);
 * a concatenation may be of any length there; an address's `/prefix` is a token of its own; a
 * statement may start with a number or an address. Each answer is the first error line of
 * `nft -c -f FILE` (nft 1.0.6, Linux 6.18) in a namespace holding SETUP. Found by the nft fuzzer
 * (test/differential/fuzz-nft/).
 */
describeKernelErrors(
  'syntax inside element blocks, before their values',
  'add table inet t; add chain inet t c; add set inet t s { type ipv4_addr . inet_proto . inet_service; }; add map inet t m { type ipv4_addr : verdict; }\n',
  [
    ['add rule inet t c udp dport { 22, 53, chian http }', "FILE:1:45-48: Error: syntax error, unexpected string, expecting comma or '}'"],
    [
      'add rule inet t c ip saddr vmap { 10.0.0.1 : accept, ip 10.0.1.0/24 : drop }',
      'FILE:1:57-64: Error: syntax error, unexpected string, expecting colon',
    ],
    ['add element inet t s { 10.0.0.7 . udp ip6 65535 }', "FILE:1:39-41: Error: syntax error, unexpected ip6, expecting comma or '}'"],
    ['add rule inet t c udp dport { 22 53 }', "FILE:1:34-35: Error: syntax error, unexpected number, expecting comma or '}'"],
    ['add rule inet t c ip saddr { 1.2.3.4 5.6.7.8 }', "FILE:1:38-44: Error: syntax error, unexpected string, expecting comma or '}'"],
    ['add rule inet t c udp dport { chian, 53 } tcp dport 22 22', 'FILE:1:58-58: Error: syntax error, unexpected newline'],
    ['add rule inet t c udp dport chian tcp dport', 'FILE:1:44-44: Error: syntax error, unexpected newline'],
    ['add element inet t m { 10.0.0.1 accept }', "FILE:1:33-38: Error: syntax error, unexpected accept, expecting comma or '}'"],
    ['add rule inet t c ip saddr 10.0.0.0/8 10.0.0.0/8', 'FILE:1:47-47: Error: syntax error, unexpected /'],
  ],
  { check: true },
);

/** A command's map element without its data: nft sends it, the kernel refuses it at the element. */
describeKernelErrors(
  'map elements without data',
  'add table inet t; add map inet t m { type ipv4_addr : verdict; }; add map inet t n { type ifname : mark; }\n',
  [
    ['add element inet t n { "br", "lo" }', 'FILE:1:24-27: Error: Could not process rule: Invalid argument'],
    ['add element inet t m { 10.0.0.1, 10.0.0.2 : drop }', 'FILE:1:24-31: Error: Could not process rule: Invalid argument'],
    [
      'add map inet t x { type ipv4_addr : mark; elements = { 1.2.3.4 }; }',
      'FILE:1:56-62: Error: Could not process rule: Invalid argument',
    ],
  ],
  { check: true },
);
