/**
 * Expectations in the bundled scenarios that describe Linux but that nflab's
 * engine does not meet yet. Each is marked `# ENGINE BUG` in its scenario file.
 * The scenario test fails both when any other expectation fails and when one of
 * these starts to pass, so a fixed engine bug is noticed and removed from here.
 */
export interface KnownFailure {
  file: string;
  step: number;
  /** The failure's `expected` text, as the runner reports it. */
  expected: string;
}

export const KNOWN_ENGINE_BUGS: readonly KnownFailure[] = [];

export function isKnown(file: string, step: number, expected: string): boolean {
  return KNOWN_ENGINE_BUGS.some((k) => k.file === file && k.step === step && k.expected === expected);
}
