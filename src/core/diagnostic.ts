/** Where something came from in a user's file: 1-based line and column. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** One problem found in user input. Expected failures are returned as these, never thrown raw. */
export interface Diagnostic extends Partial<SourcePos> {
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const message = oneLine(d.message);
  if (d.file === undefined) return message;
  if (d.line === undefined) return `${d.file}: ${message}`;
  return `${d.file}:${d.line}:${d.col ?? 1}: ${message}`;
}

/**
 * Every problem prints as one line. Messages quoted from the kernel's tools can end in a newline or carry a
 * usage hint on a line of their own; those lines are joined.
 */
function oneLine(message: string): string {
  if (!message.includes('\n')) return message;
  return message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('; ');
}

/** Thrown only across layers that cannot return diagnostics; the CLI prints each one on its own line. */
export class InputError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'InputError';
  }
}

export type Result<T, E = Diagnostic[]> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean "${best}"?)` : '';
}
