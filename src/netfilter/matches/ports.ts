/** Port-range parsing and printing shared by tcp, udp and sctp. */
import { parsePortRange, savePortRange } from '../addr.js';
import type { OptionUse } from '../ext.js';

export interface PortSel {
  range: [number, number];
  invert: boolean;
}

/** The long names iptables' errors use for each port option. */
const LONG: Record<string, string> = { sport: 'source-port', dport: 'destination-port' };

/** Reads `--sport`/`--dport` (and their long spellings) into selectors; returns an error string on bad input. */
export function readPorts(uses: OptionUse[], proto: string): { sport: PortSel | null; dport: PortSel | null } | string {
  let sport: PortSel | null = null;
  let dport: PortSel | null = null;
  for (const u of uses) {
    const key = u.name === 'source-port' ? 'sport' : u.name === 'destination-port' ? 'dport' : u.name;
    if (key !== 'sport' && key !== 'dport') continue;
    const range = parsePortRange(u.args[0], proto);
    if (range === null) return `invalid port/service \`${u.args[0]}' specified`;
    if ((key === 'sport' ? sport : dport) !== null) return `Only one \`--${LONG[key]}' allowed`;
    const sel = { range, invert: u.invert };
    if (key === 'sport') sport = sel;
    else dport = sel;
  }
  return { sport, dport };
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
