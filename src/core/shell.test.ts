import { describe, expect, it } from 'vitest';
import { shq, splitShellWords } from './shell.js';

describe('shq', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    expect(shq('docker-host')).toBe('docker-host');
    expect(shq('a b')).toBe("'a b'");
    expect(shq('')).toBe("''");
    expect(shq("it's $HOME")).toBe(`'it'\\''s $HOME'`);
  });
});

describe('splitShellWords', () => {
  it('splits on blanks and honours quotes and backslashes', () => {
    expect(splitShellWords(`iptables -A INPUT -m comment --comment "a \\"b\\"" -j 'AC'CEPT`)).toEqual({
      ok: true,
      words: ['iptables', '-A', 'INPUT', '-m', 'comment', '--comment', 'a "b"', '-j', 'ACCEPT'],
    });
    expect(splitShellWords(`x a\\ b ''`)).toEqual({ ok: true, words: ['x', 'a b', ''] });
  });

  it('refuses shell operators and expansions, saying where', () => {
    expect(splitShellWords('iptables -F; reboot')).toMatchObject({ ok: false, col: 12 });
    expect(splitShellWords('iptables -A X --comment "$(id)"')).toMatchObject({ ok: false });
    expect(splitShellWords("iptables 'open")).toMatchObject({ ok: false, message: 'unterminated single quote' });
    expect(splitShellWords('iptables ";" x')).toEqual({ ok: true, words: ['iptables', ';', 'x'] });
  });
});
