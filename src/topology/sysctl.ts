/**
 * The sysctls a topology may set: the ones nflab's packet path reads. Values are
 * checked against what the knob means rather than what the kernel stores (it
 * takes `ip_forward = 2` silently); see docs/topology.md.
 */

type Check = (n: number) => string | null;

const bool: Check = (n) => (n === 0 || n === 1 ? null : 'expected 0 or 1');
const range =
  (lo: number, hi: number, why = ''): Check =>
  (n) =>
    n >= lo && n <= hi ? null : `expected an integer from ${lo} to ${hi}${why}`;
const seconds = range(0, 2_147_483, ' (seconds)');

const GLOBAL = new Map<string, Check>([
  ['net.ipv4.ip_forward', bool],
  // The kernel refuses a start above the local port range's low end (32768 by default).
  ['net.ipv4.ip_unprivileged_port_start', range(0, 32768, ', at most the low end of ip_local_port_range')],
  ['net.bridge.bridge-nf-call-iptables', bool],
  ['net.netfilter.nf_conntrack_tcp_loose', bool],
  ['net.netfilter.nf_conntrack_tcp_be_liberal', bool],
  ['net.netfilter.nf_conntrack_tcp_ignore_invalid_rst', bool],
  ['net.netfilter.nf_conntrack_tcp_max_retrans', range(0, 255)],
]);
for (const t of [
  'syn_sent',
  'syn_recv',
  'established',
  'fin_wait',
  'close_wait',
  'last_ack',
  'time_wait',
  'close',
  'max_retrans',
  'unacknowledged',
]) {
  GLOBAL.set(`net.netfilter.nf_conntrack_tcp_timeout_${t}`, seconds);
}
for (const t of ['udp_timeout', 'udp_timeout_stream', 'icmp_timeout', 'generic_timeout'])
  GLOBAL.set(`net.netfilter.nf_conntrack_${t}`, seconds);

const CONF = new Map<string, Check>([
  ['rp_filter', range(0, 2)],
  ['route_localnet', bool],
  ['forwarding', bool],
  ['accept_local', bool],
]);

/** For messages: the known names in families. */
export const SYSCTL_SUMMARY =
  'net.ipv4.ip_forward, net.ipv4.ip_unprivileged_port_start, net.ipv4.conf.<all|default|IF>.{rp_filter,route_localnet,forwarding,accept_local}, ' +
  'net.bridge.bridge-nf-call-iptables, net.netfilter.nf_conntrack_{tcp_timeout_<state>,udp_timeout,udp_timeout_stream,icmp_timeout,generic_timeout,tcp_loose,tcp_be_liberal,tcp_ignore_invalid_rst,tcp_max_retrans}';

export const KNOWN_SYSCTLS: readonly string[] = [...GLOBAL.keys(), ...[...CONF.keys()].map((k) => `net.ipv4.conf.<all|default|IF>.${k}`)];

export interface SysctlName {
  /** Dotted form, as the lab stores it (`net.ipv4.conf.eth0.rp_filter`). */
  name: string;
  /** The interface a per-interface knob names (not `all` or `default`), to check it exists. */
  iface: string | null;
  check: Check;
}

/**
 * Resolves a name written with dots or slashes. In the slash form the interface
 * part may itself contain dots (`net/ipv4/conf/eth0.100/rp_filter`), which is
 * why `sysctl` accepts it; in the dot form the interface is everything between
 * `conf.` and the last dot.
 */
export function resolveSysctl(written: string): SysctlName | null {
  const slash = written.includes('/');
  const parts = written.split(slash ? '/' : '.');
  if (parts.length >= 5 && parts[0] === 'net' && parts[1] === 'ipv4' && parts[2] === 'conf') {
    const knob = parts[parts.length - 1];
    const iface = parts.slice(3, -1).join('.');
    const check = CONF.get(knob);
    if (!check || iface.length === 0) return null;
    return { name: `net.ipv4.conf.${iface}.${knob}`, iface: iface === 'all' || iface === 'default' ? null : iface, check };
  }
  const name = parts.join('.');
  const check = GLOBAL.get(name);
  return check ? { name, iface: null, check } : null;
}

/** The value as the lab stores it, or the message saying what was expected. */
export function sysctlValue(s: SysctlName, v: unknown): { value: string } | { message: string } {
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n))
    return { message: `${s.name}: ${s.check(-1) ?? 'expected an integer'}, not ${JSON.stringify(v ?? null)}` };
  const why = s.check(n);
  return why ? { message: `${s.name} = ${n}: ${why}` } : { value: String(n) };
}
