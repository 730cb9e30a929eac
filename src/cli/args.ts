/** A small, strict argument parser: flags are declared, unknown ones are usage errors. */
export interface FlagSpec {
  /** Takes a value (`--port 7070`); otherwise a boolean switch. */
  value?: boolean;
  /** May be given several times. */
  repeat?: boolean;
  short?: string;
}

export interface Parsed {
  positional: string[];
  flags: Map<string, string[]>;
}

import type { Diagnostic } from '../core/diagnostic.js';

export class UsageError extends Error {}

/** Ends the command with `code`, printing each diagnostic on a line of its own. */
export class ExitError extends Error {
  constructor(
    readonly code: number,
    readonly diagnostics: Diagnostic[] = [],
  ) {
    super(`exit ${code}`);
  }
}

export function parseArgs(argv: string[], spec: Record<string, FlagSpec>): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const byShort = new Map(
    Object.entries(spec)
      .filter(([, s]) => s.short)
      .map(([k, s]) => [s.short!, k]),
  );
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      inline = eq < 0 ? undefined : a.slice(eq + 1);
    } else if (a.length === 2 && a[0] === '-' && a[1] !== '-') {
      name = byShort.get(a[1]);
      if (!name) throw new UsageError(`unknown option ${a}`);
    } else {
      positional.push(a);
      continue;
    }
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name}`);
    let value = 'true';
    if (s.value) {
      if (inline !== undefined) value = inline;
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new UsageError(`--${name} needs a value`);
    } else if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
    const list = flags.get(name) ?? [];
    if (list.length && !s.repeat) throw new UsageError(`--${name} given twice`);
    list.push(value);
    flags.set(name, list);
  }
  return { positional, flags };
}

export function flag(p: Parsed, name: string): string | undefined {
  return p.flags.get(name)?.[0];
}

export function has(p: Parsed, name: string): boolean {
  return p.flags.has(name);
}
