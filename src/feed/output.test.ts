import { describe, expect, it } from 'vitest';
import { splitOutput } from './output.js';

describe('splitOutput', () => {
  it('cuts after a newline when one is in the second half of a part, and the parts join back', () => {
    const text = 'aaaa\nbbbbbbb\ncc\nddddddddddd';
    const parts = splitOutput(text, 8);
    expect(parts.join('')).toBe(text);
    expect(parts.every((p) => p.length <= 8)).toBe(true);
    expect(parts.slice(0, 2)).toEqual(['aaaa\n', 'bbbbbbb\n']);
  });

  it('never splits a surrogate pair, and gives one empty part for empty text', () => {
    const text = 'x'.repeat(7) + '😀'.repeat(5);
    const parts = splitOutput(text, 8);
    expect(parts.join('')).toBe(text);
    for (const p of parts) expect(/[\ud800-\udbff]$/.test(p)).toBe(false);
    expect(splitOutput('', 8)).toEqual(['']);
  });
});
