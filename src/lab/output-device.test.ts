import { describe, expect, it } from 'vitest';
import { labFrom, probe } from './testing/labs.js';

/**
 * Measured on Linux 6.18 (two namespaces, socat): a connect to the node's own 10.0.1.2 that nat
 * OUTPUT sends to 10.0.1.1 counts every packet of the connection in filter OUTPUT `-o lo` and none
 * in `-o eth0`, and in mangle POSTROUTING `-o eth0`. The re-route after nat changes where the packet
 * goes, not the device the OUTPUT hook's later chains see. Found by the scenario fuzzer's nft
 * flavour (nft-8-70), where nflab matched a REJECT `-o eth0` in filter OUTPUT.
 */
describe('the output device within OUTPUT after a re-route', () => {
  it('is the first route device for the rest of OUTPUT, the new one in POSTROUTING', () => {
    const lab = labFrom(`
name: output-device
hosts:
  a:
    interfaces: { eth0: { addr: 10.0.1.2/24 } }
    iptables: |
      *mangle
      -A POSTROUTING -o eth0 -p tcp --dport 80
      COMMIT
      *nat
      -A OUTPUT -d 10.0.1.2 -p tcp --dport 80 -j DNAT --to-destination 10.0.1.1
      COMMIT
      *filter
      -A OUTPUT -o eth0 -p tcp --dport 80 -j REJECT --reject-with icmp-host-prohibited
      -A OUTPUT -o lo -p tcp --dport 80
      COMMIT
  b:
    interfaces: { eth0: { addr: 10.0.1.1/24 } }
    listen: [ tcp:80 ]
links:
  - [a:eth0, b:eth0]
`);
    const r = probe(lab, 'connect', 'a', '10.0.1.2:80');
    expect(r.result).toBe('connected');
    expect(r.server).toBe('b');
    const count = (table: string, needle: string) =>
      lab
        .exec('a', `iptables -t ${table} -S -v`)
        .stdout.split('\n')
        .find((l) => l.includes(needle));
    expect(count('filter', '-o eth0')).toContain('-c 0 0');
    expect(count('filter', '-o lo')).not.toContain('-c 0 0');
    expect(count('mangle', '-o eth0')).toBe(count('filter', '-o lo')!.replace('-A OUTPUT -o lo', '-A POSTROUTING -o eth0'));
  });
});
