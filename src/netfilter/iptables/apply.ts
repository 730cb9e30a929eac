/** Applies one parsed rule or chain command to a table transaction, with iptables' error answers. */
import type { TableTxn, OpError } from '../txn.js';
import type { ParsedCommand } from './parse.js';
import { checkChainName } from './parse.js';
import { ruleMatchText, ruleTargetText } from './save.js';
import type { Rule } from '../rule.js';

// The saved text is cached on the rule: `-D` by rule text in a long chain would otherwise print every rule each time.
const specOf = (r: Rule) => (r.specCache ??= ruleMatchText(r) + ruleTargetText(r));
const noChain: OpError = { kind: 'op', message: 'No chain/target/match by that name' };
const badRule: OpError = { kind: 'op', message: 'Bad rule (does a matching rule exist in that chain?)' };

export function applyCommand(txn: TableTxn, cmd: ParsedCommand): { error?: OpError } {
  const chain = cmd.chain;
  const err = (e: OpError | null) => (e ? { error: e } : {});
  switch (cmd.op) {
    case 'A':
      return err(txn.addRule(chain!, cmd.rule!, 'end', 'RULE_APPEND'));
    case 'I': {
      const c = txn.chain(chain!);
      if (!c) return { error: noChain };
      const idx = (cmd.num ?? 1) - 1;
      if (idx < 0 || idx > c.rules.length) return { error: { kind: 'op', message: 'Index of insertion too big' } };
      return err(txn.addRule(chain!, cmd.rule!, idx, 'RULE_INSERT'));
    }
    case 'R': {
      const c = txn.chain(chain!);
      if (!c) return { error: noChain };
      const idx = (cmd.num ?? 0) - 1;
      if (idx < 0 || idx >= c.rules.length) return { error: { kind: 'op', message: 'Index of replacement too big' } };
      return err(txn.addRule(chain!, cmd.rule!, idx, 'RULE_REPLACE'));
    }
    case 'D': {
      if (!txn.chain(chain!)) return { error: noChain };
      if (cmd.num !== null) return err(txn.deleteRuleAt(chain!, cmd.num - 1));
      const idx = txn.findRule(chain!, specOf(cmd.rule!), specOf);
      return idx < 0 ? { error: badRule } : err(txn.deleteRuleAt(chain!, idx));
    }
    case 'C': {
      if (!txn.chain(chain!)) return { error: noChain };
      return txn.findRule(chain!, specOf(cmd.rule!), specOf) < 0 ? { error: badRule } : {};
    }
    case 'N': {
      const bad = checkChainName(chain!);
      if (bad) return { error: { kind: 'parse', message: bad } };
      return err(txn.newChain(chain!));
    }
    case 'X':
      return err(chain === null ? txn.deleteAllUserChains() : txn.deleteChain(chain));
    case 'F':
      return err(txn.flush(chain));
    case 'Z':
      return err(txn.zero(chain, cmd.num));
    case 'P':
      return err(txn.setPolicy(chain!, cmd.arg!, null));
    case 'E': {
      const bad = checkChainName(cmd.arg!);
      if (bad) return { error: { kind: 'parse', message: bad } };
      return err(txn.rename(chain!, cmd.arg!));
    }
    default:
      return {};
  }
}
