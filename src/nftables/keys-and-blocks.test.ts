import { describeKernelErrors } from './testing/first-error.js';

/**
 * Keys nft does not know after `meta` and `ct`, protocol names it cannot resolve, and where an
 * elements block is missing or ends early. Each answer is the first error line of `nft -c -f FILE`
 * (nft 1.0.6, Linux 6.18) in a namespace holding SETUP. Found by the nft fuzzer
 * (test/differential/fuzz-nft/).
 */
describeKernelErrors(
  'unknown keys, protocol names, element blocks',
  'add table inet t; add chain inet t c; add set inet t s { type ipv4_addr . inet_proto . inet_service; }; add set inet t p { type inet_proto; }\n',
  [
    ['add rule inet t c meta l4proto tpc', 'FILE:1:32-34: Error: Could not resolve protocol name'],
    ['add rule inet t c ip protocol tpc', 'FILE:1:31-33: Error: Could not resolve protocol name'],
    ['add element inet t s { 1.2.3.4 . tpc . 22 }', 'FILE:1:34-36: Error: Could not resolve protocol name'],
    ['add element inet t p { tpc }', 'FILE:1:24-26: Error: Could not resolve protocol name'],
    ['add rule inet t c meta l4proto { tcp, tpc }', 'FILE:1:39-41: Error: Could not resolve protocol name'],
    ['add rule inet t c ct bogus set 1', 'FILE:1:22-26: Error: syntax error, unexpected string'],
    [
      'add rule inet t c meta bogus 1',
      'FILE:1:19-28: Error: syntax error, unexpected bogus, known keys are length, protocol, priority, mark, iif, oif, iifname, oifname, iiftype, oiftype, skuid, skgid, nftrace, rtclassid, secmark, nfproto, l4proto, ibrname, obrname, pkttype, cpu, iifgroup, oifgroup, cgroup, random, ipsec, iifkind, oifkind, ibrpvid, ibrvproto, time, day, hour, sdif, sdifname',
    ],
    ['add rule inet t c meta ip6 1', 'FILE:1:24-26: Error: syntax error, unexpected ip6'],
    ['add element inet t s bogus', "FILE:1:22-26: Error: syntax error, unexpected string, expecting '{' or '$'"],
    ['add element inet t s', "FILE:1:21-21: Error: syntax error, unexpected newline, expecting '{' or '$'"],
    ['add rule inet t c ip saddr != {', 'FILE:2:1-1: Error: syntax error, unexpected end of file'],
    ['add rule inet t c ip saddr {', 'FILE:2:1-1: Error: syntax error, unexpected end of file'],
    ['add rule inet t c ip saddr { 1.2.3.4,', "FILE:2:1-1: Error: syntax error, unexpected end of file, expecting comma or '}'"],
  ],
  { check: true },
);

/** An empty elements block, and a keyword where an interface name should stand (same checks, another SETUP). */
describeKernelErrors(
  'empty blocks, keywords for interface names',
  'add table ip t; add set ip t s { type inet_service; }; add chain ip t c\n',
  [
    ['add element ip t s { }', "FILE:1:22-22: Error: syntax error, unexpected '}'"],
    ['delete element ip t s { }', "FILE:1:25-25: Error: syntax error, unexpected '}'"],
    ['add set ip t x { type inet_service; elements = { }; }', "FILE:1:50-50: Error: syntax error, unexpected '}'"],
    ['table ip t {\n\tset y {\n\t\ttype inet_service\n\t\telements = {\n\t}\n}', "FILE:5:2-2: Error: syntax error, unexpected '}'"],
    ['add rule ip t c ip saddr { }', "FILE:1:28-28: Error: syntax error, unexpected '}'"],
    ['add rule ip t c iifname drop', 'FILE:1:25-28: Error: syntax error, unexpected drop'],
    ['add rule ip t c iifname accept', 'FILE:1:25-30: Error: syntax error, unexpected accept'],
    ['add rule ip t c oifname counter', 'FILE:1:25-31: Error: syntax error, unexpected counter'],
    ['add rule ip t c iifname meta', 'FILE:1:25-28: Error: syntax error, unexpected meta'],
  ],
  { check: true },
);

/** A conntrack port needs the packet's transport protocol (`meta l4proto`, a header); `ct protocol` does not give it. */
describeKernelErrors(
  'ct proto-src and proto-dst',
  'add table inet t; add chain inet t c\n',
  [
    ['add rule inet t c ct original proto-src 53', "FILE:1:41-42: Error: Can't parse symbolic invalid expressions"],
    ['add rule inet t c ct protocol tcp ct reply proto-src 53', "FILE:1:54-55: Error: Can't parse symbolic invalid expressions"],
    [
      'add rule inet t c ct original protocol tcp ct original proto-src 53',
      "FILE:1:66-67: Error: Can't parse symbolic invalid expressions",
    ],
    ['add rule inet t c ct reply protocol tcp ct reply proto-src 53', "FILE:1:60-61: Error: Can't parse symbolic invalid expressions"],
    ['add rule inet t c meta l4proto tcp ct original proto-dst 53', null],
    ['add rule inet t c tcp dport 22 ct original proto-dst 53', null],
    ['add rule inet t c ct original proto-dst ssh', "FILE:1:41-43: Error: Can't parse symbolic invalid expressions"],
    ['add rule inet t c ct protocol tcp ct original proto-dst { 53, 80 }', "FILE:1:59-60: Error: Can't parse symbolic invalid expressions"],
  ],
  { check: true },
);

/** `ct protocol` gives a conntrack port its type once the network protocol is known (the family's, or matched before it). */
describeKernelErrors(
  'ct protocol and the network protocol',
  'add table inet t; add chain inet t c; add table ip i; add chain ip i c\n',
  [
    ['add rule inet t c ip daddr 1.2.3.4 ct protocol tcp ct reply proto-dst 80', null],
    ['add rule ip i c ct protocol tcp ct original proto-dst 53', null],
    ['add rule ip i c ct original proto-dst 53', "FILE:1:39-40: Error: Can't parse symbolic invalid expressions"],
    ['add rule inet t c meta nfproto ipv4 ct protocol tcp ct original proto-dst 53', null],
    ['add rule ip i c ct original protocol tcp ct reply proto-dst 53', null],
    [
      'add rule inet t c ct protocol tcp ip daddr 1.2.3.4 ct reply proto-dst 80',
      "FILE:1:71-72: Error: Can't parse symbolic invalid expressions",
    ],
  ],
  { check: true },
);

/** A `typeof` expression cut short: nft names the token that ends the item. */
describeKernelErrors(
  'typeof cut short',
  'add table ip t\n',
  [
    ['table ip t {\n\tset s {\n\t\ttypeof meta\n\t}\n}', 'FILE:3:14-14: Error: syntax error, unexpected newline'],
    ['add set ip t s { typeof meta; }', 'FILE:1:29-29: Error: syntax error, unexpected semicolon'],
    ['add set ip t s { typeof ip; }', 'FILE:1:27-27: Error: syntax error, unexpected semicolon'],
    ['add map ip t m { typeof ip saddr : meta; }', 'FILE:1:40-40: Error: syntax error, unexpected semicolon'],
    ['table ip t {\n\tset s {\n\t\ttypeof tcp dport .\n\t}\n}', 'FILE:3:21-21: Error: syntax error, unexpected newline'],
  ],
  { check: true },
);

/** A set's `type` without its datatype: nft names what came instead, and nothing it expected. */
describeKernelErrors(
  'type cut short',
  'add table ip t\n',
  [
    ['add set ip t s { type ; }', 'FILE:1:23-23: Error: syntax error, unexpected semicolon'],
    ['table ip t {\n\tset s {\n\t\ttype\n\t}\n}', 'FILE:3:7-7: Error: syntax error, unexpected newline'],
    ['table ip t {\n\tmap m {\n\t\ttype inet_service :\n\t}\n}', 'FILE:3:22-22: Error: syntax error, unexpected newline'],
    ['add map ip t m { type inet_service : ; }', 'FILE:1:38-38: Error: syntax error, unexpected semicolon'],
    ['add set ip t s { type 5; }', 'FILE:1:23-23: Error: syntax error, unexpected number'],
  ],
  { check: true },
);
