/** Splits an iptables-restore rule line into arguments as iptables-restore does: whitespace, with "..." or '...' quoting and \-escapes inside quotes. */
export function tokenize(line: string): string[] | string {
  const out: string[] = [];
  let cur = '';
  let inTok = false;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\' && i + 1 < line.length) {
        cur += line[++i];
      } else if (c === quote) quote = null;
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inTok = true;
    } else if (c === ' ' || c === '\t') {
      if (inTok) out.push(cur);
      cur = '';
      inTok = false;
    } else {
      cur += c;
      inTok = true;
    }
  }
  if (quote) return 'unterminated quoted string';
  if (inTok) out.push(cur);
  return out;
}
