/** What the parser hands the transaction: commands, and the chain, set and rule specs they carry. */
import type { BaseSpec, Family, Loc, NatSpec, NftHook, SetProps, Stmt } from '../ast.js';
import type { NftSyntaxError, Tok } from '../lexer.js';

export interface ChainSpecAst {
  /** `loc` is the `type` keyword's; `typeLoc` and `hookLoc` the type's and hook's names, where the kernel and nft point. */
  base: {
    type: BaseSpec['type'];
    hook: NftHook;
    priority: number;
    device: string | null;
    loc: Loc;
    typeLoc: Loc;
    hookLoc: Loc;
    /** A priority name the family and hook do not have: nft's evaluation refuses it there, after the syntax errors. */
    priorityError?: Loc;
  } | null;
  policy: 'accept' | 'drop' | null;
  /** Where `policy P` stands: the kernel points there when it refuses a policy on a regular chain. */
  policyLoc?: Loc;
  comment: string | null;
}

export interface SetSpecAst extends SetProps {
  /** Element tokens, typed when the command is applied. */
  elems: Tok[] | null;
}

export interface RuleAst {
  stmts: Stmt[];
  comment: string | null;
  /** What the kernel checks once it knows the chain: each `fib` match (its hooks) and a refusal it makes whatever the chain. */
  kernel?: KernelChecks;
}

export interface KernelChecks {
  fib: Array<{ flags: string[]; result: string }>;
  refusal: { loc: Loc; message: string } | null;
  /** The rule rejects: the kernel takes a reject in no postrouting chain. */
  reject?: boolean;
  /** The rule's NAT statements: the kernel takes each only in a nat chain on its hooks. */
  nat?: NatSpec['type'][];
}

/** One command of a transaction (a table block expands to several). Fields unused by a command are empty. */
export interface Cmd {
  loc: Loc;
  op: 'add' | 'create' | 'insert' | 'replace' | 'delete' | 'flush' | 'list';
  obj: 'ruleset' | 'tables' | 'table' | 'chain' | 'set' | 'rule' | 'element';
  /** null only for `flush|list ruleset` and `list tables` without a family. */
  family: Family | null;
  table: string;
  /** The chain, set or map the command names. */
  name: string;
  handle: number | null;
  index: number | null;
  comment: string | null;
  flags: string[];
  chainSpec: ChainSpecAst | null;
  setSpec: SetSpecAst | null;
  /** A rule's tokens, or `{ elements }` tokens. */
  toks: Tok[];
  /** A rule's statements once parsed (or the error parsing them gave), before the transaction applies. */
  parsed?: RuleAst | NftSyntaxError;
  /** `list map` and `flush map` (rather than `set`): nft finds only a map by them, and only a set by `set`. */
  asMap?: boolean;
  /** Where the command names its table, object and handle, and where it ends: nft points its errors there. */
  at: { table: Loc; name: Loc; handle: Loc; end: Loc; whole: Loc };
}

export const mk = (c: Partial<Cmd> & Pick<Cmd, 'loc' | 'op' | 'obj'>): Cmd => ({
  family: 'ip',
  table: '',
  name: '',
  handle: null,
  index: null,
  comment: null,
  flags: [],
  chainSpec: null,
  setSpec: null,
  toks: [],
  at: { table: c.loc, name: c.loc, handle: c.loc, end: c.loc, whole: c.loc },
  ...c,
});
