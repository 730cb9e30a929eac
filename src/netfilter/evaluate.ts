/**
 * The chain walk: a built-in chain's rules in order, with jumps, gotos and
 * returns, counters, and the policy. Trace steps are built only when a sink is
 * given, so the untraced path does no string work.
 */
import { packetLength } from '../packet/packet.js';
import type { Hook, NfEnv, Skb, StepSink, TableName, Verdict } from './types.js';
import type { Chain, Rule, Ruleset } from './rule.js';
import { ruleText } from './iptables/save.js';
import { chainIndex, nextCandidate } from './chain-index.js';

/** The kernel's nf_tables jump stack depth; deeper nesting is refused at load and treated as DROP here. */
export const MAX_JUMP_DEPTH = 16;

interface Frame {
  chain: Chain;
  next: number;
}

/**
 * Runs `table`'s built-in chain for `hook`. Returns ACCEPT when the table or chain
 * does not exist (as an absent nftables base chain lets everything through).
 */
export function runTable(rs: Ruleset, table: TableName, hook: Hook, skb: Skb, env: NfEnv, onStep: StepSink | null): Verdict {
  const t = rs.table(table);
  const base = t?.chains.get(hook);
  if (!base || !base.registered) return 'ACCEPT';
  const len = packetLength(skb.pkt);
  const stack: Frame[] = [];
  let chain = base;
  let i = 0;
  for (;;) {
    const rules = chain.rules;
    const ix = chainIndex(chain);
    let jumped = false;
    for (; i < rules.length; i++) {
      if (ix) {
        i = nextCandidate(ix, i, skb);
        if (i >= rules.length) break;
      }
      const r = rules[i];
      if (!r.test(skb, env)) continue;
      r.pkts++;
      r.bytes += len;
      const tg = r.target;
      switch (tg.kind) {
        case 'none':
          if (onStep) step(onStep, table, chain, i, r, 'CONTINUE');
          continue;
        case 'verdict':
          if (tg.verdict === 'RETURN') {
            if (onStep) step(onStep, table, chain, i, r, 'RETURN');
            break;
          }
          if (onStep) step(onStep, table, chain, i, r, tg.verdict);
          return tg.verdict;
        case 'jump':
        case 'goto': {
          if (onStep) step(onStep, table, chain, i, r, `${tg.kind === 'jump' ? 'JUMP' : 'GOTO'}:${tg.chainName}`);
          if (!tg.chain) continue;
          if (stack.length >= MAX_JUMP_DEPTH) return 'DROP';
          if (tg.kind === 'jump') stack.push({ chain, next: i + 1 });
          chain = tg.chain;
          i = 0;
          jumped = true;
          break;
        }
        case 'ext': {
          const v = tg.ext.run(skb, env);
          if (v === 'CONTINUE') {
            if (onStep) step(onStep, table, chain, i, r, 'CONTINUE', tg.ext.name);
            continue;
          }
          if (onStep) step(onStep, table, chain, i, r, v, tg.ext.name);
          return v;
        }
      }
      break;
    }
    if (jumped) continue;
    // End of chain, or RETURN: back to the caller, or the policy of the built-in chain.
    const frame = stack.pop();
    if (frame) {
      // Falling off a user chain prints nothing in the kernel's trace; neither does nflab.
      chain = frame.chain;
      i = frame.next;
      continue;
    }
    if (base.policyCounted) {
      base.pkts++;
      base.bytes += len;
    }
    if (onStep) onStep({ table, chain: base.name, rule: null, verdict: base.policy, policy: true });
    return base.policy;
  }
}

function step(sink: StepSink, table: TableName, chain: Chain, i: number, r: Rule, verdict: string, target?: string): void {
  sink({
    table,
    chain: chain.name,
    rule: i + 1,
    verdict,
    ...(target && target !== verdict ? { target } : {}),
    ruleText: ruleText(chain.name, r),
  });
}
