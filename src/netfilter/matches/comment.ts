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
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return "COMMENT match: You must specify `--comment'";
    const text = u.args[0];
    if (text.length > 255) return 'comment may not exceed 255 characters';
    return new CommentMatch(text);
  },
};
