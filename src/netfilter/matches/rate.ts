/** Rates as limit and hashlimit store them: the average interval between packets, in 1/scale seconds. */
const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['day', 24 * 60 * 60],
  ['hour', 60 * 60],
  ['min', 60],
  ['sec', 1],
];

/** `N/sec|second|s|minute|min|m|hour|h|day|d` (or a bare N per second) to the stored interval. */
export function parseRate(text: string, scale: number): number | null {
  const m = /^(\d+)(?:\/(\w+))?$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'sec').toLowerCase();
  let secs: number;
  if ('second'.startsWith(unit)) secs = 1;
  else if ('minute'.startsWith(unit)) secs = 60;
  else if ('hour'.startsWith(unit)) secs = 3600;
  else if ('day'.startsWith(unit)) secs = 86400;
  else return null;
  if (n === 0) return null;
  const interval = Math.floor((scale * secs) / n);
  return interval === 0 ? null : interval;
}

/** Back to `N/unit`, choosing the unit exactly as iptables' printer does. */
export function formatRate(interval: number, scale: number): string {
  let i = 1;
  for (; i < UNITS.length; i++) {
    const mult = UNITS[i][1] * scale;
    if (interval > mult || Math.floor(mult / interval) < mult % interval) break;
  }
  const [name, secs] = UNITS[i - 1];
  return `${Math.floor((secs * scale) / interval)}/${name}`;
}

/** A token bucket on virtual time: each packet costs `interval` scale-units; at most `burst` saved up. */
export class Bucket {
  private credit: number;
  private last: number;
  constructor(
    private readonly costUs: number,
    private readonly burst: number,
    now: number,
  ) {
    this.credit = costUs * burst;
    this.last = now;
  }
  take(now: number): boolean {
    this.credit = Math.min(this.costUs * this.burst, this.credit + (now - this.last));
    this.last = now;
    if (this.credit >= this.costUs) {
      this.credit -= this.costUs;
      return true;
    }
    return false;
  }
}
