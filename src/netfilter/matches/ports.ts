/** Port-range parsing and printing shared by tcp, udp and sctp. */
import { parsePortRange, savePortRange } from '../addr.js';
import { SERVICES } from '../services.js';

const SCTP_SERVICES = new Map(SERVICES.filter(([, , p]) => p === 'sctp').map(([n, port]) => [n, port]));

/**
 * One side of a range the way each parser reads it: udp's (xtables' x6 parser) wraps numbers to
 * 16 bits and names its failure differently; sctp looks names up for sctp only.
 */
function portRange(text: string, proto: string, key: 'sport' | 'dport'): [number, number] | string {
  // udp and dccp use libxtables' x6 parser.
  const x6 = proto === 'udp' || proto === 'dccp';
  if (x6 && text.split(':').length > 2) return `${proto}: Too many components for option "--${LONG[key]}" (max: 2)\n`;
  const bad = (p: string) => (x6 ? `Port "${p}" does not resolve to anything.\n` : `invalid port/service \`${p}' specified`);
  if (x6) text = text.replace(/\d+/g, (d) => (d.length > 10 ? d : String(Number(d) % 65536)));
  if (proto === 'sctp') {
    const sides = text.split(':');
    for (const s of sides) if (s !== '' && !/^\d+$/.test(s) && !SCTP_SERVICES.has(s)) return bad(s);
    text = sides.map((s) => (SCTP_SERVICES.has(s) ? String(SCTP_SERVICES.get(s)) : s)).join(':');
  }
  const r = parsePortRange(text, proto);
  if (r !== null) return r;
  const colon = text.indexOf(':');
  const first = colon < 0 ? text : text.slice(0, colon);
  return bad(colon >= 0 && parsePortRange(first, proto) !== null ? text.slice(colon + 1) : first);
}
import type { OptionUse } from '../ext.js';

export interface PortSel {
  range: [number, number];
  invert: boolean;
}

/** The long names iptables' errors use for each port option. */
const LONG: Record<string, string> = { sport: 'source-port', dport: 'destination-port' };

/**
 * How iptables-nft stores a tcp/udp port range as nft payload comparisons, seen through what it
 * prints back: the full range is no test at all, and an inverted range from 0 becomes the positive
 * range above it. `full` tells that an inverted full range was dropped (the match then vanishes).
 */
function nativeRange(sel: PortSel): { sel: PortSel | null; full: boolean } {
  const [lo, hi] = sel.range;
  if (lo === 0 && hi === 65535) return { sel: null, full: sel.invert };
  if (sel.invert && lo === 0 && hi > 0 && hi < 65535) return { sel: { range: [hi + 1, 65535], invert: false }, full: false };
  return { sel, full: false };
}

const onlyOnce = (proto: string, key: string) =>
  proto === 'udp' || proto === 'dccp' ? `${proto}: option "--${LONG[key]}" can only be used once.\n` : `Only one \`--${LONG[key]}' allowed`;

const portKey = (name: string) => (name === 'source-port' ? 'sport' : name === 'destination-port' ? 'dport' : name);

/** One port option as its parser reads it, before the others: given once, the value, and a reversed range. */
export function checkPortUse(u: OptionUse, proto: string, prior: readonly OptionUse[] = []): string | null {
  const key = portKey(u.name);
  if (key !== 'sport' && key !== 'dport') return null;
  if (prior.some((p) => portKey(p.name) === key)) return onlyOnce(proto, key);
  const range = portRange(u.args[0], proto, key);
  if (typeof range === 'string') return range;
  return range[0] > range[1] && proto !== 'udp' && proto !== 'dccp' ? 'invalid portrange (min > max)' : null;
}

export interface Ports {
  sport: PortSel | null;
  dport: PortSel | null;
  /** An inverted full range was given and dropped. */
  droppedFull: boolean;
}

/**
 * Reads `--sport`/`--dport` (and their long spellings) into selectors; returns an error string on bad input.
 * tcp and udp are native to iptables-nft (`native`): their ranges are stored as nativeRange says.
 */
export function readPorts(uses: OptionUse[], proto: string, native = false): Ports | string {
  let sport: PortSel | null = null;
  let dport: PortSel | null = null;
  let seenS = false;
  let seenD = false;
  let droppedFull = false;
  for (const u of uses) {
    const key = u.name === 'source-port' ? 'sport' : u.name === 'destination-port' ? 'dport' : u.name;
    if (key !== 'sport' && key !== 'dport') continue;
    const range = portRange(u.args[0], proto, key);
    if (typeof range === 'string') return range;
    // udp's and dccp's parser lets a reversed range through (it then matches nothing).
    if (range[0] > range[1] && proto !== 'udp' && proto !== 'dccp') return 'invalid portrange (min > max)';
    if (key === 'sport' ? seenS : seenD) return onlyOnce(proto, key);
    if (key === 'sport') seenS = true;
    else seenD = true;
    let sel: PortSel | null = { range, invert: u.invert };
    if (native) {
      const n = nativeRange(sel);
      sel = n.sel;
      droppedFull ||= n.full;
    }
    if (key === 'sport') sport = sel;
    else dport = sel;
  }
  return { sport, dport, droppedFull };
}

/**
 * What iptables-nft prints for one port option of several tcp/udp matches merged into one (see
 * mergeNative in the parser). It reads each stored compare back into the same two ends and invert
 * flag, each compare setting only some of them (measured on iptables 1.8.9, tcp and udp, both
 * ports alike): `==`, `!=` and a range set all three; `>= a` (`a:65535`) sets both ends and `< a`
 * (`! a:65535`) both ends and the inversion; `<= b` (`0:b`) sets only the upper end and `> b`
 * (`! 0:b`) only the lower one, to b+1. A full range stores nothing. The result can be reversed
 * (`--dport 7 -m udp ! --dport 0:100` prints `--dport 101:7`).
 */
export function mergedPortSel(uses: readonly OptionUse[], proto: string, key: 'sport' | 'dport'): PortSel | null {
  let lo = 0;
  let hi = 65535;
  let invert = false;
  let stored = false;
  for (const u of uses) {
    if (portKey(u.name) !== key) continue;
    const r = portRange(u.args[0], proto, key);
    if (typeof r === 'string') continue;
    const [a, b] = r;
    if (a === 0 && b === 65535) continue;
    stored = true;
    if (a === b || (a > 0 && b < 65535)) {
      [lo, hi] = r;
      invert = u.invert;
    } else if (a > 0) {
      [lo, hi] = r;
      invert ||= u.invert;
    } else if (u.invert) lo = b + 1;
    else hi = b;
  }
  return stored ? { range: [lo, hi], invert } : null;
}

/** Whether iptables-nft stores a tcp/udp match's options as native compares: not when they are only full port ranges. */
export function storesNative(uses: readonly OptionUse[], proto: string): boolean {
  if (!uses.every((u) => portKey(u.name) === 'sport' || portKey(u.name) === 'dport')) return true;
  return mergedPortSel(uses, proto, 'sport') !== null || mergedPortSel(uses, proto, 'dport') !== null;
}

export function savePorts(sport: PortSel | null, dport: PortSel | null): string {
  let s = '';
  if (sport) s += `${sport.invert ? ' !' : ''} --sport ${savePortRange(sport.range)}`;
  if (dport) s += `${dport.invert ? ' !' : ''} --dport ${savePortRange(dport.range)}`;
  return s;
}

/** `iptables -L` form: `spt:22`, `dpts:1:1024`, `dpt:!80`; `omitFull` leaves out 0:65535 not inverted (sctp's printer). */
export function listPorts(sport: PortSel | null, dport: PortSel | null, omitFull = false): string {
  const one = (label: string, p: PortSel) => {
    const [lo, hi] = p.range;
    const neg = p.invert ? '!' : '';
    if (omitFull && lo === 0 && hi === 65535 && !p.invert) return '';
    return lo === hi ? ` ${label}:${neg}${lo}` : ` ${label}s:${neg}${lo}:${hi}`;
  };
  let s = '';
  if (sport) s += one('spt', sport);
  if (dport) s += one('dpt', dport);
  return s;
}

/** The one port a selection requires, when it is a single port and not inverted. */
export function exactPort(sel: PortSel | null): number | undefined {
  return sel && !sel.invert && sel.range[0] === sel.range[1] ? sel.range[0] : undefined;
}

/**
 * Whether a header's ports pass both selectors, as one function of (sport, dport): tcp and udp
 * matches sit on tens of thousands of kube-proxy rules, most with no port or one `--dport`.
 */
export function portsTest(sport: PortSel | null, dport: PortSel | null): ((s: number, d: number) => boolean) | null {
  if (sport === null && dport === null) return null;
  if (sport === null) return dportRange(dport!.range[0], dport!.range[1], dport!.invert);
  return bothPorts(portTest(sport), portTest(dport));
}

function dportRange(lo: number, hi: number, inv: boolean): (s: number, d: number) => boolean {
  return (_s, d) => (d >= lo && d <= hi) !== inv;
}

function bothPorts(sp: (p: number) => boolean, dp: (p: number) => boolean): (s: number, d: number) => boolean {
  return (s, d) => sp(s) && dp(d);
}

export function portTest(sel: PortSel | null): (port: number) => boolean {
  if (sel === null) return () => true;
  const [lo, hi] = sel.range;
  const inv = sel.invert;
  return (p) => (p >= lo && p <= hi) !== inv;
}

export const PORT_OPTIONS = {
  sport: { args: 1, invert: true },
  'source-port': { args: 1, invert: true },
  dport: { args: 1, invert: true },
  'destination-port': { args: 1, invert: true },
} as const;

/**
 * What a protocol match without its `-p` gets. tcp and udp are turned into nf_tables expressions
 * by iptables-nft, which looks at the number after `-p` only (`! -p tcp` passes) and complains
 * late; without options they stay xt matches. xt matches (icmp, sctp) go to the kernel, which
 * refuses them unless `-p` names their protocol, not inverted.
 */
export function protoCheck(
  name: string,
  want: number,
  proto: number,
  inverted: boolean,
  native: boolean,
  hasOptions: boolean,
): { lateError?: string; kernelError?: string } {
  if (native && hasOptions) return proto === want ? {} : { lateError: `${name.toUpperCase()} match requires '-p ${name}'` };
  return proto === want && !inverted ? {} : { kernelError: 'Invalid argument' };
}
