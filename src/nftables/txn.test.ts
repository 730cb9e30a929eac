import { describe, expect, it } from 'vitest';
import { emptyRuleset } from './ast.js';
import { printRuleset } from './print.js';
import { formatNftError, runNft } from './txn.js';

const base = 'table ip t {\n\tchain c {\n\t\taccept\n\t}\n}\n';

describe('a transaction is all or nothing', () => {
  it('a refused batch leaves rules, chains and sets as they were; the kernel still spent its handles', () => {
    const rs = emptyRuleset();
    expect(runNft(rs, base).ok).toBe(true);
    const before = printRuleset(rs, { handles: false });
    const r = runNft(rs, 'add rule ip t c drop\nadd chain ip t d\nadd set ip t s { type ipv4_addr ; }\nadd rule ip t c jump nowhere\n');
    expect(r.ok).toBe(false);
    expect(printRuleset(rs, { handles: false })).toBe(before);
    // Measured with nft 1.0.6 on 6.18 (with add rule; add chain; add rule ... jump nowhere, the next rule got handle 6).
    expect(runNft(rs, 'add rule ip t c counter').ok).toBe(true);
    expect(printRuleset(rs, { handles: true })).toContain('counter packets 0 bytes 0 # handle 7');
  });

  it('an error nft finds itself (no such set) consumes no handle', () => {
    const rs = emptyRuleset();
    runNft(rs, base);
    expect(runNft(rs, 'add rule ip t c ip saddr @nope drop').ok).toBe(false);
    runNft(rs, 'add rule ip t c counter');
    expect(printRuleset(rs, { handles: true })).toContain('counter packets 0 bytes 0 # handle 3');
  });

  it('nft -c checks and changes nothing', () => {
    const rs = emptyRuleset();
    runNft(rs, base);
    const before = printRuleset(rs, { handles: true });
    expect(runNft(rs, 'add rule ip t c drop', { check: true }).ok).toBe(true);
    expect(printRuleset(rs, { handles: true })).toBe(before);
  });

  it('nft -c spends the handles the kernel allocated for the checked batch', () => {
    // Measured with nft 1.0.6 on 6.18, one nft -c between each pair of real additions.
    const rs = emptyRuleset();
    const ok = (t: string, check = false) => expect(runNft(rs, t, { check }).ok).toBe(true);
    ok('add table inet fw\nadd chain inet fw input { type filter hook input priority 0; }\nadd rule inet fw input counter');
    ok('add rule inet fw input udp dport 53 counter', true);
    ok('add rule inet fw input tcp dport 22 accept');
    ok('add chain inet fw foo', true);
    ok('add chain inet fw bar');
    ok('add set inet fw s { type ipv4_addr; }', true);
    ok('add set inet fw s2 { type ipv4_addr; }');
    ok('add table inet t2', true);
    ok('add table inet t3');
    ok('add rule inet fw input ip saddr { 1.1.1.1, 2.2.2.2 } accept', true);
    ok('add rule inet fw input accept');
    expect(runNft(rs, 'add rule inet fw nochain accept', { check: true }).ok).toBe(false);
    ok('add rule inet fw input drop');
    const out = printRuleset(rs, { handles: true });
    for (const h of [
      'tcp dport 22 accept # handle 4',
      'set s2 { # handle 8',
      'chain bar { # handle 6',
      'accept # handle 11',
      'drop # handle 12',
    ])
      expect(out).toContain(h);
    expect(out).toContain('table inet t3 { # handle 3');
    expect(out).not.toContain('t2');
  });

  it('elements added and removed in a refused batch are back as they were', () => {
    const rs = emptyRuleset();
    runNft(rs, 'table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.0.1, 10.0.0.2 }\n\t}\n}\n');
    const before = printRuleset(rs, { handles: false });
    expect(runNft(rs, 'delete element ip t s { 10.0.0.1 }\nadd element ip t s { 10.0.0.3 }\ndelete element ip t s { 10.9.9.9 }').ok).toBe(
      false,
    );
    expect(printRuleset(rs, { handles: false })).toBe(before);
  });
});

describe('a chain in use cannot be deleted', () => {
  it('while a rule or a verdict-map element jumps to it; once they are gone it can', () => {
    const rs = emptyRuleset();
    runNft(rs, 'table ip t {\n\tmap m {\n\t\ttype ipv4_addr : verdict\n\t}\n\tchain c {\n\t}\n\tchain d {\n\t}\n}\n');
    expect(runNft(rs, 'add rule ip t c jump d\nadd element ip t m { 10.0.0.1 : goto d }').ok).toBe(true);
    expect(runNft(rs, 'delete chain ip t d').ok).toBe(false);
    expect(runNft(rs, 'flush chain ip t c').ok).toBe(true);
    expect(runNft(rs, 'delete chain ip t d').ok).toBe(false);
    // A refused batch that removed the element must leave the reference in place.
    expect(runNft(rs, 'delete element ip t m { 10.0.0.1 }\ndelete chain ip t nope').ok).toBe(false);
    expect(runNft(rs, 'delete chain ip t d').ok).toBe(false);
    expect(runNft(rs, 'delete element ip t m { 10.0.0.1 }\ndelete chain ip t d').ok).toBe(true);
  });
});

describe('a concatenation compared with one value', () => {
  it('is refused as nft refuses it (measured: nft 1.0.6 points at the concatenation)', () => {
    const rs = emptyRuleset();
    const r = runNft(
      rs,
      'table ip t {\n\tchain c {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tip saddr . tcp dport 10.0.0.1 . 80 drop\n\t}\n}\n',
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(formatNftError('cc.nft', r.errors[0])).toBe(
        'cc.nft:4:3-22: Error: Use concatenations with sets and maps, not singleton values',
      );
    expect(printRuleset(rs, { handles: false })).toBe('');
  });
});
