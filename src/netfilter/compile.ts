/** Folds a rule's base match and extension matches into one closure, built once at load time. */
import { ifaceMatcher } from './addr.js';
import type { MatchFn, MatchInstance } from './ext.js';
import type { RuleHeader } from './rule.js';

export function compileRule(h: RuleHeader, matches: readonly MatchInstance[]): MatchFn {
  const tests: MatchFn[] = [];
  if (h.src) {
    const { addr, mask } = h.src;
    const inv = h.srcInv;
    tests.push((skb) => (((skb.pkt.src & mask) >>> 0) === addr) !== inv);
  }
  if (h.dst) {
    const { addr, mask } = h.dst;
    const inv = h.dstInv;
    tests.push((skb) => (((skb.pkt.dst & mask) >>> 0) === addr) !== inv);
  }
  if (h.inIf !== null) {
    const m = ifaceMatcher(h.inIf);
    const inv = h.inInv;
    tests.push((skb) => m(skb.inIf) !== inv);
  }
  if (h.outIf !== null) {
    const m = ifaceMatcher(h.outIf);
    const inv = h.outInv;
    tests.push((skb) => m(skb.outIf) !== inv);
  }
  if (h.proto !== 0) {
    const p = h.proto;
    const inv = h.protoInv;
    tests.push((skb) => (skb.pkt.proto === p) !== inv);
  } else if (h.protoInv) {
    // `! -p all` matches nothing.
    tests.push(() => false);
  }
  if (h.frag === 1) tests.push((skb) => skb.pkt.fragOffset !== 0);
  else if (h.frag === 2) tests.push((skb) => skb.pkt.fragOffset === 0);
  for (const m of matches) tests.push(m.test);
  switch (tests.length) {
    case 0:
      return () => true;
    case 1:
      return tests[0];
    case 2: {
      const [a, b] = tests;
      return (s, e) => a(s, e) && b(s, e);
    }
    default:
      return (s, e) => {
        for (let i = 0; i < tests.length; i++) if (!tests[i](s, e)) return false;
        return true;
      };
  }
}
