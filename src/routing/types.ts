/**
 * The routing layer's data model, shaped after the kernel's FIB: routes live in
 * numbered tables, policy rules choose which tables a lookup consults, and a
 * lookup answers with what the packet path needs (device, gateway, source) or
 * with the errno the kernel would give.
 */
import type { Cidr, Ipv4 } from '../packet/ipv4.js';

export type RouteType = 'unicast' | 'local' | 'broadcast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw';
export const ROUTE_TYPES: readonly RouteType[] = ['unicast', 'local', 'broadcast', 'blackhole', 'unreachable', 'prohibit', 'throw'];

export const TABLE_DEFAULT = 253;
export const TABLE_MAIN = 254;
export const TABLE_LOCAL = 255;

export const SCOPE_UNIVERSE = 0;
export const SCOPE_SITE = 200;
export const SCOPE_LINK = 253;
export const SCOPE_HOST = 254;
export const SCOPE_NOWHERE = 255;

export const PROTO_KERNEL = 2;
export const PROTO_BOOT = 3;
export const PROTO_STATIC = 4;

/** A route as written: `null` means "not given" (add fills defaults, del treats it as a wildcard). */
export interface RouteSpec {
  type: RouteType | null;
  dst: Cidr;
  tos: number;
  table: number | null;
  dev: string | null;
  via: Ipv4 | null;
  onlink: boolean;
  src: Ipv4 | null;
  metric: number | null;
  proto: number | null;
  scope: number | null;
  mtu: number | null;
}

/** A route in a table. */
export interface Route {
  type: RouteType;
  /** Network address (host bits clear) and prefix length. */
  dst: Cidr;
  tos: number;
  table: number;
  /** Null only for blackhole/unreachable/prohibit/throw. */
  dev: string | null;
  via: Ipv4 | null;
  onlink: boolean;
  /** The preferred source (`src`), or null. */
  src: Ipv4 | null;
  metric: number;
  proto: number;
  scope: number;
  /** Scope of the nexthop: host for a directly connected route, link for a gateway; source selection uses it. */
  nhScope: number;
  mtu: number | null;
  /** Made by the kernel for an address (so address and link changes may regenerate it). */
  auto: boolean;
}

export type RuleAction = 'lookup' | 'blackhole' | 'unreachable' | 'prohibit' | 'nop';

export interface RuleSpec {
  priority: number | null;
  not: boolean;
  from: Cidr | null;
  to: Cidr | null;
  tos: number;
  fwmark: number | null;
  fwmask: number | null;
  iif: string | null;
  oif: string | null;
  action: RuleAction | null;
  table: number | null;
  suppressPrefixlength: number | null;
}

export interface Rule extends RuleSpec {
  priority: number;
  action: RuleAction;
}

export type Errno = 'EINVAL' | 'EHOSTUNREACH' | 'EACCES' | 'ENETUNREACH' | 'EXDEV' | 'ENODEV' | 'ENETDOWN';

export const ERRNO_TEXT: Record<Errno | 'ESRCH' | 'ENOENT' | 'EEXIST', string> = {
  EINVAL: 'Invalid argument',
  EHOSTUNREACH: 'No route to host',
  EACCES: 'Permission denied',
  ENETUNREACH: 'Network is unreachable',
  EXDEV: 'Invalid cross-device link',
  ENODEV: 'No such device',
  ENETDOWN: 'Network is down',
  ESRCH: 'No such process',
  ENOENT: 'No such file or directory',
  EEXIST: 'File exists',
};

/** What to look up. `iif` set means a received packet (input route); otherwise a locally sent one. */
export interface LookupKey {
  dst: Ipv4;
  /** Source address: for output, the bound address (0 or absent: let routing choose). */
  src?: Ipv4;
  mark?: number;
  iif?: string;
  /** Output device the socket is bound to (SO_BINDTODEVICE, `ip route get ... oif`). */
  oif?: string;
  tos?: number;
  /**
   * FLOWI_FLAG_ANYSRC: `src` need not be local (a reset sent for the address it
   * answers), yet it still selects policy rules (`from A`) like any source.
   */
  anySrc?: boolean;
}

export type RouteResult =
  | {
      kind: 'unicast';
      dev: string;
      via: Ipv4 | null;
      /** The source address a local sender uses (output only; for input the packet's own source). */
      src: Ipv4;
      /** Table the route came from, as `ip route get` reports it; null for the on-link guess made for a bound device. */
      table: number | null;
      mtu: number | null;
      route: Route | null;
    }
  | { kind: 'local'; dev: string; src: Ipv4; table: number | null; route: Route | null }
  | { kind: 'broadcast'; dev: string; src: Ipv4; table: number | null; route: Route | null }
  | RouteError;

export type RouteErrorReason =
  | 'blackhole'
  | 'unreachable'
  | 'prohibit'
  | 'no-route'
  | 'not-forwarding'
  | 'martian-source'
  | 'martian-destination'
  | 'rp-filter'
  | 'bad-source';

export interface RouteError {
  kind: 'error';
  errno: Errno;
  reason: RouteErrorReason;
  /** For a received packet: the ICMP error the kernel sends back (type 3 and this code), or null for a silent drop. */
  icmpCode: number | null;
}
