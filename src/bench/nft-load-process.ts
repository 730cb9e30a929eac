/**
 * A whole process loading an nft file, as `nflab` does for a topology's
 * `nftables: { file }`: start, read, parse, apply, exit. The bench times it from
 * outside, so start-up and the first run of cold code are in the figure.
 */
import { readFileSync } from 'node:fs';
import { emptyRuleset } from '../nftables/ast.js';
import { runNft } from '../nftables/txn.js';

const file = process.argv[2];
if (!file) throw new Error('usage: nft-load-process FILE');
const r = runNft(emptyRuleset(), readFileSync(file, 'utf8'));
if (!r.ok) {
  process.stderr.write(`${file}:${r.errors[0].line}:${r.errors[0].col}: ${r.errors[0].message}\n`);
  process.exit(1);
}
