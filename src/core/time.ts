/** Virtual time in integer microseconds. Nothing below the front ends reads a real clock. */
export type Micros = number;

export const US = 1;
export const MS = 1000;
export const SEC = 1_000_000;

const DURATION = /^(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h)?$/;
const UNIT: Record<string, number> = { us: 1, µs: 1, ms: MS, s: SEC, m: 60 * SEC, h: 3600 * SEC };

/** Parses `1s`, `500ms`, `100us`, `2.5s`; a bare number is seconds. Returns null when malformed. */
export function parseDuration(text: string | number): Micros | null {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? Math.round(text * SEC) : null;
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  return Math.round(Number(m[1]) * UNIT[m[2] ?? 's']);
}

/** For people: three significant figures or so ("1.02 s", "3.4 ms", "850 µs"); exact values stay in JSON. */
export function humanDuration(us: Micros): string {
  if (us >= SEC) return `${(us / SEC).toFixed(2)} s`;
  if (us >= MS) return `${(us / MS).toFixed(1)} ms`;
  return `${us} µs`;
}

/** A point on the virtual clock, as the front ends show every time: seconds with microseconds ("0.000900s"). */
export function clockTime(us: Micros): string {
  return `${Math.floor(us / SEC)}.${String(us % SEC).padStart(6, '0')}s`;
}
