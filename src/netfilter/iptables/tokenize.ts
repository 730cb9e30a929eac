/**
 * Splits an iptables-restore rule line into arguments as iptables-restore does: whitespace, with "..." or '...' quoting and \-escapes inside quotes.
 * An unquoted token is one slice of the line; a quoted one is stitched from slices between escapes. (Building
 * tokens a character at a time made every long token a deep rope of one-character strings, which an 80,000-rule
 * restore then kept alive and had to flatten for every Map lookup.)
 */
export function tokenize(line: string, into?: string[]): string[] | string {
  // A caller tokenizing many lines may hand in one array to refill, instead of a new one per line.
  const out: string[] = into ?? [];
  out.length = 0;
  const len = line.length;
  let i = 0;
  // Without tabs, an unquoted token ends at the next space, which indexOf finds faster than a
  // loop over characters; a token with a quote before that space goes the general way below.
  if (line.indexOf('\t') < 0) {
    let dq = line.indexOf('"');
    let sq = line.indexOf("'");
    while (i < len) {
      if (line.charCodeAt(i) === 32) {
        i++;
        continue;
      }
      let end = line.indexOf(' ', i);
      if (end < 0) end = len;
      if (dq >= 0 && dq < i) dq = line.indexOf('"', i);
      if (sq >= 0 && sq < i) sq = line.indexOf("'", i);
      if ((dq < 0 || dq >= end) && (sq < 0 || sq >= end)) {
        out.push(line.slice(i, end));
        i = end;
        continue;
      }
      break;
    }
  }
  while (i < len) {
    let c = line.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    // One token: unquoted runs and quoted runs glued together until unquoted whitespace.
    let tok: string | null = null;
    let from = i;
    while (i < len) {
      c = line.charCodeAt(i);
      if (c === 32 || c === 9) break;
      if (c !== 34 && c !== 39) {
        i++;
        continue;
      }
      tok = (tok ?? '') + line.slice(from, i);
      i++;
      from = i;
      let closed = false;
      while (i < len) {
        const q = line.charCodeAt(i);
        if (q === 92 && i + 1 < len) {
          tok += line.slice(from, i) + line[i + 1];
          i += 2;
          from = i;
        } else if (q === c) {
          tok += line.slice(from, i);
          i++;
          from = i;
          closed = true;
          break;
        } else i++;
      }
      if (!closed) return 'unterminated quoted string';
    }
    out.push(tok === null ? line.slice(from, i) : tok + line.slice(from, i));
  }
  return out;
}
