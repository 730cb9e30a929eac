/** The nftables object model: what a parsed ruleset holds, already in the form `nft list` prints. */
import type { TypeName, Value } from './types.js';

export type Family = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';
export const FAMILIES: readonly Family[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

export type NftHook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress' | 'egress';

/** Where a token came from, for errors: 1-based line, column and one-past-end column. */
export interface Loc {
  line: number;
  col: number;
  end: number;
}

export type Expr =
  | { k: 'payload'; proto: string; field: string; type: TypeName }
  | { k: 'meta'; key: string; type: TypeName }
  | { k: 'ct'; key: string; dir: 'original' | 'reply' | null; type: TypeName }
  | { k: 'fib'; flags: string[]; result: 'type' | 'oif' | 'oifname'; type: TypeName }
  | { k: 'numgen'; mode: 'random' | 'inc'; mod: number; offset: number; type: TypeName }
  | { k: 'concat'; parts: Expr[] }
  | { k: 'binop'; op: '&' | '|' | '^'; left: Expr; right: Value }
  | { k: 'const'; v: Value }
  /** `KEY map { ... }` or `KEY map @m`: the data the key maps to (`type` is the data's type). */
  | { k: 'map'; key: Expr; map: Rhs; type: TypeName };

/** A verdict as data (vmap elements, verdict statements). */
export interface Verdict {
  v: 'accept' | 'drop' | 'continue' | 'return' | 'jump' | 'goto';
  chain?: string;
  /** Where the target chain was named, for errors. */
  loc?: Loc;
}

/** One set element's key: a value (one per concatenated field), or an inclusive interval. */
export interface ElemKey {
  lo: Value[];
  hi: Value[] | null;
  /** Set when written as a prefix (`10.0.0.0/8`): a bare match prints it back that way. */
  plen?: number;
}

export interface Elem {
  key: ElemKey;
  data: Verdict | Value[] | null;
  comment?: string;
  timeoutMs?: number;
  /** Virtual time (ms) the element was added, for its expiry. */
  addedAt?: number;
}

export type Rhs =
  | { k: 'val'; key: ElemKey }
  | { k: 'mask'; value: Value; mask: Value }
  | { k: 'set'; set: AnonSet }
  | { k: 'ref'; name: string; loc?: Loc };

export interface AnonSet {
  elems: Elem[];
  /** Handle of the anonymous set object the kernel holds for it. */
  handle: number;
  interval: boolean;
  isMap: boolean;
}

export type Op = '==' | '!=' | '<' | '>' | '<=' | '>=';

export interface NatSpec {
  type: 'dnat' | 'snat' | 'masquerade' | 'redirect';
  family: 'ip' | 'ip6' | null;
  addr: ElemKey | null;
  port: ElemKey | null;
  flags: string[];
  /** `dnat to ip daddr map { ... }`: the address comes from a map. */
  map?: Expr;
}

export type Stmt =
  | { k: 'match'; left: Expr; op: Op | null; right: Rhs }
  | { k: 'vmap'; key: Expr; map: Rhs }
  | { k: 'verdict'; verdict: Verdict }
  | { k: 'counter'; packets: number; bytes: number }
  | { k: 'log'; prefix: string | null; level: string | null; flags: string | null; group: number | null }
  | { k: 'limit'; rate: number; unit: string; bytes: string | null; over: boolean; burst: number | null; burstBytes: string | null }
  | { k: 'reject'; kind: 'icmp' | 'icmpx' | 'icmpv6' | 'tcp' | null; code: string | null }
  | { k: 'metaset'; key: string; value: Expr }
  | { k: 'ctset'; key: string; value: Expr }
  | { k: 'nat'; nat: NatSpec }
  | { k: 'notrack' }
  | { k: 'setupd'; op: 'add' | 'update'; set: string; key: Expr; timeoutMs: number | null };

export interface Rule {
  handle: number;
  stmts: Stmt[];
  comment: string | null;
}

export interface BaseSpec {
  type: 'filter' | 'nat' | 'route';
  hook: NftHook;
  priority: number;
  policy: 'accept' | 'drop';
  device: string | null;
}

export interface Chain {
  name: string;
  handle: number;
  base: BaseSpec | null;
  comment: string | null;
  rules: Rule[];
  /** Registration order of base chains across the ruleset (equal priority: last registered runs first). */
  regSeq: number;
}

/** What a set or map declaration says about it, as written and as kept. */
export interface SetProps {
  isMap: boolean;
  keyTypes: TypeName[];
  dataType: TypeName | 'verdict' | null;
  flags: string[];
  timeoutMs: number | null;
  size: number | null;
  comment: string | null;
  policy: string | null;
  counter: boolean;
  /** Declared with `typeof`: the expressions, which the listing prints instead of the types. */
  typeofKey?: Expr;
  typeofData?: Expr;
}

export interface NamedSet extends SetProps {
  name: string;
  handle: number;
  /** Elements by key identity (see `elemId`); listing order is computed, not stored. */
  elems: Map<string, Elem>;
}

export interface Table {
  family: Family;
  name: string;
  handle: number;
  comment: string | null;
  flags: string[];
  chains: Chain[];
  sets: NamedSet[];
  chainByName: Map<string, Chain>;
  setByName: Map<string, NamedSet>;
  /** The table's handle generator, as the kernel's table->hgenerator. */
  nextHandle: number;
}

export interface Ruleset {
  tables: Table[];
  nextTableHandle: number;
}

export const emptyRuleset = (): Ruleset => ({ tables: [], nextTableHandle: 1 });

/** A key's identity inside one set. */
export function elemId(k: ElemKey): string {
  let id = '';
  for (const v of k.lo) id += `${v.n}:${v.s ?? ''}.`;
  if (k.hi) for (const v of k.hi) id += `-${v.n}`;
  return id;
}
