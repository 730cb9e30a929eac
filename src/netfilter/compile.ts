/** Folds a rule's base match and extension matches into one closure, built once at load time. */
import { ifaceMatcher } from './addr.js';
import { ALWAYS, type MatchFn, type MatchInstance } from './ext.js';
import type { RuleHeader } from './rule.js';

const NEVER: MatchFn = () => false;

/**
 * The base match (`-s -d -i -o -p -f`) as one closure, or null when the rule has none.
 * One closure instead of one per field: a loaded kube-proxy table holds 83,000 of these,
 * and a branch on a constant flag costs less per packet than another indirect call.
 */
function headerTest(h: RuleHeader): MatchFn | null {
  // `! -p all` matches nothing.
  if (h.proto === 0 && h.protoInv) return NEVER;
  const hasSrc = h.src !== null;
  const hasDst = h.dst !== null;
  const hasIn = h.inIf !== null;
  const hasOut = h.outIf !== null;
  const proto = h.proto;
  const frag = h.frag;
  if (!hasSrc && !hasDst && !hasIn && !hasOut && proto === 0 && frag === 0) return null;
  const protoInv = h.protoInv;
  // The common kube-proxy shapes get closures that test only what they need.
  if (!hasSrc && !hasIn && !hasOut && frag === 0) {
    if (!hasDst) return (skb) => (skb.pkt.proto === proto) !== protoInv;
    const { addr: dA, mask: dM } = h.dst!;
    const dI = h.dstInv;
    if (proto === 0) return (skb) => (((skb.pkt.dst & dM) >>> 0) === dA) !== dI;
    return (skb) => {
      const p = skb.pkt;
      return (((p.dst & dM) >>> 0) === dA) !== dI && (p.proto === proto) !== protoInv;
    };
  }
  const sA = h.src?.addr ?? 0;
  const sM = h.src?.mask ?? 0;
  const sI = h.srcInv;
  const dA = h.dst?.addr ?? 0;
  const dM = h.dst?.mask ?? 0;
  const dI = h.dstInv;
  const inM = hasIn ? ifaceMatcher(h.inIf!) : null;
  const inI = h.inInv;
  const outM = hasOut ? ifaceMatcher(h.outIf!) : null;
  const outI = h.outInv;
  return (skb) => {
    const p = skb.pkt;
    if (hasSrc && (((p.src & sM) >>> 0) === sA) === sI) return false;
    if (hasDst && (((p.dst & dM) >>> 0) === dA) === dI) return false;
    if (inM !== null && inM(skb.inIf) === inI) return false;
    if (outM !== null && outM(skb.outIf) === outI) return false;
    if (proto !== 0 && (p.proto === proto) === protoInv) return false;
    if (frag === 1) return p.fragOffset !== 0;
    if (frag === 2) return p.fragOffset === 0;
    return true;
  };
}

export function compileRule(h: RuleHeader, matches: readonly MatchInstance[]): MatchFn {
  const head = headerTest(h);
  let tests: MatchFn[] | null = null;
  let only: MatchFn | null = head;
  let n = head ? 1 : 0;
  for (const m of matches) {
    if (m.test === ALWAYS) continue;
    if (n === 0) only = m.test;
    else (tests ??= [only!]).push(m.test);
    n++;
  }
  if (n === 0) return ALWAYS;
  if (n === 1) return only!;
  if (n === 2) {
    const [a, b] = tests!;
    return (s, e) => a(s, e) && b(s, e);
  }
  const all = tests!;
  return (s, e) => {
    for (let i = 0; i < all.length; i++) if (!all[i](s, e)) return false;
    return true;
  };
}
