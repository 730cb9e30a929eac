/** Whatever the input, the loader returns diagnostics with positions; it never throws. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from 'vitest';
import { loadTopologyText } from './load.js';
import { FIXTURES } from './testing/testkit.js';

const spec = readFileSync(resolve(FIXTURES, 'docker-port-mapping.yaml'), 'utf8');

test('every truncation of the docker port mapping example loads or fails with positioned diagnostics', () => {
  let failures = 0;
  for (let n = 0; n < spec.length; n += 3) {
    const r = loadTopologyText(spec.slice(0, n), '/lab/t.yaml', FIXTURES);
    if (r.ok) continue;
    failures++;
    expect(r.error.length).toBeGreaterThan(0);
    for (const d of r.error) expect([d.file, typeof d.line, typeof d.col]).toEqual(['/lab/t.yaml', 'number', 'number']);
  }
  expect(failures).toBeGreaterThan(10);
});

test('replacing any one value with a list, a mapping or nothing never throws', () => {
  const lines = spec.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const colon = lines[i].indexOf(': ');
    if (colon < 0) continue;
    for (const v of ['[1, 2]', '{ x: 1 }', '', '-1', '"a:b:c"']) {
      const text = [...lines.slice(0, i), `${lines[i].slice(0, colon + 2)}${v}`, ...lines.slice(i + 1)].join('\n');
      const r = loadTopologyText(text, '/lab/t.yaml', FIXTURES);
      if (!r.ok) for (const d of r.error) expect(d.line).toBeGreaterThan(0);
    }
  }
});
