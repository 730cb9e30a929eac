import { it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { generate } from './gen.js';
import { runKernel } from './kernel.js';
import { runNflab } from './nflab.js';
import { compareEpisode, describe as say } from './model.js';

it('explore', () => {
  const seed = Number(process.env.S ?? 1),
    n = Number(process.env.N ?? 200);
  const eps = generate(seed, n);
  const k = runKernel(eps);
  const nf = runNflab(
    eps,
    k.map((a) => a.cmds.map((c) => c.x)),
  );
  const out: string[] = [];
  let acc = 0;
  k.forEach((a, i) => {
    acc += a.cmds.filter((c) => c.x === 0).length;
    for (const d of compareEpisode(i, a, nf[i])) out.push(say(d, eps[i].cmds));
  });
  console.log('accepted', acc, 'disagreements', out.length);
  writeFileSync('/tmp/nfr-explore.txt', out.join('\n\n'));
  writeFileSync('/tmp/nfr-explore.json', JSON.stringify({ eps, k, nf }, null, 1));
});
