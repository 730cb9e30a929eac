/** Text as iproute2 6.1 prints it for `ip route show`, `ip rule show` and `ip route get`. */
import { formatIpv4, type Cidr } from '../packet/ipv4.js';
import { protoName, scopeName, tableName } from './names.js';
import type { RoutingTables } from './route.js';
import { PROTO_BOOT, SCOPE_UNIVERSE, TABLE_MAIN, type LookupKey, type Route, type RouteResult, type Rule } from './types.js';

function prefixText(c: Cidr): string {
  if (c.len === 0) return 'default';
  return c.len === 32 ? formatIpv4(c.network) : `${formatIpv4(c.network)}/${c.len}`;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** One `ip route show` line (with its newline). `withTable`: name non-main tables, as `table all` does. */
export function formatRoute(r: Route, withTable: boolean): string {
  let s = r.type === 'unicast' ? '' : `${r.type} `;
  s += `${prefixText(r.dst)} `;
  if (r.tos) s += `tos ${hex(r.tos)} `;
  if (r.via !== null) s += `via ${formatIpv4(r.via)} `;
  if (r.dev !== null) s += `dev ${r.dev} `;
  if (withTable && r.table !== TABLE_MAIN) s += `table ${tableName(r.table)} `;
  if (r.proto !== PROTO_BOOT) s += `proto ${protoName(r.proto)} `;
  if (r.scope !== SCOPE_UNIVERSE) s += `scope ${scopeName(r.scope)} `;
  if (r.src !== null) s += `src ${formatIpv4(r.src)} `;
  if (r.metric) s += `metric ${r.metric} `;
  if (r.onlink) s += 'onlink ';
  if (r.mtu !== null) s += `mtu ${r.mtu} `;
  return `${s}\n`;
}

/** `ip route show [table T]`; `table` null means all tables. */
export function formatRoutes(rt: RoutingTables, table: number | null): string {
  if (table !== null) return (rt.table(table)?.all() ?? []).map((r) => formatRoute(r, false)).join('');
  // The kernel walks its table hash by bucket (id & 0xff).
  const ids = rt.tableIds().sort((a, b) => (a & 0xff) - (b & 0xff) || a - b);
  return ids
    .map((id) =>
      rt
        .table(id)!
        .all()
        .map((r) => formatRoute(r, true))
        .join(''),
    )
    .join('');
}

function cidrText(c: Cidr | null): string {
  return c === null || c.len === 0 ? 'all' : prefixText(c);
}

/** One `ip rule show` line (with its newline). */
export function formatRule(r: Rule, hasDevice: (name: string) => boolean): string {
  let s = `${r.priority}:\t${r.not ? 'not ' : ''}from ${cidrText(r.from)}`;
  if (r.to !== null && r.to.len > 0) s += ` to ${prefixText(r.to)}`;
  if (r.tos) s += ` tos ${hex(r.tos)}`;
  if (r.fwmark !== null && (r.fwmark !== 0 || (r.fwmask ?? 0xffffffff) !== 0xffffffff)) {
    s += ` fwmark ${hex(r.fwmark)}`;
    if (r.fwmask !== null && r.fwmask !== 0xffffffff) s += `/${hex(r.fwmask)}`;
  }
  if (r.iif !== null) s += ` iif ${r.iif}${hasDevice(r.iif) ? '' : ' [detached]'}`;
  if (r.oif !== null) s += ` oif ${r.oif}${hasDevice(r.oif) ? '' : ' [detached]'}`;
  if (r.action === 'lookup') s += ` lookup ${tableName(r.table ?? TABLE_MAIN)}`;
  if (r.suppressPrefixlength !== null) s += ` suppress_prefixlength ${r.suppressPrefixlength}`;
  if (r.action !== 'lookup') s += ` ${r.action}`;
  return `${s}\n`;
}

export function formatRules(rt: RoutingTables): string {
  return rt
    .rules()
    .map((r) => formatRule(r, (n) => rt.device(n) !== undefined))
    .join('');
}

/** iproute2 prints a mark below 16 in decimal and the rest in hex. */
const markText = (m: number): string => (m < 16 ? String(m) : hex(m));

/** `ip route get` for a successful lookup (an error is printed by the caller as RTNETLINK's errno line). */
export function formatRouteGet(key: LookupKey, res: Exclude<RouteResult, { kind: 'error' }>): string {
  const input = key.iif !== undefined;
  const srcGiven = input || (key.src ?? 0) !== 0;
  let s = res.kind === 'unicast' ? '' : `${res.kind} `;
  s += formatIpv4(key.dst) + ' ';
  if (srcGiven) s += `from ${formatIpv4(key.src ?? 0)} `;
  if (res.kind === 'unicast' && res.via !== null) s += `via ${formatIpv4(res.via)} `;
  const dev = input && res.kind !== 'unicast' ? 'lo' : res.dev;
  s += `dev ${dev} `;
  if (res.table !== null && res.table !== TABLE_MAIN) s += `table ${tableName(res.table)} `;
  if (!srcGiven) s += `src ${formatIpv4(res.src)} `;
  if (key.mark) s += `mark ${markText(key.mark)} `;
  if (!input) s += 'uid 0 ';
  s += '\n    cache ';
  if (res.kind === 'local') s += '<local> ';
  if (res.kind === 'broadcast') s += '<local,brd> ';
  if (res.kind === 'unicast' && res.mtu !== null) s += `mtu ${res.mtu} `;
  if (input) s += `iif ${key.iif} `;
  return `${s}\n`;
}
