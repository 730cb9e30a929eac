/**
 * The nat hook as the pipeline calls it (nf_nat_ipv4_fn / nf_nat_inet_fn):
 * a new connection walks the nat chain once per manipulation; if no rule bound
 * it, it gets the identity binding; then the packet is rewritten.
 */
import type { Rng } from '../../core/rng.js';
import { PROTO_ICMP } from '../../packet/packet.js';
import { CtEntry } from '../conntrack/entry.js';
import type { Conntrack } from '../conntrack/table.js';
import { isIcmpError } from '../conntrack/tuple.js';
import type { Hook, Skb, Verdict } from '../types.js';
import { hookManip, natInitialized, natNullBinding } from './core.js';
import { natApply } from './manip.js';

/**
 * Call at the nat priority of PREROUTING, OUTPUT, INPUT and POSTROUTING, in a
 * namespace that has a nat table. `runRules` walks the nat chain for this hook
 * (its NAT targets call natSetup and friends) and returns the chain's verdict.
 */
export function natHook(ct: Conntrack, skb: Skb, hook: Hook, rng: Rng, runRules: () => Verdict): Verdict {
  const e = skb.ct;
  if (!(e instanceof CtEntry)) return 'ACCEPT';
  const p = skb.pkt;
  if (skb.ctState === 'RELATED' && p.proto === PROTO_ICMP && p.icmp && isIcmpError(p.icmp.type)) {
    return natApply(skb, hook) ? 'ACCEPT' : 'DROP';
  }
  const manip = hookManip(hook);
  if (skb.ctState === 'NEW' || skb.ctState === 'RELATED') {
    if (!natInitialized(e, manip)) {
      const v = runRules();
      if (v !== 'ACCEPT') return v;
      if (!natInitialized(e, manip)) {
        const nv = natNullBinding(ct, e, manip, rng);
        if (nv !== 'ACCEPT') return nv;
      }
    } else if (oifChanged(e, hook, skb)) {
      ct.destroy(e);
      return 'DROP';
    }
  } else if (oifChanged(e, hook, skb)) {
    ct.destroy(e);
    return 'DROP';
  }
  return natApply(skb, hook) ? 'ACCEPT' : 'DROP';
}

/** A masqueraded flow whose packets now leave by another interface is dead (its source address may be wrong). */
function oifChanged(e: CtEntry, hook: Hook, skb: Skb): boolean {
  return e.masqIf !== null && hook === 'POSTROUTING' && !skb.ctReply && skb.outIf !== null && skb.outIf !== e.masqIf;
}
