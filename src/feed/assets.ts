/**
 * The static files the server hands out: the viewer page and the protocol's
 * JSON Schema. They live beside the sources; `tsc` does not copy them to
 * dist/, so a built server also looks for them back in src/feed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FILES = {
  viewer: { name: 'viewer.html', type: 'text/html; charset=utf-8' },
  schema: { name: 'schema/feed.schema.json', type: 'application/schema+json' },
} as const;

export type AssetName = keyof typeof FILES;

const cache = new Map<AssetName, { type: string; body: Buffer }>();

export function assetPath(name: AssetName): string {
  const rel = FILES[name].name;
  const candidates = [new URL(`./${rel}`, import.meta.url), new URL(`../../src/feed/${rel}`, import.meta.url)];
  for (const u of candidates) if (existsSync(u)) return fileURLToPath(u);
  throw new Error(`feed asset ${rel} not found next to ${fileURLToPath(import.meta.url)}`);
}

export function readAsset(name: AssetName): { type: string; body: Buffer } {
  let a = cache.get(name);
  if (!a) {
    a = { type: FILES[name].type, body: readFileSync(assetPath(name)) };
    cache.set(name, a);
  }
  return a;
}
