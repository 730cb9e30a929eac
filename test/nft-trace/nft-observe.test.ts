/**
 * The differential suite's reading of native nftables: `nft -a monitor trace` lines
 * as the kernel prints them, base-chain hooks and counters from listings, and the
 * recorded kernel answers of the nft cases, which must hold native steps (a case
 * whose trace came back empty would compare nothing).
 */
import { describe, expect, it } from 'vitest';
import { NFT_CASES } from '../differential/cases-nft.js';
import { caseTopology } from '../differential/compare.js';
import { recordedAnswer } from '../differential/kernel-answer.js';
import { baseChainHooks, nativeTables, nftCounterDeltas, parseMonitorLine } from '../differential/nft-observe.js';

describe('nft monitor trace lines', () => {
  it('a native rule: family, handle, rule text and nft verdict', () => {
    expect(
      parseMonitorLine(
        'trace id 5e2a1b07 inet host input rule tcp dport { 80, 8080 } counter packets 0 bytes 0 accept comment "x" # handle 3 (verdict accept)',
      ),
    ).toEqual({
      id: '5e2a1b07',
      family: 'inet',
      table: 'host',
      chain: 'input',
      kind: 'rule',
      verdict: 'accept',
      handle: 3,
      ruleText: 'tcp dport { 80, 8080 } counter packets 0 bytes 0 accept comment "x"',
    });
  });

  it('a policy with the mark nft appends, and a jump', () => {
    expect(parseMonitorLine('trace id 1 ip hostnat prerouting policy accept meta mark 0x00000005')?.verdict).toBe('accept');
    expect(
      parseMonitorLine('trace id 1 ip kube-proxy nat-prerouting rule jump services # handle 22 (verdict jump services)')?.verdict,
    ).toBe('jump services');
    expect(parseMonitorLine('trace id 1 inet host input packet: iif "eth0" ip saddr 10.0.0.1')?.kind).toBe('packet');
    expect(parseMonitorLine('not a trace line')).toBeNull();
  });
});

const LISTING = `table ip filter { # handle 1
\tchain INPUT { # handle 1
\t\ttype filter hook input priority filter; policy accept;
\t\ttcp dport 8080 counter packets 3 bytes 180 drop # handle 4
\t}
}
table ip hostnat { # handle 3
\tchain prerouting { # handle 1
\t\ttype nat hook prerouting priority dstnat; policy accept;
\t\ttcp dport 2222 jump fwd # handle 3
\t}
\tchain fwd { # handle 2
\t\tcounter packets 1 bytes 60 redirect to :8081 # handle 4
\t}
\tchain input { # handle 5
\t\ttype filter hook input priority filter; policy accept;
\t\tcounter packets 7 bytes 400 # handle 6
\t}
}
table ip nflab_trace { # handle 4
\tchain pre { # handle 1
\t\ttype filter hook prerouting priority -500; policy accept;
\t}
}`;

describe('listings', () => {
  it('keeps native tables only, and knows each base chain hook', () => {
    expect(nativeTables(LISTING).split('\n')[0]).toBe('table ip hostnat { # handle 3');
    expect(nativeTables(LISTING)).not.toContain('nflab_trace');
    expect([...baseChainHooks(LISTING)]).toEqual([
      ['ip filter INPUT', 'INPUT'],
      ['ip hostnat prerouting', 'PREROUTING'],
      ['ip hostnat input', 'INPUT'],
      ['ip nflab_trace pre', 'PREROUTING'],
    ]);
  });

  it('counts moved counters, marking the rules only a first packet walks', () => {
    const after = LISTING.replace('packets 1 bytes 60', 'packets 2 bytes 120').replace('packets 7 bytes 400', 'packets 9 bytes 500');
    expect(nftCounterDeltas('fw', LISTING, after)).toEqual(['fw nft-nat ip hostnat fwd#4 +1:60', 'fw nft ip hostnat input#6 +2:100']);
  });
});

describe('the nft cases were recorded with native trace steps', () => {
  for (const c of NFT_CASES) {
    it(c.name, () => {
      const k = recordedAnswer(c, caseTopology(c));
      const native = k.steps
        .flatMap((s) => (s.kind === 'probe' ? Object.values(s.trace ?? {}).flat() : []))
        .filter((l) => / rule .* # handle \d+ \(verdict | policy (accept|drop)$/.test(l) && /^[A-Z]+ (ip|inet) /.test(l));
      expect(native.length).toBeGreaterThan(0);
      expect(Object.values(k.nft ?? {}).join('')).toMatch(/^table /m);
    });
  }
});
