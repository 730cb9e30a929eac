/** Terminal input to keys, the command line's editing keys, and completing file names. */
import { describe, expect, test } from 'vitest';
import { complete } from './completion.js';
import { decodeKeys } from './keys.js';
import { LineEditor } from './line-editor.js';

const names = (chunk: string) =>
  decodeKeys(chunk).map(({ input, key }) => {
    const on = Object.entries(key)
      .filter(([k, v]) => v && k !== 'shift')
      .map(([k]) => k);
    return [input, ...on].filter(Boolean).join('+');
  });

describe('decodeKeys', () => {
  test('every key of a read, in order', () => {
    expect(names('kkkk')).toEqual(['k', 'k', 'k', 'k']);
    expect(names('qq')).toEqual(['q', 'q']);
    expect(names('frobnicate4\r')).toEqual([...'frobnicate4', 'return']);
    expect(names('\x15nodes\r')).toEqual(['u+ctrl', 'n', 'o', 'd', 'e', 's', 'return']);
    expect(names('ab\r\ncd\n')).toEqual(['a', 'b', 'return', 'c', 'd', 'return']);
  });

  test('escape sequences as xterm, tmux and the console send them', () => {
    expect(names('\x1b[A\x1b[B\x1b[C\x1b[D')).toEqual(['upArrow', 'downArrow', 'rightArrow', 'leftArrow']);
    expect(names('\x1b[H\x1b[F\x1b[1~\x1b[4~\x1bOH\x1bOF')).toEqual(['home', 'end', 'home', 'end', 'home', 'end']);
    expect(names('\x1b[5~\x1b[6~\x1b[3~\x1b[Z')).toEqual(['pageUp', 'pageDown', 'delete', 'tab']);
    expect(decodeKeys('\x1b[Z')[0].key.shift).toBe(true);
    expect(names('\x1b[1;5D')).toEqual(['leftArrow+ctrl']);
    expect(names('\t\x7f\x08')).toEqual(['tab', 'backspace', 'backspace']);
    expect(names('\x1b')).toEqual(['escape+meta']);
    expect(names('\x1bb\x1b\x7f')).toEqual(['b+meta', 'meta+backspace']);
    // Bracketed-paste markers are not keys; what they enclose is typed text.
    expect(names('\x1b[200~ab\x1b[201~')).toEqual(['a', 'b']);
    expect(names('jé😀')).toEqual(['j', 'é', '😀']);
  });
});

describe('LineEditor', () => {
  const keys = (e: LineEditor, chunk: string) => {
    for (const { input, key } of decodeKeys(chunk)) e.edit(input, key);
    return `${e.value.slice(0, e.cursor)}|${e.value.slice(e.cursor)}`;
  };

  test('moves and deletes as readline does', () => {
    const e = new LineEditor();
    expect(keys(e, 'client ping 1.2.3.4')).toBe('client ping 1.2.3.4|');
    expect(keys(e, '\x17')).toBe('client ping |');
    expect(keys(e, '\x19')).toBe('client ping 1.2.3.4|');
    expect(keys(e, '\x01')).toBe('|client ping 1.2.3.4');
    expect(keys(e, '\x1b[C\x1b[C')).toBe('cl|ient ping 1.2.3.4');
    expect(keys(e, '\x0b')).toBe('cl|');
    expect(keys(e, '\x19\x05')).toBe('client ping 1.2.3.4|');
    expect(keys(e, '\x1bb\x1bb')).toBe('client |ping 1.2.3.4');
    expect(keys(e, '\x15')).toBe('|ping 1.2.3.4');
    expect(keys(e, '\x1bf')).toBe('ping| 1.2.3.4');
    expect(keys(e, '\x7f\x7f')).toBe('pi| 1.2.3.4');
    expect(keys(e, '\x04')).toBe('pi|1.2.3.4');
    expect(keys(e, 'ng ')).toBe('ping |1.2.3.4');
    expect(keys(e, '\x1b[F\x1b[D\x1b[D\x1b[H')).toBe('|ping 1.2.3.4');
    expect(keys(e, '\x1b[1;5C')).toBe('ping| 1.2.3.4');
    expect(keys(e, '\x1b[3~')).toBe('ping|1.2.3.4');
    // A kill keeps its text for Ctrl-Y; a single Backspace does not replace it.
    expect(keys(e, '\x05\x17\x7f\x19')).toBe('ping1.2.3.4|');
  });
});

describe('completing file names after load scenario', () => {
  const tree: Record<string, Array<{ name: string; dir: boolean }>> = {
    '.': [
      { name: 'scenarios', dir: true },
      { name: 'src', dir: true },
      { name: '.git', dir: true },
      { name: 'README.md', dir: false },
    ],
    'scenarios/': [
      { name: 'docker-port-mapping.yaml', dir: false },
      { name: 'kube-proxy.yaml', dir: false },
      { name: 'kube-proxy-5000.yaml', dir: false },
      { name: 'notes.txt', dir: false },
    ],
  };
  const ls = (d: string) => tree[d] ?? [];

  test('directories, then YAML files, with the common prefix when several fit', () => {
    expect(complete('load scenario sc', [], ls)).toEqual({ line: 'load scenario scenarios/', choices: [] });
    expect(complete('load scenario s', [], ls)).toEqual({ line: 'load scenario s', choices: ['scenarios/', 'src/'] });
    expect(complete('load scenario scenarios/d', [], ls)).toEqual({
      line: 'load scenario scenarios/docker-port-mapping.yaml ',
      choices: [],
    });
    expect(complete('load scenario scenarios/k', [], ls)).toEqual({
      line: 'load scenario scenarios/kube-proxy',
      choices: ['kube-proxy-5000.yaml', 'kube-proxy.yaml'],
    });
    expect(complete('load scenario scenarios/n', [], ls).choices).toEqual([]);
    expect(complete('load scenario ', [], ls).choices).toEqual(['scenarios/', 'src/']);
    expect(complete('load scenario .g', [], ls).line).toBe('load scenario .git/');
    expect(complete('load sc', [], ls).line).toBe('load scenario ');
  });
});
