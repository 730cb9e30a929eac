/**
 * Every sysctl an exported namespace gets, defaults included. A new namespace
 * copies ip_forward, rp_filter and friends from the host's root namespace, so
 * leaving a default unset would make the lab depend on the machine it runs on.
 * The defaults are a freshly booted kernel's, which is what nflab models.
 */
import type { NodeSpec } from '../topology/model.js';

const CONF_KEYS = ['rp_filter', 'route_localnet', 'accept_local'];
const CONF_DEFAULT = '0';

/** `[name, value]` in the order they must be written: `default` and `all` before interfaces, ip_forward before per-interface forwarding. */
export function nodeSysctls(n: NodeSpec): Array<[string, string]> {
  const list: Array<[string, string]> = [];
  const confFor = (scope: string) => CONF_KEYS.forEach((k) => list.push([`net.ipv4.conf.${scope}.${k}`, CONF_DEFAULT]));
  confFor('default');
  confFor('all');
  list.push(['net.ipv4.ip_forward', '0']);
  confFor('lo');
  for (const i of n.interfaces) if (i.name !== 'lo') confFor(i.name);
  list.push(['net.bridge.bridge-nf-call-iptables', '1']);
  list.push(['net.ipv4.ip_unprivileged_port_start', String(unprivilegedPortStart(n))]);
  // nflab does not model icmp_send's rate limits (per peer, and icmp_msgs_per_sec); an empty ratemask
  // skips both. icmp_ratelimit=0 would not do: it still empties the per-source bucket ip_error shares.
  list.push(['net.ipv4.icmp_ratemask', '0']);

  const index = new Map(list.map(([k], i) => [k, i]));
  const extra: Array<[string, string]> = [];
  for (const [k, { value }] of n.sysctl) {
    const at = index.get(k);
    if (at !== undefined) list[at] = [k, value];
    else extra.push([k, value]);
  }
  // Extras (per-interface forwarding, conntrack timeouts, ...) go last, after ip_forward has reset forwarding everywhere.
  return [...list, ...extra];
}

/**
 * nflab lets a listener of any uid bind any port; the kernel refuses ports below
 * ip_unprivileged_port_start to non-root, so lower it in just that namespace.
 */
function unprivilegedPortStart(n: NodeSpec): number {
  let start = 1024;
  for (const l of n.listen) if (l.uid !== 0 && l.port < start) start = l.port;
  return start;
}

/** Slash form, so interface names with dots (`eth0.100`) survive `sysctl -w`. */
export function toSysctlPath(key: string): string {
  const p = key.split('.');
  if (p.length > 5 && p[0] === 'net' && (p[1] === 'ipv4' || p[1] === 'ipv6') && p[2] === 'conf') {
    return [...p.slice(0, 3), p.slice(3, -1).join('.'), p[p.length - 1]].join('/');
  }
  return p.join('/');
}
