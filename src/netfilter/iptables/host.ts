/**
 * `-s`/`-d` arguments as iptables reads them: its own numeric form first (up to four dotted parts,
 * each decimal, octal or hex up to 255, missing parts zero on the right: `10.1` is 10.1.0.0), then
 * the resolver's (inet_aton: `0x0a000001`, and the host name `localhost`).
 */
import { prefixMask } from '../../packet/ipv4.js';
import { parseInetAton, type AddrMask } from '../addr.js';

/** strtoul(text, 0) bounded by `max`, as xtables_strtoui; null for anything else. */
function strtoui(text: string, max: number): number | null {
  let v: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) v = parseInt(text.slice(2), 16);
  else if (/^0[0-7]*$/.test(text)) v = parseInt(text, 8);
  else if (/^[1-9]\d*$/.test(text)) v = Number(text);
  else return null;
  return v <= max ? v : null;
}

/** xtables' numeric address; a mask must have all four parts. */
function numericAddr(text: string, isMask: boolean): number | null {
  const parts = text.split('.');
  if (parts.length > 4 || (isMask && parts.length !== 4)) return null;
  let n = 0;
  for (let i = 0; i < 4; i++) {
    const p = i < parts.length ? strtoui(parts[i], 255) : 0;
    if (p === null) return null;
    n = n * 256 + p;
  }
  return n >>> 0;
}

function hostAddr(text: string): number | null {
  const numeric = numericAddr(text, false);
  if (numeric !== null) return numeric;
  if (text === 'localhost') return 0x7f000001;
  return /^[0-9a-fA-FxX.]+$/.test(text) ? parseInetAton(text) : null;
}

/** `ADDR[/LEN|/MASK]`, host bits cleared as the kernel stores them, or iptables' error text. */
export function parseHostMask(text: string): AddrMask | string {
  const slash = text.indexOf('/');
  let mask = 0xffffffff;
  if (slash >= 0) {
    const m = text.slice(slash + 1);
    const len = strtoui(m, 32);
    if (len !== null) mask = prefixMask(len);
    else {
      const dotted = numericAddr(m, true);
      if (dotted === null) return `invalid mask \`${m}' specified`;
      mask = dotted;
    }
  }
  const host = slash < 0 ? text : text.slice(0, slash);
  const addr = hostAddr(host);
  if (addr === null) return `host/network \`${host}' not found`;
  return { addr: (addr & mask) >>> 0, mask: mask >>> 0 };
}
