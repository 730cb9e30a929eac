/** Port-range parsing and printing shared by tcp, udp and sctp. */
import { parsePortRange, savePortRange } from '../addr.js';
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
    const range = parsePortRange(u.args[0], proto);
    if (range === null) return `invalid port/service \`${u.args[0]}' specified`;
    // udp's parser alone lets a reversed range through (it then matches nothing).
    if (range[0] > range[1] && proto !== 'udp') return 'invalid portrange (min > max)';
    if (key === 'sport' ? seenS : seenD) return `Only one \`--${LONG[key]}' allowed`;
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

export function savePorts(sport: PortSel | null, dport: PortSel | null): string {
  let s = '';
  if (sport) s += `${sport.invert ? ' !' : ''} --sport ${savePortRange(sport.range)}`;
  if (dport) s += `${dport.invert ? ' !' : ''} --dport ${savePortRange(dport.range)}`;
  return s;
}

/** `iptables -L` form: `spt:22`, `dpts:1:1024`, `dpt:!80`. */
export function listPorts(sport: PortSel | null, dport: PortSel | null): string {
  const one = (label: string, p: PortSel) => {
    const [lo, hi] = p.range;
    const neg = p.invert ? '!' : '';
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

/** Error text iptables prints when a protocol match is used without its `-p`. */
export function requiresProto(name: string, want: number, proto: number, inverted: boolean): string | null {
  return proto === want && !inverted ? null : `${name.toUpperCase()} match requires '-p ${name}'`;
}
