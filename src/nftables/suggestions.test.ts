import { describeKernelErrors } from './testing/first-error.js';

/**
 * nft's suggestions, as nft 1.0.6 makes them (its fuzzy lookups, read in its source): the nearest
 * table, chain or set of any table of any family, the first of equals in the order the kernel lists
 * them, never between two one-letter names. After the kernel refused a missing name (ENOENT at one
 * of the command's attributes) nft explains it from its cache as the whole transaction left it
 * (read again from the kernel, for a rule, when the batch lists something): a rule gets the chain
 * nearest to its own chain's name, unless that is its own chain; where the command's table is not in
 * the cache and the nearest name is in another table, that table is suggested instead. Each answer
 * is the first error line of `nft -c -f FILE` in a namespace holding SETUP (Linux 6.18). Found by the
 * nft fuzzer (test/differential/fuzz-nft/).
 */
const SETUP =
  'add table ip filter; add chain ip filter svc-a; add chain ip filter c1; add chain ip filter x; add table arp nat; ' +
  'add chain arp nat svc-a; add table bridge nat; add chain bridge nat c1; add set bridge nat ports { type mark; }; ' +
  'add map ip filter allowed { type ipv4_addr : mark; }\n';

describeKernelErrors(
  'nft suggests names across tables and families',
  SETUP,
  [
    ['add rule arp nat x counter', 'FILE:1:18-18: Error: No such file or directory; did you mean chain ‘c1’ in table ip ‘filter’?'],
    [
      'delete rule netdev fz x handle 4\nadd table netdev fz\nadd chain netdev fz x',
      'FILE:1:20-21: Error: No such file or directory; did you mean chain ‘c1’ in table ip ‘filter’?',
    ],
    ['add rule ip filter x jump svc-b', 'FILE:1:27-31: Error: No such file or directory; did you mean chain ‘c1’ in table ip ‘filter’?'],
    ['add rule ip filter svc-a jump svc-b', 'FILE:1:31-35: Error: Could not process rule: No such file or directory'],
    ['add rule ip filter c1 goto svc-b', 'FILE:1:28-32: Error: Could not process rule: No such file or directory'],
    [
      'add element ip filter s { 1.2.3.4 }',
      'FILE:1:23-23: Error: No such file or directory; did you mean set ‘ports’ in table bridge ‘nat’?',
    ],
    ['delete map ip6 filter s', 'FILE:1:16-21: Error: No such file or directory; did you mean table ‘nat’ in family bridge?'],
    [
      'add table netdev nat\nadd chain netdev nat c1\nlist tables\nadd rule netdev nat x accept',
      'FILE:4:17-19: Error: No such file or directory; did you mean table ‘filter’ in family ip?',
    ],
    [
      'add table netdev nat\nadd chain netdev nat c1\nadd rule netdev nat x accept',
      'FILE:3:21-21: Error: No such file or directory; did you mean chain ‘c1’ in table ip ‘filter’?',
    ],
    [
      'add rule inet nat2 c1 ip saddr { 1.2.3.4 } accept\nadd table inet nat2\nadd chain inet nat2 input',
      'FILE:1:15-18: Error: Could not process rule: No such file or directory',
    ],
    [
      'add rule inet nat2 c1 accept\nadd table inet nat2\nadd chain inet nat2 input',
      'FILE:1:15-18: Error: Could not process rule: No such file or directory',
    ],
    ['flush set ip filter allowed', 'FILE:1:21-27: Error: No such file or directory'],
    ['list map bridge nat ports', 'FILE:1:21-25: Error: No such file or directory'],
    ['delete chain ip6 fz c1', 'FILE:1:18-19: Error: No such file or directory; did you mean table ‘filter’ in family ip?'],
    [
      'replace rule ip filter y handle 4 accept',
      'FILE:1:24-24: Error: No such file or directory; did you mean chain ‘c1’ in table ip ‘filter’?',
    ],
    [
      'add rule ip filter c1 ip saddr @portz accept',
      'FILE:1:32-37: Error: No such file or directory; did you mean set ‘ports’ in table bridge ‘nat’?',
    ],
  ],
  { check: true },
);

/**
 * What nft has in its cache decides what it finds and suggests: a batch whose last commands list a
 * chain or set reads only that one (and nothing after a flush of a table alone). Answers of
 * `nft -f FILE` (nft 1.0.6, Linux 6.18) in a namespace holding SETUP.
 */
describeKernelErrors(
  "nft's cache: what a batch reads",
  'add table ip fz; add set ip fz m { type inet_service; }; add set ip fz q { type inet_service; }; add chain ip fz c1; add table inet t\n',
  [
    ['add element ip fz m { 22 }\nlist set ip fz q', 'FILE:1:19-19: Error: No such file or directory'],
    ['add element ip fz m { 22 }\nlist set ip fz nope', 'FILE:1:19-19: Error: No such file or directory'],
    ['list set ip fz nope\nadd element ip fz m { 22 }', 'FILE:1:16-19: Error: No such file or directory'],
    [
      'add element ip fz mm { 22 }\nlist set ip fz q',
      'FILE:1:19-20: Error: No such file or directory; did you mean set ‘q’ in table ip ‘fz’?',
    ],
    ['list chain ip fz x', 'FILE:1:18-18: Error: No such file or directory'],
    ['list chain ip fz c2', 'FILE:1:18-19: Error: No such file or directory'],
    ['list chain ip fz c2\nadd table ip fz', 'FILE:1:18-19: Error: No such file or directory; did you mean chain ‘c1’ in table ip ‘fz’?'],
    ['flush table ip tt', 'FILE:1:16-17: Error: Could not process rule: No such file or directory'],
    ['add chain ip fz x\nflush table ip tt', 'FILE:2:16-17: Error: No such file or directory; did you mean table ‘fz’ in family ip?'],
  ],
  { check: false },
);

/** A flushed chain the kernel does not have: explained from the tables and chains nft's cache holds (`nft -f FILE`). */
describeKernelErrors(
  "nft's cache: flushing a missing chain",
  'add table ip fz; add chain ip fz c1; add table ip nat; add chain ip nat c1\n',
  [
    ['flush chain ip t c1', 'FILE:1:16-16: Error: Could not process rule: No such file or directory'],
    [
      'add rule ip fz c1 accept\nflush chain ip t c1',
      'FILE:2:16-16: Error: No such file or directory; did you mean table ‘fz’ in family ip?',
    ],
    [
      'add rule ip fz c1 accept\nflush chain ip nat c2',
      'FILE:2:20-21: Error: No such file or directory; did you mean chain ‘c1’ in table ip ‘fz’?',
    ],
    ['flush chain ip nat c2', 'FILE:1:20-21: Error: Could not process rule: No such file or directory'],
    [
      'add chain ip fz c3\nflush chain ip nat c2',
      'FILE:2:20-21: Error: No such file or directory; did you mean chain ‘c3’ in table ip ‘fz’?',
    ],
    ['add chain ip fz c3\nflush chain ip t c2', 'FILE:2:16-16: Error: No such file or directory; did you mean table ‘fz’ in family ip?'],
  ],
  { check: false },
);

/** A list command's missing table: nft suggests from its cache, which a trailing list command filters (`nft -f FILE`). */
describeKernelErrors(
  "nft's cache: listing a missing table",
  'add table ip t; add chain ip t c; add set ip t s { type ipv4_addr; }\n',
  [
    ['list set ip tt s\nadd table ip x', 'FILE:1:13-14: Error: No such file or directory; did you mean table ‘t’ in family ip?'],
    ['list set ip tt s', 'FILE:1:13-14: Error: No such file or directory'],
    ['list table ip tt\nadd table ip x', 'FILE:1:15-16: Error: No such file or directory; did you mean table ‘t’ in family ip?'],
    ['list table ip tt', 'FILE:1:15-16: Error: No such file or directory'],
    ['list chain ip tt c\nadd table ip x', 'FILE:1:15-16: Error: No such file or directory; did you mean table ‘t’ in family ip?'],
    ['add table ip x\nlist table ip tt', 'FILE:2:15-16: Error: No such file or directory; did you mean table ‘x’ in family ip?'],
  ],
  { check: false },
);
