/** Real-time and memory helpers: the only place nflab reads a real clock outside the front ends. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export function timeIt<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const v = fn();
  return [v, performance.now() - t0];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

let gcFn: (() => void) | null = null;

/** A full collection, so heap deltas count live objects only (`npm run bench` cannot pass --expose-gc). */
export function fullGc(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
}

export function heapUsed(): number {
  fullGc();
  return process.memoryUsage().heapUsed;
}
