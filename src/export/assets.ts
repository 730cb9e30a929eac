/**
 * The bash and Python an exported lab carries. They are real files in
 * src/export/assets/, so that shellcheck and Python check them; the build
 * copies them beside the compiled code (scripts/copy-assets.mjs).
 */
import { readFileSync } from 'node:fs';

const cache = new Map<string, string>();

function read(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
    cache.set(name, text);
  }
  return text;
}

/** A shell asset as the script embeds it: without its header (everything up to the first blank line). */
export function shellAsset(name: 'lab-helpers.sh' | 'lab-main.sh'): string {
  const text = read(name);
  const body = text.indexOf('\n\n');
  if (body < 0) throw new Error(`export asset ${name} has no blank line after its header`);
  return text.slice(body + 2);
}

/** The python3 program the lab writes to its state directory (see apps-py.ts). */
export function appsPy(): string {
  return read('apps.py');
}
