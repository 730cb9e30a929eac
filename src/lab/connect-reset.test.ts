import { describe, expect, it } from 'vitest';
import { labFrom, probe } from './testing/labs.js';

describe('a connection reset in the instant its handshake completes', () => {
  // Measured on Linux 6.18: the handshake's ACK is rejected with a reset in the client's own OUTPUT;
  // the reset comes back over lo before the process wakes, and a blocking connect() fails with
  // ECONNRESET, three times out of three (found by the scenario fuzzer's nft flavour, nft-6-22).
  it('fails the connect, as the process sees it only after the stack is done', () => {
    const lab = labFrom(`
name: connect-reset
hosts:
  a:
    interfaces: { eth0: { addr: 10.0.1.2/24 } }
    listen: [ tcp:80 ]
    nftables: |
      table ip fw {
        chain output {
          type filter hook output priority filter; policy accept;
          ip daddr != 10.0.1.2 tcp dport { 80, 81 } ct state established,related counter reject with tcp reset
        }
      }
`);
    const r = probe(lab, 'connect', 'a', '127.0.0.1:80');
    expect(r.result).toBe('refused');
    expect(r.error).toBe('ECONNRESET');
    // Only the ACK met the rule: the client never wrote its line.
    expect(lab.exec('a', 'nft list chain ip fw output').stdout).toContain('counter packets 1 bytes');
  });

  it('still connects when nothing resets it', () => {
    const lab = labFrom(`
name: connect-plain
hosts:
  a:
    interfaces: { eth0: { addr: 10.0.1.2/24 } }
    listen: [ tcp:80 ]
`);
    const r = probe(lab, 'connect', 'a', '127.0.0.1:80');
    expect(r.result).toBe('connected');
    expect(r.answer).not.toBeNull();
  });
});
