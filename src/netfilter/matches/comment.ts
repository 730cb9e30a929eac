/** xt_comment: a note on the rule; it matches every packet. */
import { ALWAYS, quoteArg, type MatchDef, type MatchInstance } from '../ext.js';

/** A class rather than an object of closures: kube-proxy puts a comment on almost every one of its rules. */
class CommentMatch implements MatchInstance {
  readonly name = 'comment';
  readonly test = ALWAYS;
  constructor(readonly text: string) {}
  save(): string {
    return ` --comment ${quoteArg(this.text)}`;
  }
  list(): string {
    return `/* ${this.text} */`;
  }
}

export const commentMatch: MatchDef = {
  name: 'comment',
  options: { comment: { args: 1 } },
  check: (u, _ctx, prior) => (prior.some((p) => p.name === u.name) ? `comment: option "--${u.name}" can only be used once.\n` : null),
  build(uses) {
    const u = uses[0];
    if (!u) return 'comment: option "--comment" must be specified\n';
    if (uses.length > 1) return 'comment: option "--comment" can only be used once.\n';
    // The kernel keeps 255 characters; iptables cuts a longer comment without a word.
    return new CommentMatch(u.args[0].slice(0, 255));
  },
};
