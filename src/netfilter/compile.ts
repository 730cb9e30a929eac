/** Folds a rule's base match and extension matches into one closure, built once at load time. */
import { ifaceMatcher } from './addr.js';
import { ALWAYS, type MatchFn, type MatchInstance } from './ext.js';
import type { RuleHeader } from './rule.js';

// Every closure here is made by a small factory of its own: V8 gives a function one context for all
// the variables any of its closures capture, so one big builder would make each of a loaded table's
// 83,000 rules keep every captured variable of every shape.

// Each base-match closure also calls the rule's extension test (`next`, null when there is none)
// itself, so that a rule of the usual shape is one closure rather than three.

const NEVER: MatchFn = () => false;

function protoTest(proto: number, inv: boolean, next: MatchFn | null): MatchFn {
  return (skb, env) => (skb.pkt.proto === proto) !== inv && (next === null || next(skb, env));
}

function dstTest(addr: number, mask: number, inv: boolean, next: MatchFn | null): MatchFn {
  return (skb, env) => ((skb.pkt.dst & mask) >>> 0 === addr) !== inv && (next === null || next(skb, env));
}

function dstProtoTest(addr: number, mask: number, inv: boolean, proto: number, protoInv: boolean, next: MatchFn | null): MatchFn {
  return (skb, env) => {
    const p = skb.pkt;
    return ((p.dst & mask) >>> 0 === addr) !== inv && (p.proto === proto) !== protoInv && (next === null || next(skb, env));
  };
}

function srcTest(addr: number, mask: number, inv: boolean, next: MatchFn | null): MatchFn {
  return (skb, env) => ((skb.pkt.src & mask) >>> 0 === addr) !== inv && (next === null || next(skb, env));
}

/** Any base match: a branch on a constant flag costs less per packet than another indirect call. */
function fullHeaderTest(h: RuleHeader, next: MatchFn | null): MatchFn {
  const hasSrc = h.src !== null;
  const hasDst = h.dst !== null;
  const sA = h.src?.addr ?? 0;
  const sM = h.src?.mask ?? 0;
  const sI = h.srcInv;
  const dA = h.dst?.addr ?? 0;
  const dM = h.dst?.mask ?? 0;
  const dI = h.dstInv;
  const inM = h.inIf !== null ? ifaceMatcher(h.inIf) : null;
  const inI = h.inInv;
  const outM = h.outIf !== null ? ifaceMatcher(h.outIf) : null;
  const outI = h.outInv;
  const proto = h.proto;
  const protoInv = h.protoInv;
  const frag = h.frag;
  return (skb, env) => {
    const p = skb.pkt;
    if (hasSrc && ((p.src & sM) >>> 0 === sA) === sI) return false;
    if (hasDst && ((p.dst & dM) >>> 0 === dA) === dI) return false;
    if (inM !== null && inM(skb.inIf) === inI) return false;
    if (outM !== null && outM(skb.outIf) === outI) return false;
    if (proto !== 0 && (p.proto === proto) === protoInv) return false;
    if (frag === 1 && p.fragOffset === 0) return false;
    if (frag === 2 && p.fragOffset !== 0) return false;
    return next === null || next(skb, env);
  };
}

/** The base match (`-s -d -i -o -p -f`) followed by `next`, as one closure; null when the rule has neither. */
function headerTest(h: RuleHeader, next: MatchFn | null): MatchFn | null {
  // `! -p all` matches nothing.
  if (h.proto === 0 && h.protoInv) return NEVER;
  if (h.inIf !== null || h.outIf !== null || h.frag !== 0) return fullHeaderTest(h, next);
  // The common kube-proxy shapes: nothing, `-s A`, `-p P`, `-d A`, `-d A -p P`.
  if (h.src !== null) return h.dst === null && h.proto === 0 ? srcTest(h.src.addr, h.src.mask, h.srcInv, next) : fullHeaderTest(h, next);
  if (h.dst === null) return h.proto === 0 ? next : protoTest(h.proto, h.protoInv, next);
  if (h.proto === 0) return dstTest(h.dst.addr, h.dst.mask, h.dstInv, next);
  return dstProtoTest(h.dst.addr, h.dst.mask, h.dstInv, h.proto, h.protoInv, next);
}

function and2(a: MatchFn, b: MatchFn): MatchFn {
  return (s, e) => a(s, e) && b(s, e);
}

function andAll(tests: MatchFn[]): MatchFn {
  return (s, e) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i](s, e)) return false;
    return true;
  };
}

/** The extension matches' tests in order (comments, which never fail, left out), as one function or null. */
function matchesTest(matches: readonly MatchInstance[]): MatchFn | null {
  let first: MatchFn | null = null;
  let second: MatchFn | null = null;
  let rest: MatchFn[] | null = null;
  for (const m of matches) {
    const t = m.test;
    if (t === ALWAYS) continue;
    if (first === null) first = t;
    else if (second === null) second = t;
    else (rest ??= [first, second]).push(t);
  }
  if (rest !== null) return andAll(rest);
  if (second !== null) return and2(first!, second);
  return first;
}

export function compileRule(h: RuleHeader, matches: readonly MatchInstance[]): MatchFn {
  return headerTest(h, matchesTest(matches)) ?? ALWAYS;
}
