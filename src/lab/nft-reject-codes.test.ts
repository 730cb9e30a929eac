import { describe, expect, it } from 'vitest';
import { labFrom, probe } from './testing/labs.js';

/**
 * What a client sees for each `reject with icmpx CODE` of an nft rule. The kernel maps the abstract
 * codes to ICMP for IPv4 (nft_reject): no-route is net-unreachable, admin-prohibited is
 * packet-filtered (code 13); a connect() then fails with ENETUNREACH, EHOSTUNREACH or
 * ECONNREFUSED. The scenario fuzzer's nft flavour found no-route answered as port-unreachable
 * (nft-5-169: kernel `unreachable`, nflab `refused`).
 */
function rejectWith(code: string) {
  const lab = labFrom(`
name: reject-${code}
hosts:
  a:
    interfaces: { eth0: { addr: 10.0.1.2/24 } }
    nftables: |
      table inet fw {
        chain output {
          type filter hook output priority filter; policy accept;
          tcp dport 80 reject with icmpx ${code}
        }
      }
  b:
    interfaces: { eth0: { addr: 10.0.1.1/24 } }
    listen: [ tcp:80 ]
links:
  - [a:eth0, b:eth0]
`);
  return probe(lab, 'connect', 'a', '10.0.1.1:80');
}

describe('reject with icmpx', () => {
  it.each([
    ['no-route', 'unreachable', 'ENETUNREACH'],
    ['host-unreachable', 'unreachable', 'EHOSTUNREACH'],
    ['admin-prohibited', 'unreachable', 'EHOSTUNREACH'],
    ['port-unreachable', 'refused', 'ECONNREFUSED'],
  ])('%s: the client sees %s (%s)', (code, result, errno) => {
    const r = rejectWith(code);
    expect(r.result).toBe(result);
    expect(r.error).toBe(errno);
  });
});
