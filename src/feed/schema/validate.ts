/**
 * A small JSON Schema (2020-12) checker for exactly the keywords the feed's
 * schema uses. Any other keyword throws, so the schema cannot silently rely
 * on something this checker ignores. Used by tests, not on the server's path.
 */
type Schema = boolean | { [k: string]: unknown };

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', '$defs', 'examples']);
const KEYWORDS = new Set([
  '$ref',
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'maxItems',
  'oneOf',
  'anyOf',
  'allOf',
  'if',
  'then',
  'else',
]);

export interface SchemaError {
  path: string;
  message: string;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function hasType(v: unknown, t: string): boolean {
  if (t === 'integer') return typeof v === 'number' && Number.isInteger(v);
  return typeOf(v) === t;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class Validator {
  constructor(private readonly root: Schema) {}

  private resolve(ref: string): Schema {
    if (!ref.startsWith('#/')) throw new Error(`only local $ref is supported: ${ref}`);
    let cur: unknown = this.root;
    for (const part of ref.slice(2).split('/')) {
      cur = (cur as Record<string, unknown> | undefined)?.[part];
      if (cur === undefined) throw new Error(`$ref ${ref} does not resolve`);
    }
    return cur as Schema;
  }

  /** Errors of `v` against the root, or against `#/$defs/NAME`. */
  validate(v: unknown, def?: string): SchemaError[] {
    const out: SchemaError[] = [];
    this.check(def ? this.resolve(`#/$defs/${def}`) : this.root, v, '$', out);
    return out;
  }

  private check(s: Schema, v: unknown, path: string, out: SchemaError[]): void {
    if (s === true) return;
    if (s === false) {
      out.push({ path, message: 'nothing is allowed here' });
      return;
    }
    for (const k of Object.keys(s))
      if (!KEYWORDS.has(k) && !ANNOTATIONS.has(k)) throw new Error(`unsupported schema keyword "${k}" at ${path}`);
    const err = (message: string) => out.push({ path, message });

    if (typeof s.$ref === 'string') this.check(this.resolve(s.$ref), v, path, out);
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((t) => hasType(v, t))) {
        err(`expected ${types.join(' or ')}, got ${typeOf(v)}`);
        return;
      }
    }
    if ('const' in s && !deepEqual(v, s.const)) err(`expected ${JSON.stringify(s.const)}`);
    if (Array.isArray(s.enum) && !s.enum.some((e) => deepEqual(v, e))) err(`expected one of ${JSON.stringify(s.enum)}`);
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) err(`below minimum ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) err(`above maximum ${s.maximum}`);
    }
    if (typeof v === 'string') {
      if (typeof s.minLength === 'number' && v.length < s.minLength) err(`shorter than ${s.minLength}`);
      if (typeof s.maxLength === 'number' && v.length > s.maxLength) err(`longer than ${s.maxLength}`);
    }
    if (Array.isArray(v)) {
      if (typeof s.maxItems === 'number' && v.length > s.maxItems) err(`more than ${s.maxItems} items`);
      if (s.items !== undefined) v.forEach((x, i) => this.check(s.items as Schema, x, `${path}[${i}]`, out));
    }
    if (typeOf(v) === 'object') {
      const o = v as Record<string, unknown>;
      const props = (s.properties ?? {}) as Record<string, Schema>;
      for (const r of (s.required ?? []) as string[]) if (!(r in o)) err(`missing "${r}"`);
      for (const [k, x] of Object.entries(o)) {
        if (k in props) this.check(props[k], x, `${path}.${k}`, out);
        else if (s.additionalProperties !== undefined) this.check(s.additionalProperties as Schema, x, `${path}.${k}`, out);
      }
    }
    if (Array.isArray(s.allOf)) for (const sub of s.allOf as Schema[]) this.check(sub, v, path, out);
    if (Array.isArray(s.anyOf) && !(s.anyOf as Schema[]).some((sub) => this.passes(sub, v, path))) err('matches none of anyOf');
    if (Array.isArray(s.oneOf)) {
      const hits = (s.oneOf as Schema[]).filter((sub) => this.passes(sub, v, path)).length;
      if (hits !== 1) err(`matches ${hits} of oneOf, expected exactly 1`);
    }
    if (s.if !== undefined) {
      const branch = this.passes(s.if as Schema, v, path) ? s.then : s.else;
      if (branch !== undefined) this.check(branch as Schema, v, path, out);
    }
  }

  private passes(s: Schema, v: unknown, path: string): boolean {
    const sub: SchemaError[] = [];
    this.check(s, v, path, sub);
    return sub.length === 0;
  }
}
