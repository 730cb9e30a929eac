import { quoteArg, type MatchDef } from '../ext.js';

export const commentMatch: MatchDef = {
  name: 'comment',
  options: { comment: { args: 1 } },
  build(uses) {
    const u = uses[uses.length - 1];
    if (!u) return 'COMMENT match: You must specify `--comment\'';
    const text = u.args[0];
    if (text.length > 255) return 'comment may not exceed 255 characters';
    const saved = ` --comment ${quoteArg(text)}`;
    return { name: 'comment', save: () => saved, list: () => `/* ${text} */`, test: () => true };
  },
};
